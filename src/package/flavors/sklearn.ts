import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../../errors.js';
import { BINARY_FILE_LIMIT, readRegularFileSync } from '../../fs/read-regular-file.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import { scanPickle } from '../../scan/pickle-scan.js';
import { requireFile } from '../user-files.js';
import type { FlavorWriter } from './flavor-writer.js';

/** `--flavor sklearn --model-file FILE`: a pickled estimator, written as `mlflow.sklearn.save_model` does (mlflow/sklearn/__init__.py). */
export interface SklearnSource {
  kind: 'sklearn';
  modelFile: string;
  serializationFormat: 'cloudpickle' | 'pickle';
}

/** MLflow's `_PICKLE_MODEL_DATA_SUBPATH`. */
const PICKLED_MODEL_FILE = 'model.pkl';

export const sklearnWriter: FlavorWriter<SklearnSource> = {
  kind: 'sklearn',
  layout: 'flavor',
  infersSignature: true,
  // MLflow's capture loads an sklearn model with `mlflow.sklearn._load_pyfunc` on its pickle.
  capture: { kind: 'sklearn', modelFile: PICKLED_MODEL_FILE },

  validateSource(source, cwd) {
    const modelFile = requireFile(cwd, source.modelFile, 'model file', 'MODEL_FILE_NOT_FOUND');
    const bytes = readRegularFileSync(modelFile, { shown: source.modelFile, limit: BINARY_FILE_LIMIT });
    return { path: modelFile, pickle: { scan: scanPickle(bytes, source.modelFile), shown: source.modelFile } };
  },

  entryPoints(_source, checked) {
    return { files: [], modules: (checked.pickle?.scan.modules ?? []).map((ref) => ref.module) };
  },

  defaultRequirements(source) {
    return [
      { name: 'scikit-learn', reason: 'flavor default: the sklearn flavor loads with scikit-learn' },
      ...(source.serializationFormat === 'cloudpickle' ? [{ name: 'cloudpickle', reason: 'flavor default: the model is read with cloudpickle' }] : []),
    ];
  },

  async writeArtifacts(source, checked, { dir, facts, python, hasCode }) {
    await copyFile(checked.path, path.join(dir, PICKLED_MODEL_FILE));
    const sklearnVersion = facts.distributions.get('scikit-learn')?.version;
    if (!sklearnVersion) {
      throw inputError('DEFAULT_REQUIREMENT_NOT_INSTALLED', `\`scikit-learn\` is not installed in \`${python}\``, {
        hint: 'pass `--python` with the interpreter the model was trained with',
      });
    }
    return {
      pyfunc: { loader_module: 'mlflow.sklearn', model_path: PICKLED_MODEL_FILE, predict_fn: 'predict' },
      flavor: {
        name: 'sklearn',
        section: {
          pickled_model: PICKLED_MODEL_FILE,
          sklearn_version: sklearnVersion,
          serialization_format: source.serializationFormat,
          code: hasCode ? CODE_DIR_NAME : null,
          ...(facts.mlflowSklearnWritesSkops ? { skops_trusted_types: null } : {}),
        },
      },
    };
  },
};
