/**
 * MLmodel: the YAML file at the root of a model directory (mlflow-format.md §1).
 *
 * One zod schema (`MlmodelDocument`, schema and type under one name) checks the types of the
 * keys mlf reads and keeps every other key as it is, so that a model written by a newer MLflow
 * round-trips unchanged. `serializeMlmodel` writes what MLflow's `Model.to_yaml` writes
 * (PyYAML `safe_dump`, keys sorted at every depth).
 *
 * The schema is lenient about presence (MLflow's `Model.from_dict` accepts almost any subset of
 * keys; deciding what a loadable model needs is validate/'s job) and strict about types of the
 * keys it names: a wrong type there is an input error naming the field and its line.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  CONDA_ENV_FILE_NAME,
  ENV_KEY_CONDA,
  ENV_KEY_VIRTUALENV,
  MLMODEL_FILE_NAME,
  PYFUNC_FLAVOR_NAME,
  PYTHON_ENV_FILE_NAME,
} from './file-names.js';
import { PyFloat, PyTimestamp, safeDump, type PyValue } from './pyyaml.js';
import { parseYamlWithSchema, type LoadedYaml } from './yaml-file.js';

/** Any value `safe_load` can produce, kept as it is. */
export const AnyPyValue = z.custom<PyValue>(() => true);

const nullableString = z.string().nullable();

/**
 * `flavors.python_function.env`: `{conda: conda.yaml, virtualenv: python_env.yaml}` since
 * MLflow 2.0, or the conda file name as a plain string before (`_extract_conda_env`).
 */
export const PyfuncEnv = z.union(
  [z.string(), z.looseObject({ [ENV_KEY_CONDA]: z.string().optional(), [ENV_KEY_VIRTUALENV]: z.string().optional() })],
  { error: 'expected a file name or a mapping with `conda` and `virtualenv` file names' },
);
export type PyfuncEnv = z.infer<typeof PyfuncEnv>;

/** `artifacts` of a PythonModel: name → {path: artifacts/<relpath>, uri: original uri}. */
export const PyfuncArtifact = z.looseObject({ path: z.string(), uri: z.string().optional() });
export type PyfuncArtifact = z.infer<typeof PyfuncArtifact>;

/** The `python_function` flavor (§1.3); flavor-specific keys are kept as they are. */
export const PyfuncFlavor = z.looseObject({
  loader_module: z.string().optional(),
  python_version: z.string().optional(),
  env: PyfuncEnv.optional(),
  code: nullableString.optional(),
  data: z.string().optional(),
  model_path: z.string().optional(),
  predict_fn: z.string().optional(),
  predict_stream_fn: z.string().optional(),
  streamable: z.boolean().optional(),
  python_model: z.string().optional(),
  python_model_compression: z.string().optional(),
  cloudpickle_version: z.string().optional(),
  model_code_path: z.string().optional(),
  artifacts: z.record(z.string(), PyfuncArtifact).optional(),
  config: AnyPyValue.optional(),
});
export type PyfuncFlavor = z.infer<typeof PyfuncFlavor>;

/** `signature`: each part a JSON string (see signature.ts) or null (§10). */
export const MlmodelSignature = z.looseObject({
  inputs: nullableString.optional(),
  outputs: nullableString.optional(),
  params: nullableString.optional(),
});
export type MlmodelSignature = z.infer<typeof MlmodelSignature>;

/** `saved_input_example_info` (§11). `params` is the *string* `'true'` when present. */
export const SavedInputExampleInfo = z.looseObject({
  artifact_path: z.string(),
  type: z.string().optional(),
  pandas_orient: z.string().optional(),
  serving_input_path: z.string().optional(),
  params: z.union([z.string(), z.boolean()], { error: 'expected the string `true`' }).optional(),
});
export type SavedInputExampleInfo = z.infer<typeof SavedInputExampleInfo>;

/** The `sklearn` flavor (§1.4); read leniently, validate/ judges the values. */
export const SklearnFlavor = z.looseObject({
  pickled_model: z.string().optional(),
  sklearn_version: z.string().optional(),
  serialization_format: z.string().optional(),
  code: nullableString.optional(),
});
export type SklearnFlavor = z.infer<typeof SklearnFlavor>;

/** flavor name → its parameters; `python_function` and `sklearn` typed, any other kept as is. */
export const MlmodelFlavors = z
  .object(
    { [PYFUNC_FLAVOR_NAME]: PyfuncFlavor.optional(), sklearn: SklearnFlavor.optional() },
    { error: 'expected a mapping of flavor name to its parameters' },
  )
  .catchall(z.looseObject({}, { error: 'expected a mapping of the flavor parameters' }));
export type MlmodelFlavors = z.infer<typeof MlmodelFlavors>;

