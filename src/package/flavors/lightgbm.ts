import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, usageError } from '../../errors.js';
import { BINARY_FILE_LIMIT, readRegularFileSync, withRegularFileRangesSync } from '../../fs/read-regular-file.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import { isFileOfKind } from '../../scan/model-file-kind.js';
import { scanPickle, type PickleGlobal } from '../../scan/pickle-scan.js';
import { scanSkopsFile } from '../../scan/skops-schema.js';
import type { CheckedSource, FlavorWriter, MlmodelSection } from './flavor-writer.js';
import { checkModelFile, libraryVersion } from './native-model-file.js';

/** mlflow/lightgbm/__init__.py `_LIGHTGBM_SKLEARN_SKOPS_TRUSTED_TYPES` (a set there: MLflow's order varies by run, sorted here). */
const SKOPS_TRUSTED_TYPES = ['collections.OrderedDict', 'lightgbm.basic.Booster', 'lightgbm.sklearn.LGBMClassifier', 'lightgbm.sklearn.LGBMRegressor'];
const FORMATS = ['skops', 'cloudpickle', 'pickle'] as const;
type LightgbmFormat = (typeof FORMATS)[number];
/** The scikit-learn-API classes lightgbm.sklearn defines. */
const SKLEARN_CLASSES = ['LGBMClassifier', 'LGBMRegressor', 'LGBMRanker', 'LGBMModel'];

/**
 * `--flavor lightgbm --model-file FILE`, written as `mlflow.lightgbm.save_model` writes the model
 * (mlflow/lightgbm/__init__.py), which FILE's kind tells:
 * - a Booster's text model (`Booster.save_model`): `model.lgb`, `model_class: lightgbm.basic.Booster`;
 * - a scikit-learn-API estimator (LGBMClassifier, ...) as the sklearn flavor serializes it: a skops
 *   file (`skops.io.dump`, MLflow 3.x's default) as `model.skops`, or a pickle
 *   (`--serialization-format cloudpickle`, the default for a pickle, or `pickle`) as `model.pkl`;
 *   `model_class` the estimator's class, read from the skops schema's root or the pickle's first
 *   global (both static: no code runs).
 * `serialization_format` is MLflow 3.x's default `skops` for a Booster too (unused there, written
 * all the same), with its trusted types.
 */
export interface LightgbmSource {
  kind: 'lightgbm';
  modelFile: string;
  serializationFormat?: LightgbmFormat;
}

type Checked = CheckedSource & { written: 'model.lgb' | 'model.skops' | 'model.pkl'; modelClass: string; format: LightgbmFormat; sklearnApi: boolean };

function sklearnClass(root: PickleGlobal | undefined, shown: string): string {
  if (root && root.module === 'lightgbm.sklearn' && SKLEARN_CLASSES.includes(root.name)) return `${root.module}.${root.name}`;
  throw inputError('MODEL_FILE_KIND', `\`${shown}\` holds ${root ? `\`${root.module}.${root.name}\`` : 'no class'}, not a LightGBM scikit-learn-API estimator (${SKLEARN_CLASSES.join(', ')})`, {
    hint: "pass a Booster's text model, or the estimator as the sklearn flavor serializes it",
  });
}

function check(source: LightgbmSource, cwd: string): Checked {
  const modelFile = checkModelFile(cwd, source.modelFile, ['lightgbm-text', 'zip', 'pickle'], 'lightgbm');
  const shown = source.modelFile;
  const kind = withRegularFileRangesSync(modelFile, { shown }, (file) => (isFileOfKind(file, 'lightgbm-text') ? 'text' : isFileOfKind(file, 'zip') ? 'zip' : 'pickle'));
  if (kind === 'text') {
    return { path: modelFile, written: 'model.lgb', modelClass: 'lightgbm.basic.Booster', format: source.serializationFormat ?? 'skops', sklearnApi: false };
  }
  if (kind === 'zip') {
    if (source.serializationFormat !== undefined && source.serializationFormat !== 'skops') {
      throw usageError('SERIALIZATION_FORMAT', `\`${shown}\` is a skops file (a zip), not \`--serialization-format ${source.serializationFormat}\``);
    }
    const types = withRegularFileRangesSync(modelFile, { shown }, (file) => scanSkopsFile(file, shown));
    return { path: modelFile, written: 'model.skops', modelClass: sklearnClass(types[0], shown), format: 'skops', sklearnApi: true, pickle: { scan: { modules: types, importedByName: [], protocol: 0 }, shown } };
  }
  if (source.serializationFormat === 'skops') throw usageError('SERIALIZATION_FORMAT', `\`${shown}\` is a pickle, not a skops file (\`--serialization-format skops\`)`);
  const scan = scanPickle(readRegularFileSync(modelFile, { shown, limit: BINARY_FILE_LIMIT }), shown);
  return { path: modelFile, written: 'model.pkl', modelClass: sklearnClass(scan.modules[0], shown), format: source.serializationFormat ?? 'cloudpickle', sklearnApi: true, pickle: { scan, shown } };
}

