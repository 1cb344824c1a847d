import { nativeFileWriter } from './native-model-file.js';

/** mlflow/lightgbm/__init__.py `_LIGHTGBM_SKLEARN_SKOPS_TRUSTED_TYPES` (a set there: MLflow's order varies by run, sorted here). */
const SKOPS_TRUSTED_TYPES = ['collections.OrderedDict', 'lightgbm.basic.Booster', 'lightgbm.sklearn.LGBMClassifier', 'lightgbm.sklearn.LGBMRegressor'];

/**
 * `--flavor lightgbm --model-file model.txt`: a Booster's text model (`Booster.save_model`),
 * written as `mlflow.lightgbm.save_model` writes a Booster (mlflow/lightgbm/__init__.py):
 * `model.lgb`, `model_class: lightgbm.basic.Booster`, and MLflow 3.x's default
 * `serialization_format: skops` with its trusted types (unused for a Booster, written all the same).
 */
export const lightgbmWriter = nativeFileWriter({
  name: 'lightgbm',
  file: "a LightGBM Booster's text model (Booster.save_model)",
  target: () => ({ name: 'model.lgb', kinds: ['lightgbm-text'] }),
  library: { distributions: ['lightgbm'], versionKey: 'lgb_version' },
  section: (_target, facts) => ({
    model_class: 'lightgbm.basic.Booster',
    // The MLflow that writes skops_trusted_types for sklearn (3.x) writes the skops keys here too.
    ...(facts.mlflowSklearnWritesSkops ? { serialization_format: 'skops', skops_trusted_types: SKOPS_TRUSTED_TYPES } : {}),
  }),
  infersSignature: true,
});
