/**
 * The flavor rules, one row per flavor as MLflow 3.x's save_model lays its directory out
 * (mlflow/<flavor>/__init__.py): the clean directory passes every rule; each package the
 * flavor's loader needs, removed from requirements.txt and conda.yaml, is one MLF505 naming the
 * flavor and the package; a pin that excludes the version key is MLF506 in both files; a model
 * file of the wrong kind is MLF112. The model files are minimal files of the right kind (magic
 * numbers, a zip with schema.json, a ModelProto with a graph), made in the test: the real
 * libraries' files are checked in test/e2e/validate-flavors.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/validate/engine.js';
import { loadModelFiles } from '../../../src/validate/load.js';
import { tempDir } from '../../support/temp.js';
import { pickleOf, skopsOf, zipOf } from '../../support/model-bytes.js';

interface FlavorCase {
  name: string;
  /** MLmodel's `flavors:` block, indented as MLflow writes it (env and python_version are added). */
  flavors: string;
  files: Record<string, string | Buffer>;
  /** The flavor's requirements as MLflow writes them; mlflow==3.17.2 is always added. */
  requirements: string[];
  /** Distributions whose removal is MLF505 (the flavor's loader imports them). */
  needs: string[];
  /** The requirement whose pin must agree with the version key, and the key. */
  versionKey?: { distribution: string; key: string };
  /** A model file replaced by bytes of another kind: MLF112 on it. */
  wrongKind?: { file: string; bytes: string | Buffer };
}

const PYFUNC_ENV = '    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n';
const ONNX_MODEL = Buffer.from([0x08, 0x08, 0x3a, 0x00]); // ir_version 8, an empty graph
const UBJ_MODEL = Buffer.from('{L\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0007learner{}}', 'latin1');