export const lightgbmWriter: FlavorWriter<LightgbmSource> = {
  kind: 'lightgbm',
  layout: 'flavor',
  infersSignature: true,
  // mlflow.lightgbm hands infer_pip_requirements the directory: loaded with pyfunc and predicted on.
  capture: () => ({ kind: 'pyfunc' }),
  modelFileFlavor: {
    name: 'lightgbm',
    file: "a LightGBM Booster's text model (Booster.save_model), or a scikit-learn-API estimator as a skops file or a pickle",
    serializationFormats: FORMATS,
    source(modelFile, { serializationFormat }) {
      if (serializationFormat !== undefined && !(FORMATS as readonly string[]).includes(serializationFormat)) {
        throw usageError('SERIALIZATION_FORMAT', `Unrecognized serialization format: \`${serializationFormat}\`; use ${FORMATS.map((f) => `\`${f}\``).join(', ')}`);
      }
      return { kind: 'lightgbm', modelFile, ...(serializationFormat !== undefined ? { serializationFormat: serializationFormat as LightgbmFormat } : {}) };
    },
  },

  validateSource: check,

  entryPoints(_source, checked) {
    return { files: [], modules: (checked.pickle?.scan.modules ?? []).map((ref) => ref.module) };
  },

  defaultRequirements(_source, checkedSource) {
    const checked = checkedSource as Checked | undefined;
    // get_default_pip_requirements(include_cloudpickle, include_skops): for an estimator only.
    const format = checked?.sklearnApi ? checked.format : undefined;
    return [
      { name: 'lightgbm', reason: 'flavor default: the lightgbm flavor loads with lightgbm' },
      ...(format === 'cloudpickle' ? [{ name: 'cloudpickle', reason: 'flavor default: the estimator is read with cloudpickle' }] : []),
      ...(format === 'skops' ? [{ name: 'skops', reason: 'flavor default: the estimator is read with skops' }] : []),
    ];
  },

  async writeArtifacts(_source, checkedSource, { dir, facts, python, hasCode }) {
    const checked = checkedSource as Checked;
    if (checked.format === 'skops' && checked.sklearnApi && !facts.mlflowSklearnWritesSkops) {
      throw usageError('SERIALIZATION_FORMAT', `the MLflow in \`${python}\` cannot load skops files (MLflow 3.x can)`, { hint: 'pass the estimator as a pickle' });
    }
    await copyFile(checked.path, path.join(dir, checked.written));
    // The MLflow that writes skops_trusted_types for sklearn (3.x) writes the skops keys here too.
    const serialization: MlmodelSection = facts.mlflowSklearnWritesSkops || checked.sklearnApi
      ? { serialization_format: checked.format, skops_trusted_types: checked.format === 'skops' ? SKOPS_TRUSTED_TYPES : null }
      : {};
    return {
      pyfunc: { loader_module: 'mlflow.lightgbm', data: checked.written },
      flavor: {
        name: 'lightgbm',
        section: { lgb_version: libraryVersion(facts, python, ['lightgbm']), data: checked.written, model_class: checked.modelClass, code: hasCode ? CODE_DIR_NAME : null, ...serialization },
      },
    };
  },
};
