import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, usageError } from '../../errors.js';
import { withRegularFileRangesSync } from '../../fs/read-regular-file.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import type { Signature } from '../../model/signature.js';
import { pt2ArchiveFolder, readPt2Program, type Pt2Program } from '../../scan/pt2-archive.js';
import { scanTorchArchive } from '../../scan/torch-archive.js';
import { listZipEntries } from '../../scan/zip-entries.js';
import type { PackageExample } from '../example.js';
import { castNdarray, ndarrayToPyValue } from '../ndarray-example.js';
import type { ArrayExampleContext, ArrayExamplePlan, CheckedSource, FlavorWriter } from './flavor-writer.js';
import { checkModelFile, libraryVersion } from './native-model-file.js';

/**
 * `--flavor pytorch --model-file FILE`, written as `mlflow.pytorch.save_model` does
 * (mlflow/pytorch/__init__.py), in the format the file's content says:
 * - `pickle`: a module saved whole with `torch.save(model, ...)` (or `torch.jit.save`):
 *   `data/model.pth`, `data/pickle_module_info.txt` naming MLflow's pickle module (cloudpickle's
 *   names; its loader unpickles a file any pickler wrote). MLflow's own pickle bytes differ from
 *   the given file's only in how they were pickled, never in what loads.
 * - `pt2`, MLflow 3.x's default: a PT2 archive, `torch.export.save(torch.export.export(module,
 *   (example,)), FILE)`, which is what MLflow itself calls (with `dynamic_shapes` `Dim.AUTO` on
 *   the signature's -1 dimensions): `data/model.pt2`. Its bytes differ from MLflow's in the
 *   archive's folder name (the file's stem), its `serialization_id` and the stack traces recorded
 *   in the graph, none of which `torch.export.load` reads. MLflow requires a numpy array example
 *   for pt2 and a tensor signature, inferred from the example (inputs) and from predicting on it
 *   (outputs): here the outputs come from the program's own output spec, which is what it returns.
 * Both: `model_data: data` and the pyfunc `pickle_module_name`, `config: {device: null}`.
 */
export interface PytorchSource {
  kind: 'pytorch';
  modelFile: string;
  /** `--serialization-format` as given: checked against the file's content, which decides. */
  serializationFormat?: 'pickle' | 'pt2';
}

/** mlflow/pytorch/__init__.py `_MODEL_DATA_SUBPATH`, `_SERIALIZED_TORCH_MODEL_FILE_NAME`, `_EXPORTED_TORCH_MODEL_FILE_NAME`, `_PICKLE_MODULE_INFO_FILE_NAME`. */
const DATA_DIR = 'data';
const MODEL_FILE = 'model.pth';
const EXPORTED_MODEL_FILE = 'model.pt2';
const PICKLE_MODULE_INFO = 'pickle_module_info.txt';
const MLFLOW_PICKLE_MODULE = 'mlflow.pytorch.pickle_module';
const FORMATS = ['pickle', 'pt2'] as const;

/** MLflow's words when a pt2 model has no tensor signature (save_model). */
const PT2_SIGNATURE_MESSAGE = "Unsupported signature type for the selected serialization format. If the `serialization_format` argument is set to 'pt2', the input signature must be specified using `TensorSpec`.";

function shapeText(sizes: readonly (number | string)[]): string {
  return `(${sizes.join(', ')}${sizes.length === 1 ? ',' : ''})`;
}

