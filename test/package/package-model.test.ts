import { describe, expect, it } from 'vitest';
import { modelSourceFromFlags, parseMetadata, formatExplain } from '../../src/cli/commands/package.js';
import { MlfError } from '../../src/errors.js';

describe('the command flags', () => {
  const base = { outputPath: 'out', codePath: [], metadata: [] };

  it.each([
    [{ flavor: 'sklearn', modelFile: 'm.pkl' }, { kind: 'sklearn', modelFile: 'm.pkl', serializationFormat: 'cloudpickle' }],
    [{ flavor: 'sklearn', modelFile: 'm.skops', serializationFormat: 'skops' }, { kind: 'sklearn', modelFile: 'm.skops', serializationFormat: 'skops' }],
    [{ flavor: 'xgboost', modelFile: 'm.ubj' }, { kind: 'xgboost', modelFile: 'm.ubj', modelType: 'Booster' }],
    [{ flavor: 'xgboost', modelFile: 'm.ubj', modelType: 'XGBClassifier' }, { kind: 'xgboost', modelFile: 'm.ubj', modelType: 'XGBClassifier' }],
    [{ flavor: 'lightgbm', modelFile: 'm.txt' }, { kind: 'lightgbm', modelFile: 'm.txt' }],
    [{ flavor: 'lightgbm', modelFile: 'm.pkl', serializationFormat: 'pickle' }, { kind: 'lightgbm', modelFile: 'm.pkl', serializationFormat: 'pickle' }],
    [{ flavor: 'statsmodels', modelFile: 'm.pickle' }, { kind: 'statsmodels', modelFile: 'm.pickle' }],
    [{ flavor: 'onnx', modelFile: 'm.onnx' }, { kind: 'onnx', modelFile: 'm.onnx' }],
    [{ flavor: 'pytorch', modelFile: 'm.pth' }, { kind: 'pytorch', modelFile: 'm.pth' }],
    [{ flavor: 'keras', modelFile: 'm.keras' }, { kind: 'keras', modelFile: 'm.keras' }],
    [{ flavor: 'tensorflow', modelFile: 'm.keras' }, { kind: 'tensorflow', modelFile: 'm.keras' }],
    [{ flavor: 'catboost', modelFile: 'm.cbm', modelType: 'CatBoostRegressor' }, { kind: 'catboost', modelFile: 'm.cbm', modelType: 'CatBoostRegressor' }],
    [{ pythonModel: 'model.py' }, { kind: 'python-model', modelFile: 'model.py' }],
    [{ loaderModule: 'custom_loader', data: 'weights.json' }, { kind: 'loader-module', loaderModule: 'custom_loader', dataPath: 'weights.json' }],
    // The file's content decides the format; a given one is checked against it (writers.test.ts).
    [{ flavor: 'pytorch', modelFile: 'm.pt2' }, { kind: 'pytorch', modelFile: 'm.pt2' }],
    [{ flavor: 'pytorch', modelFile: 'm.pt2', serializationFormat: 'pt2' }, { kind: 'pytorch', modelFile: 'm.pt2', serializationFormat: 'pt2' }],
  ])('%j is %j', (flags, expected) => {
    expect(modelSourceFromFlags({ ...base, ...flags })).toEqual(expected);
  });

  it.each([
    [{ flavor: 'sklearn', modelFile: 'm.pkl', pythonModel: 'model.py' }, 'give exactly one model: `--flavor NAME --model-file FILE`, `--python-model FILE.py` or `--loader-module MODULE --data PATH`'],
    [{ flavor: 'h2o', modelFile: 'm.zip' }, 'flavor `h2o` is not supported; `--flavor` is one of `sklearn`, `xgboost`, `lightgbm`, `catboost`, `statsmodels`, `onnx`, `pytorch`, `keras`, `tensorflow`'],
    [{ flavor: 'catboost', modelFile: 'm.cbm' }, '`--flavor catboost` needs `--model-type CLASS`: the class the model was saved from (`CatBoost`, `CatBoostClassifier`, `CatBoostRegressor`, `CatBoostRanker`), which its file does not record'],
    [{ flavor: 'catboost', modelFile: 'm.cbm', modelType: 'LGBMClassifier' }, '`--model-type LGBMClassifier` is not a catboost model class; use `CatBoost`,'],
    [{ flavor: 'onnx', modelFile: 'm.onnx', modelType: 'CatBoost' }, '`--model-type` is for `--flavor xgboost`, `--flavor catboost`, not `--flavor onnx`'],
    [{ modelFile: 'm.pkl' }, '`--model-file` needs `--flavor NAME`; `--flavor` is one of'],
    [{ flavor: 'xgboost', modelFile: 'm.ubj', serializationFormat: 'skops' }, '`--serialization-format` is for `--flavor sklearn`, `--flavor lightgbm`, `--flavor pytorch`, not `--flavor xgboost`'],
    [{ flavor: 'sklearn', modelFile: 'm.pkl', serializationFormat: 'joblib' }, 'Unrecognized serialization format: `joblib`; use `cloudpickle`, `pickle`, `skops`'],
    [{ flavor: 'pytorch', modelFile: 'm.pt2', serializationFormat: 'torchscript' }, 'Unrecognized serialization format: `torchscript`; use `pickle` or `pt2`'],
    [{ loaderModule: 'custom_loader' }, '`--loader-module MODULE` and `--data PATH` go together'],
  ])('%j is refused', (flags, message) => {
    expect(() => modelSourceFromFlags({ ...base, ...flags })).toThrow(message);
  });

  it('parses --metadata KEY=VALUE, keeping `=` in values', () => {
    expect(parseMetadata(['owner=team-a', 'query=a=b'])).toEqual({ owner: 'team-a', query: 'a=b' });
    expect(() => parseMetadata(['novalue'])).toThrow(MlfError);
  });
});

describe('formatExplain', () => {
  it('lists requirements with reasons, then what was left out', () => {
    const text = formatExplain({
      outDir: '/m',
      files: [],
      mlflowVersion: '3.17.2',
      pythonVersion: '3.11.7',
      python: 'python3',
      requirements: [
        { requirement: 'mlflow==3.17.2', reasons: ['the mlflow pin: MLflow 3.17.2 is installed in `python3`'] },
        { requirement: 'torch==2.1.0', reasons: ['`model.py:1` imports `torch`'] },
      ],
      constraints: [],
      dropped: [
        { module: 'os', why: 'standard library', detail: '' },
        { module: 'json', why: 'standard library', detail: '' },
        { module: 'joblib', why: 'pruned', detail: '`joblib` is required by `scikit-learn`' },
      ],
      strippedLocalLabels: [{ name: 'torch', installed: '2.1.0+cu118', requirement: 'torch==2.1.0' }],
      codeFiles: ['code/core/preprocessing.py'],
      inference: 'inferred',
      warnings: [],
      notes: [],
    });
    expect(text).toBe(
      [
        'requirements.txt (inferred, MLflow 3.17.2, Python 3.11.7 at python3):',
        '  mlflow==3.17.2',
        '      - the mlflow pin: MLflow 3.17.2 is installed in `python3`',
        '  torch==2.1.0',
        '      - `model.py:1` imports `torch`',
        'local version labels stripped:',
        '  torch: installed 2.1.0+cu118, required as torch==2.1.0',
        'left out:',
        '  joblib: `joblib` is required by `scikit-learn`',
        '  standard library: json, os',
        'code:',
        '  code/core/preprocessing.py',
        '',
      ].join('\n'),
    );
  });
});
