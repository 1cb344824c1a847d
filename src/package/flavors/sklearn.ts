import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../../errors.js';
import { BINARY_FILE_LIMIT, readRegularFileSync, withRegularFileRangesSync } from '../../fs/read-regular-file.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import { scanPickle } from '../../scan/pickle-scan.js';
import { scanSkopsFile } from '../../scan/skops-schema.js';
import { requireFile } from '../user-files.js';
import type { FlavorWriter } from './flavor-writer.js';
import { libraryVersion } from './native-model-file.js';

/**
 * `--flavor sklearn --model-file FILE`: a pickled estimator (cloudpickle or pickle) or a skops
 * file (`skops.io.dump`, MLflow 3.x's default format), written as `mlflow.sklearn.save_model`
 * does (mlflow/sklearn/__init__.py).
 */
export interface SklearnSource {
  kind: 'sklearn';
  modelFile: string;
  serializationFormat: SklearnFormat;
}

const FORMATS = ['cloudpickle', 'pickle', 'skops'] as const;
type SklearnFormat = (typeof FORMATS)[number];

/** MLflow's `_PICKLE_MODEL_DATA_SUBPATH` and `_SKOPS_MODEL_DATA_SUBPATH`. */
const modelFileName = (format: SklearnFormat) => (format === 'skops' ? 'model.skops' : 'model.pkl');

export const sklearnWriter: FlavorWriter<SklearnSource> = {
  kind: 'sklearn',
  layout: 'flavor',
  infersSignature: true,
  // mlflow.sklearn hands infer_pip_requirements its model file: `_load_pyfunc(file)`, no predict.
  capture: (source) => ({ kind: 'file', loaderModule: 'mlflow.sklearn', modelFile: modelFileName(source.serializationFormat) }),
  modelFileFlavor: {
    name: 'sklearn',
    file: 'a scikit-learn estimator: a pickle (cloudpickle, pickle) or a skops file',
    serializationFormats: FORMATS,
    source(modelFile, { serializationFormat }) {
      const format = serializationFormat ?? 'cloudpickle';
      if (!(FORMATS as readonly string[]).includes(format)) {
        throw usageError('SERIALIZATION_FORMAT', `Unrecognized serialization format: \`${format}\`; use ${FORMATS.map((f) => `\`${f}\``).join(', ')}`);
      }
      return { kind: 'sklearn', modelFile, serializationFormat: format as SklearnFormat };
    },
  },

  validateSource(source, cwd) {
    const modelFile = requireFile(cwd, source.modelFile, 'model file', 'MODEL_FILE_NOT_FOUND');
    if (source.serializationFormat === 'skops') {
      // The schema's types stand in for a pickle's globals: requirements and code-path entry points.
      const types = withRegularFileRangesSync(modelFile, { shown: source.modelFile }, (file) => scanSkopsFile(file, source.modelFile));
      return { path: modelFile, pickle: { scan: { modules: types, importedByName: [], protocol: 0 }, shown: source.modelFile } };
    }
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
      ...(source.serializationFormat === 'skops' ? [{ name: 'skops', reason: 'flavor default: the model is read with skops' }] : []),
    ];
  },

  async writeArtifacts(source, checked, { dir, facts, python, hasCode }) {
    if (source.serializationFormat === 'skops' && !facts.mlflowSklearnWritesSkops) {
      throw usageError('SERIALIZATION_FORMAT', `the MLflow in \`${python}\` cannot load skops files (MLflow 3.x can)`, { hint: 'use `--serialization-format cloudpickle` with a pickle, or a newer MLflow' });
    }
    const fileName = modelFileName(source.serializationFormat);
    await copyFile(checked.path, path.join(dir, fileName));
    const sklearnVersion = libraryVersion(facts, python, ['scikit-learn']);
    return {
      pyfunc: { loader_module: 'mlflow.sklearn', model_path: fileName, predict_fn: 'predict' },
      flavor: {
        name: 'sklearn',
        section: {
          pickled_model: fileName,
          sklearn_version: sklearnVersion,
          serialization_format: source.serializationFormat,
          code: hasCode ? CODE_DIR_NAME : null,
          ...(facts.mlflowSklearnWritesSkops ? { skops_trusted_types: null } : {}),
        },
      },
    };
  },
};