const CASES: FlavorCase[] = [
  {
    name: 'sklearn (skops)',
    flavors: `  python_function:\n${PYFUNC_ENV}    loader_module: mlflow.sklearn\n    model_path: model.skops\n    predict_fn: predict\n    python_version: 3.11.7\n  sklearn:\n    code: null\n    pickled_model: model.skops\n    serialization_format: skops\n    sklearn_version: 1.9.1\n    skops_trusted_types: null\n`,
    files: { 'model.skops': skopsOf('sklearn.linear_model._logistic', 'LogisticRegression') },
    requirements: ['scikit-learn==1.9.1', 'skops==0.16.0'],
    needs: ['scikit-learn', 'skops'],
    versionKey: { distribution: 'scikit-learn', key: 'sklearn_version' },
    wrongKind: { file: 'model.skops', bytes: pickleOf('sklearn.linear_model._logistic', 'LogisticRegression') },
  },
  {
    name: 'sklearn (cloudpickle)',
    flavors: `  python_function:\n${PYFUNC_ENV}    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    predict_fn: predict\n    python_version: 3.11.7\n  sklearn:\n    code: null\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n    sklearn_version: 1.9.1\n`,
    files: { 'model.pkl': pickleOf('sklearn.linear_model._logistic', 'LogisticRegression') },
    requirements: ['cloudpickle==3.1.2', 'scikit-learn==1.9.1'],
    needs: ['scikit-learn', 'cloudpickle'],
    versionKey: { distribution: 'scikit-learn', key: 'sklearn_version' },
  },
  {
    name: 'sklearn (pickle)',
    flavors: `  python_function:\n${PYFUNC_ENV}    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    predict_fn: predict\n    python_version: 3.11.7\n  sklearn:\n    code: null\n    pickled_model: model.pkl\n    serialization_format: pickle\n    sklearn_version: 1.9.1\n`,
    files: { 'model.pkl': pickleOf('sklearn.linear_model._logistic', 'LogisticRegression') },
    requirements: ['scikit-learn==1.9.1'],
    needs: ['scikit-learn'],
    versionKey: { distribution: 'scikit-learn', key: 'sklearn_version' },
  },
  {
    name: 'xgboost (ubj)',
    flavors: `  python_function:\n    data: model.ubj\n${PYFUNC_ENV}    loader_module: mlflow.xgboost\n    python_version: 3.11.7\n  xgboost:\n    code: null\n    data: model.ubj\n    model_class: xgboost.sklearn.XGBClassifier\n    model_format: ubj\n    xgb_version: 2.1.3\n`,
    files: { 'model.ubj': UBJ_MODEL },
    requirements: ['xgboost==2.1.3'],
    needs: ['xgboost'],
    versionKey: { distribution: 'xgboost', key: 'xgb_version' },
    wrongKind: { file: 'model.ubj', bytes: '{"learner": {}}' },
  },
  {
    name: 'xgboost (json)',
    flavors: `  python_function:\n    data: model.json\n${PYFUNC_ENV}    loader_module: mlflow.xgboost\n    python_version: 3.11.7\n  xgboost:\n    code: null\n    data: model.json\n    model_class: xgboost.core.Booster\n    model_format: json\n    xgb_version: 2.1.3\n`,
    files: { 'model.json': '{"learner": {"attributes": {}}, "version": [2, 1, 3]}' },
    requirements: ['xgboost==2.1.3'],
    needs: ['xgboost'],
    wrongKind: { file: 'model.json', bytes: UBJ_MODEL },
  },
  {
    name: 'lightgbm (Booster)',
    flavors: `  python_function:\n    data: model.lgb\n${PYFUNC_ENV}    loader_module: mlflow.lightgbm\n    python_version: 3.11.7\n  lightgbm:\n    code: null\n    data: model.lgb\n    lgb_version: 4.5.0\n    model_class: lightgbm.basic.Booster\n    serialization_format: skops\n    skops_trusted_types: null\n`,
    files: { 'model.lgb': 'tree\nversion=v4\nnum_class=1\n' },
    requirements: ['lightgbm==4.5.0'],
    needs: ['lightgbm'],
    versionKey: { distribution: 'lightgbm', key: 'lgb_version' },
    wrongKind: { file: 'model.lgb', bytes: zipOf({ 'schema.json': '{}' }) },
  },
  {
    name: 'lightgbm (sklearn API, skops)',
    flavors: `  python_function:\n    data: model.skops\n${PYFUNC_ENV}    loader_module: mlflow.lightgbm\n    python_version: 3.11.7\n  lightgbm:\n    code: null\n    data: model.skops\n    lgb_version: 4.5.0\n    model_class: lightgbm.sklearn.LGBMClassifier\n    serialization_format: skops\n    skops_trusted_types:\n    - lightgbm.basic.Booster\n`,
    files: { 'model.skops': skopsOf('lightgbm.sklearn', 'LGBMClassifier') },
    requirements: ['lightgbm==4.5.0', 'skops==0.16.0'],
    needs: ['lightgbm', 'skops'],
    wrongKind: { file: 'model.skops', bytes: 'tree\nversion=v4\n' },
  },
  {
    name: 'catboost',
    flavors: `  catboost:\n    catboost_version: 1.2.7\n    code: null\n    data: model.cb\n    model_type: CatBoostClassifier\n    save_format: cbm\n  python_function:\n    data: model.cb\n${PYFUNC_ENV}    loader_module: mlflow.catboost\n    python_version: 3.11.7\n`,
    files: { 'model.cb': Buffer.concat([Buffer.from('CBM1', 'latin1'), Buffer.alloc(16)]) },
    requirements: ['catboost==1.2.7'],
    needs: ['catboost'],
    versionKey: { distribution: 'catboost', key: 'catboost_version' },
    wrongKind: { file: 'model.cb', bytes: '{"features_info": {}}' },
  },
  {
    name: 'statsmodels',
    flavors: `  python_function:\n    data: model.statsmodels\n${PYFUNC_ENV}    loader_module: mlflow.statsmodels\n    python_version: 3.11.7\n  statsmodels:\n    code: null\n    data: model.statsmodels\n    statsmodels_version: 0.14.4\n`,
    files: { 'model.statsmodels': pickleOf('statsmodels.regression.linear_model', 'RegressionResultsWrapper') },
    requirements: ['statsmodels==0.14.4'],
    needs: ['statsmodels'],
    versionKey: { distribution: 'statsmodels', key: 'statsmodels_version' },
  },
  {
    name: 'onnx',
    flavors: `  onnx:\n    code: null\n    data: model.onnx\n    onnx_session_options: null\n    onnx_version: 1.17.0\n    providers:\n    - CUDAExecutionProvider\n    - CPUExecutionProvider\n  python_function:\n    data: model.onnx\n${PYFUNC_ENV}    loader_module: mlflow.onnx\n    python_version: 3.11.7\n`,
    files: { 'model.onnx': ONNX_MODEL },
    requirements: ['onnx==1.17.0', 'onnxruntime==1.20.1'],
    needs: ['onnx', 'onnxruntime'],
    versionKey: { distribution: 'onnx', key: 'onnx_version' },
    wrongKind: { file: 'model.onnx', bytes: 'ir_version: 8\ngraph {}\n' },
  },
  {
    name: 'tensorflow (keras model)',
    flavors: `  python_function:\n    data: data\n${PYFUNC_ENV}    loader_module: mlflow.tensorflow\n    python_version: 3.11.7\n  tensorflow:\n    code: null\n    data: data\n    keras_version: 2.18.0\n    model_type: keras\n    save_format: tf\n`,
    files: { 'data/model.keras': zipOf({ 'config.json': '{}', 'metadata.json': '{}' }), 'data/keras_module.txt': 'tensorflow.keras', 'data/save_format.txt': 'tf' },
    // As MLflow 3.17.2 writes them: cloudpickle always (Keras' custom-object registry exists), keras not (TensorFlow's dependency).
    requirements: ['cloudpickle==3.1.2', 'tensorflow==2.18.0'],
    needs: ['tensorflow'],
    versionKey: { distribution: 'tensorflow', key: 'keras_version' },
    wrongKind: { file: 'data/model.keras', bytes: 'not an archive' },
  },
  {
    name: 'keras 3 (tensorflow backend)',
    flavors: `  keras:\n    data: data\n    keras_backend: tensorflow\n    keras_version: 3.7.0\n    save_exported_model: false\n  python_function:\n${PYFUNC_ENV}    loader_module: mlflow.keras\n    python_version: 3.11.7\n`,
    files: { 'data/model.keras': zipOf({ 'config.json': '{}', 'metadata.json': '{}' }), 'data/keras_module.txt': 'keras' },
    requirements: ['keras==3.7.0', 'tensorflow==2.18.0'],
    needs: ['keras', 'tensorflow'],
    versionKey: { distribution: 'keras', key: 'keras_version' },
    wrongKind: { file: 'data/model.keras', bytes: Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) },
  },
  {
    name: 'pytorch (pickled module)',
    flavors: `  python_function:\n    data: data\n${PYFUNC_ENV}    loader_module: mlflow.pytorch\n    model_config:\n      device: null\n    pickle_module_name: mlflow.pytorch.pickle_module\n    python_version: 3.11.7\n  pytorch:\n    code: null\n    model_data: data\n    pytorch_version: 2.5.1+cpu\n`,
    files: { 'data/model.pth': zipOf({ 'archive/data.pkl': pickleOf('torch.nn.modules.linear', 'Linear') }), 'data/pickle_module_info.txt': 'mlflow.pytorch.pickle_module' },
    requirements: ['cloudpickle==3.1.2', 'torch==2.5.1'],
    needs: ['torch', 'cloudpickle'],
    versionKey: { distribution: 'torch', key: 'pytorch_version' },
    wrongKind: { file: 'data/model.pth', bytes: 'not a torch archive' },
  },
  {
    name: 'pyfunc (PythonModel)',
    flavors: `  python_function:\n    cloudpickle_version: 3.1.2\n    code: null\n${PYFUNC_ENV}    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n    python_version: 3.11.7\n    streamable: false\n`,
    files: { 'python_model.pkl': pickleOf('builtins', 'object') },
    requirements: ['cloudpickle==3.1.2'],
    needs: ['cloudpickle'],
  },
];

