/**
 * Whether a model's image must hold MLflow: the worker loads some models without importing it
 * (src/worker/mlf_worker/runtimes/registry.py, sklearn.py, scoring/signature.py and, for a tensor
 * signature, scoring/tensor_schema.py), and then the `mlflow` line of the model's requirements only
 * adds MLflow's own dependency tree (hundreds of MB) to the image. This follows those files' checks that MLmodel alone decides; the worker still makes
 * the final choice when the container starts (a model it cannot load without MLflow then fails at
 * start with a missing-module error, and `--install-mlflow` keeps MLflow in).
 */
import type { MlmodelDocument } from '../model/mlmodel.js';

/** The loader modules the worker runs without mlflow, and only those this check covers (registry.py's RUNTIMES_WITHOUT_MLFLOW). */
export const LOADERS_WITHOUT_MLFLOW = ['mlflow.sklearn'] as const;

/**
 * What the worker imports itself and MLflow's dependency tree would otherwise have brought
 * (mlf_worker reads MLmodel with PyYAML and scores with pandas and numpy): added to an image
 * without MLflow where the model's requirements do not name them. PyYAML is pinned to the
 * version the tests run the worker with (test/e2e/requirements.lock); pandas and numpy are left
 * to the resolver, within whatever the model's own libraries require.
 */
export const WORKER_REQUIREMENTS: ReadonlyArray<readonly [name: string, requirement: string]> = [
  ['pyyaml', 'PyYAML==6.0.4'],
  ['pandas', 'pandas'],
  ['numpy', 'numpy'],
];

const SCALAR_TYPES = new Set(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime']);
const SKLEARN_FORMATS = new Set(['pickle', 'cloudpickle', 'skops']);

/** Why serving this model needs mlflow installed, or undefined when the worker loads it without. */
export function whyMlflowIsNeeded(mlmodel: MlmodelDocument): string | undefined {
  const flavors = record(mlmodel.flavors);
  const pyfunc = record(flavors?.python_function);
  const loader = pyfunc?.loader_module;
  if (typeof loader !== 'string' || !(LOADERS_WITHOUT_MLFLOW as readonly string[]).includes(loader)) return `its loader_module is \`${String(loader)}\``;
  if (mlmodel.is_signature_from_type_hint || mlmodel.type_hint_from_example) return 'its signature comes from type hints';
  if (record(mlmodel.metadata)?.['mlflow.model.is_external']) return 'the model is external';
  const sklearn = record(flavors?.sklearn);
  if (!sklearn) return 'the sklearn flavor configuration is missing';
  const format = sklearn.serialization_format ?? 'pickle';
  if (typeof format !== 'string' || !SKLEARN_FORMATS.has(format)) return `its serialization format is \`${String(format)}\``;
  return signatureNeedsMlflow(mlmodel.signature);
}

function signatureNeedsMlflow(signature: unknown): string | undefined {
  if (signature === undefined || signature === null) return undefined;
  const sig = record(signature);
  if (!sig) return 'its signature is not a mapping';
  if (sig.params) return 'its signature has a params schema';
  if (!sig.inputs) return undefined;
  let specs: unknown;
  try {
    specs = JSON.parse(String(sig.inputs));
  } catch {
    return "its signature's inputs are not JSON";
  }
  if (!Array.isArray(specs) || specs.length === 0) return "its signature's inputs are not a non-empty list";
  if (specs.every((spec) => record(spec)?.type === 'tensor')) return tensorSignatureNeedsMlflow(specs.map((spec) => record(spec)!));
  const named = specs.map((spec) => record(spec)?.name !== undefined && record(spec)?.name !== null);
  if (specs.some((spec) => !SCALAR_TYPES.has(String(record(spec)?.type)))) return 'its signature has a non-scalar input type';
  if (named.some(Boolean) && !named.every(Boolean)) return 'its signature mixes named and unnamed inputs';
  return undefined;
}

/**
 * The numpy dtype names a TensorSpec's `dtype` takes as MLflow writes them (`str(np.dtype)`), which
 * the worker's np.dtype reads; any other is left to the worker, and the image keeps MLflow.
 */
const TENSOR_DTYPES = new Set([
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float16', 'float32', 'float64', 'complex64', 'complex128', 'object', 'str', 'bytes', '<U0', '|S0',
]);

/** scoring/tensor_schema.py's parse_tensor_schema: what the worker refuses to enforce itself. */
function tensorSignatureNeedsMlflow(specs: Record<string, unknown>[]): string | undefined {
  for (const spec of specs) {
    const info = record(spec['tensor-spec']);
    if (!info || !('dtype' in info) || !Array.isArray(info.shape)) return 'a tensor input of its signature lacks its dtype or shape';
    if (typeof info.dtype !== 'string' || !TENSOR_DTYPES.has(info.dtype)) return `a tensor input of its signature has the dtype \`${String(info.dtype)}\`, which this check does not know`;
    if (!info.shape.every((d) => typeof d === 'number' && Number.isInteger(d))) return 'a tensor input of its signature has a non-integer dimension';
    const name = spec.name;
    if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) return 'a tensor input of its signature has a name that is not a string';
  }
  const named = specs.map((spec) => spec.name !== undefined && spec.name !== null);
  if (named.some(Boolean) && !named.every(Boolean)) return 'its signature mixes named and unnamed inputs';
  if (specs.length > 1 && !named.every(Boolean)) return 'its signature has several unnamed tensors';
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