const integer = z.custom<number | bigint>(
  (value) => (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint',
  { error: 'expected an integer' },
);

export const MlmodelDocument = z.looseObject({
  artifact_path: z.string().optional(),
  databricks_runtime: z.string().optional(),
  env_vars: z.array(z.string()).nullable().optional(),
  flavors: MlmodelFlavors.nullable().optional(),
  is_signature_from_type_hint: z.boolean().optional(),
  type_hint_from_example: z.boolean().optional(),
  metadata: z.record(z.string(), AnyPyValue).nullable().optional(),
  mlflow_version: z.string().optional(),
  model_id: nullableString.optional(),
  model_size_bytes: integer.optional(),
  model_uuid: nullableString.optional(),
  prompts: z.array(AnyPyValue).nullable().optional(),
  run_id: nullableString.optional(),
  saved_input_example_info: SavedInputExampleInfo.nullable().optional(),
  signature: MlmodelSignature.nullable().optional(),
  // MLflow writes it quoted; an unquoted one loads as a datetime, and MLflow accepts that too.
  utc_time_created: z
    .union([z.string(), z.instanceof(PyTimestamp)], { error: 'expected a time like `2025-01-02 03:04:05.123456`' })
    .optional(),
});
export type MlmodelDocument = z.infer<typeof MlmodelDocument>;

export interface MlmodelWarning {
  code: string;
  message: string;
  field?: string;
  line?: number;
}

export interface ParsedMlmodel {
  document: MlmodelDocument;
  warnings: MlmodelWarning[];
  /** The loaded YAML, for `lineOf(path)` in validators. */
  yaml: LoadedYaml;
}

/**
 * Parse MLmodel text. Throws MALFORMED_YAML or INVALID_MLMODEL (both exit 2) with file and line;
 * `file` is how the file is named in messages (e.g. its path).
 */
export function parseMlmodel(text: string, file: string = MLMODEL_FILE_NAME): ParsedMlmodel {
  const { document, loaded } = parseYamlWithSchema(
    text,
    file,
    MlmodelDocument,
    'INVALID_MLMODEL',
    'MLflow writes this file; fix the field by hand or re-save the model.',
  );
  const pyfunc = document.flavors?.[PYFUNC_FLAVOR_NAME];
  const warnings: MlmodelWarning[] = [];
  const env = pyfunc?.env;
  const envField = `flavors.${PYFUNC_FLAVOR_NAME}.env`;
  const envLine = loaded.lineOf(['flavors', PYFUNC_FLAVOR_NAME, 'env'])?.line;
  if (env !== null && typeof env === 'object' && !Array.isArray(env)) {
    for (const key of [ENV_KEY_CONDA, ENV_KEY_VIRTUALENV]) {
      if (!(key in env)) {
        warnings.push({
          code: 'PYFUNC_ENV_KEY_MISSING',
          message: `\`${envField}\` has no \`${key}\` entry; MLflow fails on it, mlf uses \`${key === ENV_KEY_CONDA ? CONDA_ENV_FILE_NAME : PYTHON_ENV_FILE_NAME}\``,
          field: `${envField}.${key}`,
          line: envLine,
        });
      }
    }
  }
  return { document, warnings, yaml: loaded };
}

/** What MLflow's `Model.to_yaml` writes for this document. */
export function serializeMlmodel(document: MlmodelDocument): string {
  return safeDump(document);
}

/** The `python_function` flavor, if the model has one. */
export function getPyfuncFlavor(document: MlmodelDocument): PyfuncFlavor | undefined {
  return document.flavors?.[PYFUNC_FLAVOR_NAME] ?? undefined;
}

export interface EnvFileNames {
  /** conda env file, model-relative (default `conda.yaml`). */
  conda: string;
  /** virtualenv (python_env) file, model-relative (default `python_env.yaml`). */
  virtualenv: string;
}

/**
 * The env file names a model declares (MLflow's `_get_conda_env_file` / `_get_python_env_file`):
 * from `flavors.python_function.env`, either form; the defaults when absent. Where MLflow would
 * fail with a KeyError (a mapping without the key) the default is used.
 */
export function envFileNames(document: MlmodelDocument | Record<string, unknown> | undefined): EnvFileNames {
  // Any loaded YAML may come here (validate reads MLmodels that fail the schema): check each type.
  const flavors = asPlainRecord(document?.flavors);
  const env = asPlainRecord(flavors?.[PYFUNC_FLAVOR_NAME])?.env;
  if (typeof env === 'string' && env !== '') return { conda: env, virtualenv: PYTHON_ENV_FILE_NAME };
  const names = asPlainRecord(env);
  const nameAt = (key: string, fallback: string): string => {
    const name = names?.[key];
    return typeof name === 'string' && name !== '' ? name : fallback;
  };
  return { conda: nameAt(ENV_KEY_CONDA, CONDA_ENV_FILE_NAME), virtualenv: nameAt(ENV_KEY_VIRTUALENV, PYTHON_ENV_FILE_NAME) };
}

function asPlainRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * `utc_time_created` as MLflow writes it: `str(datetime.now(timezone.utc).replace(tzinfo=None))`,
 * i.e. `YYYY-MM-DD HH:MM:SS.ffffff`, with the fraction dropped when it is zero (Python's `str`).
 * JS dates carry milliseconds, so the last three digits are zeros.
 */
export function formatUtcTimeCreated(date: Date): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const base =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const micros = date.getUTCMilliseconds() * 1000;
  return micros === 0 ? base : `${base}.${pad(micros, 6)}`;
}

/** `model_uuid` for a saved model: `uuid.uuid4().hex` (32 lowercase hex digits). */
export function newModelUuid(): string {
  return randomUUID().replace(/-/g, '');
}

/** Re-exported for callers that build MLmodel values with integral floats. */
export { PyFloat, PyTimestamp };