function writeModel(c: FlavorCase, edit: { requirements?: string[]; files?: Record<string, string | Buffer> } = {}): string {
  const dir = tempDir('mlf-flavor-');
  const requirements = ['mlflow==3.17.2', ...(edit.requirements ?? c.requirements)];
  writeFileSync(path.join(dir, 'MLmodel'), `flavors:\n${c.flavors}mlflow_version: 3.17.2\nmodel_size_bytes: 100\n`);
  writeFileSync(path.join(dir, 'requirements.txt'), requirements.join('\n'));
  writeFileSync(
    path.join(dir, 'conda.yaml'),
    `channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=26.3\n- pip:\n${requirements.map((r) => `  - ${r}\n`).join('')}name: mlflow-env\n`,
  );
  writeFileSync(path.join(dir, 'python_env.yaml'), 'python: 3.11.7\nbuild_dependencies:\n- pip==26.0\n- setuptools==80.9.0\n- wheel==0.45.1\ndependencies:\n- -r requirements.txt\n');
  for (const [file, bytes] of Object.entries({ ...c.files, ...edit.files })) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), bytes);
  }
  return dir;
}

async function diagnosticsOf(dir: string) {
  return (await runRules(await loadModelFiles(dir))).map((d) => ({ code: d.code, file: d.file, line: d.line, message: d.message }));
}

