import { nativeFileWriter } from './native-model-file.js';

/**
 * `--flavor statsmodels --model-file results.pickle`: a results object saved with its `save`
 * (a pickle), written as `mlflow.statsmodels.save_model` does (mlflow/statsmodels/__init__.py):
 * `model.statsmodels`. The pickle is scanned like sklearn's for its modules.
 */
export const statsmodelsWriter = nativeFileWriter({
  name: 'statsmodels',
  file: 'a statsmodels results object saved with its save() (a pickle)',
  target: () => ({ name: 'model.statsmodels', kinds: ['pickle'] }),
  library: { distributions: ['statsmodels'], versionKey: 'statsmodels_version' },
  section: () => ({}),
  infersSignature: true,
  pickled: true,
});