/** What the pt2 writer needs of the example and the signature, checked against the program (mlflow/pytorch/__init__.py save_model's pt2 branch). */
function pt2ArrayExample(program: Pt2Program, modelShown: string, example: PackageExample | undefined, context: ArrayExampleContext): ArrayExamplePlan {
  const shown = context.shown;
  if (example === undefined) {
    throw usageError('INPUT_EXAMPLE_REQUIRED', `\`${modelShown}\` is a pt2 archive, and mlflow.pytorch.save_model requires an input example for pt2: pass \`--input-example\` with the array it was exported with`, {
      hint: 'an .npy file (`np.save("example.npy", x)`) or JSON `{"inputs": [[...]]}`',
    });
  }
  if (example.kind !== 'ndarray') {
    throw usageError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\` is a table, and a pt2 model's example must be a numpy array (mlflow.pytorch.save_model exports the program from it)`, {
      hint: 'pass an .npy file (`np.save("example.npy", x)`) or JSON `{"inputs": [[...]]}`',
    });
  }
  const input = program.inputs[0];
  if (program.inputs.length !== 1 || !input) {
    throw inputError('PT2_INPUTS', `\`${modelShown}\` takes ${program.inputs.length} input(s)${program.inputs.some((input) => input === null) ? ', not all of them tensors' : ''}; mlf packages a pt2 program of one tensor input, the one MLflow writes a pyfunc flavor for`, { file: modelShown });
  }
  if (input.dtype === undefined) throw inputError('PT2_DTYPE', `\`${modelShown}\` takes a ${input.torchDtype} tensor, which numpy (and so an MLflow signature) has no type for`, { file: modelShown });
  let array = example.array;
  if (array.dtype === undefined) array = castNdarray(array, input.dtype, shown!);
  else if (array.dtype !== input.dtype) {
    throw usageError('INPUT_EXAMPLE_MISMATCH', `\`${shown}\` is ${array.dtype}, and \`${modelShown}\` takes ${input.dtype}`, { hint: `save the example as ${input.dtype}: \`x.astype(np.${input.dtype})\`` });
  }
  const expected = input.sizes.map((size) => ('static' in size ? size.static : '*'));
  const fits = array.shape.length === input.sizes.length && input.sizes.every((size, index) => !('static' in size) || size.static === array.shape[index]);
  if (!fits) {
    throw usageError('INPUT_EXAMPLE_MISMATCH', `\`${shown}\` has shape ${shapeText(array.shape)}, and \`${modelShown}\` takes ${shapeText(expected)} (\`*\`: any size)`, { hint: 'pass the example the program was exported with' });
  }
  if (array.shape.length === 0) throw usageError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\` is a 0-d array; MLflow infers a signature from an array with a batch dimension`);
  const warnings: ArrayExamplePlan['warnings'] = [];
  const batch = input.sizes[0]!;
  if ('static' in batch && batch.static > 1) {
    warnings.push({
      code: 'PT2_STATIC_BATCH',
      message: `\`${modelShown}\` was exported for batches of ${batch.static} only; MLflow exports with a dynamic batch dimension (\`dynamic_shapes=({0: torch.export.Dim.AUTO},)\`), so its model predicts on any number of rows`,
    });
  }
  let signature: Signature | undefined;
  if (context.noSignature) throw usageError('INVALID_SIGNATURE', `\`--no-signature\`: ${PT2_SIGNATURE_MESSAGE}`);
  if (context.signature) {
    const inputs = context.signature.inputs;
    if (!inputs || inputs.inputs.length === 0 || inputs.kind !== 'tensors') throw usageError('INVALID_SIGNATURE', `\`${context.signatureShown}\`: ${PT2_SIGNATURE_MESSAGE}`);
    if (inputs.inputs.length !== 1) throw usageError('INVALID_SIGNATURE', `\`${context.signatureShown}\` has ${inputs.inputs.length} inputs for the program's one (MLflow pairs them with \`zip(strict=True)\`)`);
    signature = context.signature;
  } else {
    signature = { inputs: { kind: 'tensors', inputs: [{ kind: 'tensor', dtype: input.dtype, shape: [-1, ...array.shape.slice(1)] }] } };
    const output = program.outputs.length === 1 ? program.outputs[0] : null;
    const dims = output?.sizes.slice(1).map((size) => ('static' in size ? size.static : size.hint));
    // _PyTorchWrapper.predict returns one tensor's numpy(); anything else fails MLflow's inference, which pt2 then refuses.
    if (!output || output.dtype === undefined || output.sizes.length === 0 || !dims || dims.some((size) => size === undefined)) {
      throw usageError('INVALID_SIGNATURE', `\`${modelShown}\` does not return one tensor with a batch dimension that numpy has a type for, so MLflow infers no signature from predicting on the example: pass \`--signature\``);
    }
    signature.outputs = { kind: 'tensors', inputs: [{ kind: 'tensor', dtype: output.dtype, shape: [-1, ...(dims as number[])] }] };
  }
  return { data: ndarrayToPyValue(array), signature, warnings };
}

