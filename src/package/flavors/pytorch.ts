import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../../errors.js';
import { withRegularFileRangesSync } from '../../fs/read-regular-file.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import { scanTorchArchive } from '../../scan/torch-archive.js';
import type { FlavorWriter } from './flavor-writer.js';
import { checkModelFile, libraryVersion } from './native-model-file.js';

/**
 * `--flavor pytorch --model-file model.pth`: a module saved whole with `torch.save(model, ...)`
 * (or `torch.jit.save`), written as `mlflow.pytorch.save_model(..., serialization_format="pickle")`
 * does (mlflow/pytorch/__init__.py): `data/model.pth`, `data/pickle_module_info.txt` naming
 * MLflow's pickle module (cloudpickle's names; its loader unpickles a file any pickler wrote),
 * `model_data: data`, and the pyfunc `config: {device: null}`. MLflow's own pickle bytes differ
 * from the given file's only in how they were pickled, never in what loads.
 *
 * MLflow 3.x's default format, `pt2` (`torch.export`), is not written: MLflow exports it from the
 * module and an ndarray input example, and records a tensor signature; mlf takes a file and
 * DataFrame examples only.
 */
export interface PytorchSource {
  kind: 'pytorch';
  modelFile: string;
}

/** mlflow/pytorch/__init__.py `_MODEL_DATA_SUBPATH`, `_SERIALIZED_TORCH_MODEL_FILE_NAME`, `_PICKLE_MODULE_INFO_FILE_NAME`. */
const DATA_DIR = 'data';
const MODEL_FILE = 'model.pth';
const PICKLE_MODULE_INFO = 'pickle_module_info.txt';
const MLFLOW_PICKLE_MODULE = 'mlflow.pytorch.pickle_module';
const FORMATS = ['pickle'] as const;

export const pytorchWriter: FlavorWriter<PytorchSource> = {
  kind: 'pytorch',
  layout: 'flavor',
  infersSignature: true,
  // mlflow.pytorch hands infer_pip_requirements its data directory: `_load_pyfunc(data)`, no predict.
  capture: () => ({ kind: 'file', loaderModule: 'mlflow.pytorch', modelFile: DATA_DIR }),
  modelFileFlavor: {
    name: 'pytorch',
    file: 'a PyTorch module saved whole with torch.save(model, FILE) (or torch.jit.save)',
    serializationFormats: FORMATS,
    source(modelFile, { serializationFormat }) {
      if (serializationFormat === 'pt2') {
        throw usageError('SERIALIZATION_FORMAT', '`--flavor pytorch --serialization-format pt2` is not written by mlf: MLflow exports pt2 from the module and an ndarray input example (`mlflow.pytorch.save_model`)', {
          hint: 'save the module with torch.save and package it as `pickle`, or save the pt2 model with MLflow',
        });
      }
      if (serializationFormat !== undefined && serializationFormat !== 'pickle') {
        throw usageError('SERIALIZATION_FORMAT', `Unrecognized serialization format: \`${serializationFormat}\`; use \`pickle\``);
      }
      return { kind: 'pytorch', modelFile };
    },
  },

  validateSource(source, cwd) {
    const modelFile = checkModelFile(cwd, source.modelFile, ['zip'], 'pytorch');
    const scan = withRegularFileRangesSync(modelFile, { shown: source.modelFile }, (file) => scanTorchArchive(file, source.modelFile));
    return { path: modelFile, pickle: { scan, shown: source.modelFile } };
  },

  entryPoints(_source, checked) {
    return { files: [], modules: (checked.pickle?.scan.modules ?? []).map((ref) => ref.module) };
  },

  defaultRequirements() {
    return [
      { name: 'torch', reason: 'flavor default: the pytorch flavor loads with torch' },
      { name: 'cloudpickle', reason: `flavor default: the model is unpickled with ${MLFLOW_PICKLE_MODULE} (cloudpickle)` },
    ];
  },

  async writeArtifacts(_source, checked, { dir, facts, python, hasCode }) {
    const data = path.join(dir, DATA_DIR);
    await mkdir(data);
    await writeFile(path.join(data, PICKLE_MODULE_INFO), MLFLOW_PICKLE_MODULE);
    await copyFile(checked.path, path.join(data, MODEL_FILE));
    const code = hasCode ? CODE_DIR_NAME : null;
    return {
      pyfunc: { loader_module: 'mlflow.pytorch', data: DATA_DIR, pickle_module_name: MLFLOW_PICKLE_MODULE, config: { device: null } },
      flavor: { name: 'pytorch', section: { model_data: DATA_DIR, pytorch_version: libraryVersion(facts, python, ['torch']), code } },
    };
  },
};