const flavorOf = (c: FlavorCase) => /^ {2}(\w+):/m.exec(c.flavors.replace(/^ {2}python_function:\n(?: {4}.*\n)*/m, ''))?.[1] ?? 'python_function';

describe.each(CASES)('$name', (c) => {
  it('the directory as MLflow writes it passes every rule', async () => {
    expect(await diagnosticsOf(writeModel(c))).toEqual([]);
  });

  it.each(c.needs)('without %s in requirements.txt and conda.yaml: one MLF505 naming the flavor and the package', async (distribution) => {
    const requirements = c.requirements.filter((r) => !r.startsWith(`${distribution}==`));
    const found = await diagnosticsOf(writeModel(c, { requirements }));
    expect(found).toEqual([
      expect.objectContaining({ code: 'MLF505', file: 'requirements.txt', message: expect.stringContaining(`the \`${flavorOf(c)}\` flavor`) }),
    ]);
    expect(found[0]!.message).toContain(`\`requirements.txt\` and \`conda.yaml\` require no \`${distribution}\``);
  });

  // Defined only for the cases that have the thing under test (a flavor version key, a model file
  // with a checkable kind), so that no case shows up as a skipped test.
  if (c.versionKey !== undefined) it('a pin that excludes the version key: MLF506 in requirements.txt and conda.yaml', async () => {
    const { distribution, key } = c.versionKey!;
    const requirements = c.requirements.map((r) => (r.startsWith(`${distribution}==`) ? `${distribution}==0.0.1` : r));
    const found = await diagnosticsOf(writeModel(c, { requirements }));
    expect(found.map((d) => [d.code, d.file])).toEqual([
      ['MLF506', 'conda.yaml'],
      ['MLF506', 'requirements.txt'],
    ]);
    expect(found[1]!.message).toContain(`\`${distribution}==0.0.1\` excludes`);
    expect(found[1]!.message).toContain(`MLmodel \`flavors.${flavorOf(c)}.${key}\``);
  });

  if (c.wrongKind !== undefined) it('a model file of another kind: MLF112 on it', async () => {
    const { file, bytes } = c.wrongKind!;
    const found = await diagnosticsOf(writeModel(c, { files: { [file]: bytes } }));
    expect(found).toEqual([expect.objectContaining({ code: 'MLF112', file })]);
  });
});

describe('flavor files that are missing', () => {
  it('a data directory without the model file the flavor loads: MLF106 naming the candidates', async () => {
    const keras = CASES.find((c) => c.name.startsWith('keras 3'))!;
    const dir = writeModel(keras, { files: {} });
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'data/model.keras'));
    expect(await diagnosticsOf(dir)).toEqual([
      expect.objectContaining({ code: 'MLF106', file: 'MLmodel', message: expect.stringContaining('which holds none of `data/model.keras`') }),
    ]);
  });
});
