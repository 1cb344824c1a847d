import { nativeFileWriter } from './native-model-file.js';

/**
 * `--flavor xgboost --model-file model.ubj|model.json`: a Booster's file (`Booster.save_model`),
 * written as `mlflow.xgboost.save_model` writes a Booster (mlflow/xgboost/__init__.py): the file
 * as `model.<format>`, `model_format` its extension, `model_class: xgboost.core.Booster`. A file
 * an sklearn-API estimator (XGBClassifier, ...) saved loads as a Booster too, whose pyfunc
 * predict returns its raw output rather than class labels: such a model is packaged by MLflow.
 */
export const xgboostWriter = nativeFileWriter({
  name: 'xgboost',
  file: 'an XGBoost Booster saved with save_model: UBJSON (.ubj) or JSON (.json)',
  target: (modelFile) => (modelFile.toLowerCase().endsWith('.json') ? { name: 'model.json', kinds: ['json'] } : { name: 'model.ubj', kinds: ['ubj'] }),
  // `xgboost-cpu` installs the same module; MLflow pins `xgboost` at its version.
  library: { distributions: ['xgboost', 'xgboost-cpu'], versionKey: 'xgb_version' },
  section: (target) => ({ model_class: 'xgboost.core.Booster', model_format: target.slice('model.'.length) }),
  infersSignature: true,
});
