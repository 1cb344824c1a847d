import { nativeFileWriter } from './native-model-file.js';

/** The classes `--model-type` names: a Booster (`xgboost.core`) or a scikit-learn-API estimator (`xgboost.sklearn`). */
const BOOSTER = 'Booster';
const SKLEARN_API = ['XGBClassifier', 'XGBRegressor', 'XGBRanker', 'XGBRFClassifier', 'XGBRFRegressor'];

/**
 * `--flavor xgboost --model-file model.ubj|model.json [--model-type XGBClassifier]`: a file
 * `save_model` wrote, from a Booster or a scikit-learn-API estimator, written as
 * `mlflow.xgboost.save_model` writes that model (mlflow/xgboost/__init__.py): the file as
 * `model.<format>`, `model_format` its extension, `model_class` the estimator's class (MLflow's
 * `_get_fully_qualified_class_name`), which its loader instantiates before `load_model`. The
 * file does not say which class saved it, and the class decides what pyfunc predicts (an
 * XGBClassifier's labels, a Booster's raw output): `--model-type`, `Booster` when not given.
 */
export const xgboostWriter = nativeFileWriter({
  name: 'xgboost',
  file: 'an XGBoost model saved with save_model (a Booster or an XGBClassifier, ...): UBJSON (.ubj) or JSON (.json)',
  target: (modelFile) => (modelFile.toLowerCase().endsWith('.json') ? { name: 'model.json', kinds: ['json'] } : { name: 'model.ubj', kinds: ['ubj'] }),
  // `xgboost-cpu` installs the same module; MLflow pins `xgboost` at its version.
  library: { distributions: ['xgboost', 'xgboost-cpu'], versionKey: 'xgb_version' },
  modelTypes: [BOOSTER, ...SKLEARN_API],
  defaultModelType: BOOSTER,
  section: (target, _facts, source) => ({
    model_class: source.modelType === BOOSTER ? 'xgboost.core.Booster' : `xgboost.sklearn.${source.modelType}`,
    model_format: target.slice('model.'.length),
  }),
  infersSignature: true,
});
