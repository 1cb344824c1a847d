import { nativeFileWriter } from './native-model-file.js';

/** The classes mlflow/catboost/__init__.py's `_init_model` loads by `model_type` (CatBoostRanker when catboost has it). */
const isJson = (modelFile: string) => modelFile.toLowerCase().endsWith('.json');

const MODEL_TYPES = ['CatBoost', 'CatBoostClassifier', 'CatBoostRegressor', 'CatBoostRanker'];

/**
 * `--flavor catboost --model-file model.cbm --model-type CatBoostClassifier`: a model saved with
 * `save_model` (CatBoost's binary `cbm`, or `format="json"`), written as
 * `mlflow.catboost.save_model` does (mlflow/catboost/__init__.py): `model.cb`, `save_format`
 * the file's format, `model_type` the estimator's class name. The file does not record that
 * class (a classifier's `cbm` loads into any of the four, which predict differently: class
 * labels or raw values), so `--model-type` is required rather than guessed from the loss.
 */
export const catboostWriter = nativeFileWriter({
  name: 'catboost',
  file: 'a CatBoost model saved with save_model: the binary .cbm (format="cbm") or JSON (format="json")',
  target: (modelFile) => ({ name: 'model.cb', kinds: isJson(modelFile) ? ['json'] : ['catboost-binary'] }),
  library: { distributions: ['catboost'], versionKey: 'catboost_version' },
  modelTypes: MODEL_TYPES,
  section: (_target, _facts, source) => ({ model_type: source.modelType!, save_format: isJson(source.modelFile) ? 'json' : 'cbm' }),
  infersSignature: true,
});