export const pytorchWriter: FlavorWriter<PytorchSource> = {
  kind: 'pytorch',
  layout: 'flavor',
  infersSignature: true,
  // mlflow.pytorch hands infer_pip_requirements its data directory: `_load_pyfunc(data)`, no predict.
  capture: () => ({ kind: 'file', loaderModule: 'mlflow.pytorch', modelFile: DATA_DIR }),
  modelFileFlavor: {
    name: 'pytorch',
    file: 'a PyTorch module saved whole with torch.save(model, FILE) (or torch.jit.save), or a torch.export.save archive (pt2)',
    serializationFormats: FORMATS,
    serializationFormatDefault: "the file's content",
    source(modelFile, { serializationFormat }) {
      if (serializationFormat !== undefined && serializationFormat !== 'pickle' && serializationFormat !== 'pt2') {
        throw usageError('SERIALIZATION_FORMAT', `Unrecognized serialization format: \`${serializationFormat}\`; use \`pickle\` or \`pt2\``);
      }
      return { kind: 'pytorch', modelFile, ...(serializationFormat !== undefined ? { serializationFormat } : {}) };
    },
  },

  validateSource(source, cwd) {
    const modelFile = checkModelFile(cwd, source.modelFile, ['zip'], 'pytorch');
    return withRegularFileRangesSync(modelFile, { shown: source.modelFile }, (file): CheckedSource => {
      const isPt2 = pt2ArchiveFolder(file, listZipEntries(file, source.modelFile), source.modelFile) !== undefined;
      const format = isPt2 ? 'pt2' : 'pickle';
      if (source.serializationFormat !== undefined && source.serializationFormat !== format) {
        throw usageError('SERIALIZATION_FORMAT', `\`--serialization-format ${source.serializationFormat}\`, but \`${source.modelFile}\` is ${isPt2 ? 'a PT2 archive (torch.export.save)' : 'not a PT2 archive (no `<name>/archive_format` reading `pt2`)'}`, {
          hint: isPt2 ? 'drop the option: the pt2 archive is packaged as pt2' : 'export the module with torch.export.save to package it as pt2',
        });
      }
      if (isPt2) return { path: modelFile, pt2: readPt2Program(file, source.modelFile) };
      return { path: modelFile, pickle: { scan: scanTorchArchive(file, source.modelFile), shown: source.modelFile } };
    });
  },

  arrayExample(source, checked, example, context) {
    if (!checked.pt2) return undefined;
    return pt2ArrayExample(checked.pt2, source.modelFile, example, context);
  },

  entryPoints(_source, checked) {
    return { files: [], modules: (checked.pickle?.scan.modules ?? []).map((ref) => ref.module) };
  },

  defaultRequirements() {
    return [
      { name: 'torch', reason: 'flavor default: the pytorch flavor loads with torch' },
      { name: 'cloudpickle', reason: `flavor default: MLflow names it for its pickle module, ${MLFLOW_PICKLE_MODULE} (cloudpickle), in either format` },
    ];
  },

  async writeArtifacts(_source, checked, { dir, facts, python, hasCode }) {
    const data = path.join(dir, DATA_DIR);
    await mkdir(data);
    if (checked.pt2) {
      await copyFile(checked.path, path.join(data, EXPORTED_MODEL_FILE));
    } else {
      await writeFile(path.join(data, PICKLE_MODULE_INFO), MLFLOW_PICKLE_MODULE);
      await copyFile(checked.path, path.join(data, MODEL_FILE));
    }
    const code = hasCode ? CODE_DIR_NAME : null;
    return {
      pyfunc: { loader_module: 'mlflow.pytorch', data: DATA_DIR, pickle_module_name: MLFLOW_PICKLE_MODULE, config: { device: null } },
      flavor: { name: 'pytorch', section: { model_data: DATA_DIR, pytorch_version: libraryVersion(facts, python, ['torch']), code } },
    };
  },
};
