import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { flavorWriters, type ModelSource } from '../../../src/package/flavors/index.js';
import { packageModel } from '../../../src/package/package-model.js';
import { float32s, npyOf, pickleOf, pt2ArchiveOf, skopsOf, zipOf } from '../../support/model-bytes.js';
import { tempDir } from '../../support/temp.js';

// The contract every registered flavor writer keeps, table-driven over the registry: packaged
// through `packageModel` with a fake interpreter (no Python), the directory has MLmodel with
// the flavor's section and the python_function section as MLflow 3.17.2's save_model writes
// them (the e2e tests compare whole directories with MLflow's own), the files those sections
// name, and the flavor's default requirements pinned in requirements.txt.

// Keras' backend is read by running `--python`: the fake one answers as Keras with the torch backend would.
vi.mock('../../../src/env/exec.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/env/exec.js')>();
  const runTool: typeof actual.runTool = async (tool, file, args, options) =>
    args.some((arg) => arg.includes('keras.backend.backend()')) ? { stdout: 'torch\n', stderr: '' } as Awaited<ReturnType<typeof actual.runTool>> : actual.runTool(tool, file, args, options);
  return { ...actual, runTool };
});

vi.mock('../../../src/package/interpreter.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/package/interpreter.js')>();
  // Imported when called: the support module imports this one, which is resolved by then.
  const readInterpreterFacts = async () => {
    const support = await import('../../support/interpreter-facts.js');
    // The flavor libraries, xgboost as `xgboost-cpu` only (the same module; MLflow pins `xgboost`).
    const libraries = [
      { name: 'xgboost-cpu', version: '3.2.0', requires: ['numpy'] },
      { name: 'lightgbm', version: '4.7.0', requires: ['numpy>=1.17.0', 'scipy'] },
      { name: 'catboost', version: '1.2.10', requires: ['numpy', 'pandas', 'scipy'] },
      { name: 'statsmodels', version: '0.15.0', requires: ['numpy>=1.22.3', 'scipy>=1.8', 'pandas>=1.4'] },
      { name: 'onnx', version: '1.23.2', requires: ['numpy>=1.22', 'protobuf>=4.25.1'] },
      { name: 'onnxruntime', version: '1.32.0', requires: ['numpy>=1.21.6'] },
      { name: 'keras', version: '3.15.1', requires: ['numpy', 'h5py'] },
      // TensorFlow as `tensorflow-cpu` only (the same module; MLflow pins `tensorflow` at its version).
      { name: 'tensorflow-cpu', version: '2.21.0', requires: ['keras>=3.10.0', 'numpy>=1.26.0'] },
      { name: 'skops', version: '0.16.0', requires: ['numpy>=1.25.2', 'scikit-learn>=1.1'] },
    ];
    return support.interpreterFacts({ mlflow_sklearn_skops: true, distributions: [...support.rawInterpreterFacts().distributions, ...libraries] });
  };
  return { ...actual, readInterpreterFacts };
});

/** A protocol 0 pickle that references `sklearn.linear_model.LogisticRegression` (GLOBAL, EMPTY_TUPLE, NEWOBJ, STOP). */
const PICKLE = 'csklearn.linear_model\nLogisticRegression\n)\x81.';
/** Files of each flavor's own kind (what `mlf models validate` checks them for): UBJSON, LightGBM text, a ModelProto, a statsmodels pickle, a skops zip. */
const UBJ = '{L\x00\x00\x00\x00\x00\x00\x00\x07learner{}}';
const LGB_TEXT = 'tree\nversion=v4\nnum_class=1\n';
const ONNX = '\x08\x08\x3a\x00';
const CBM = 'CBM1\x00\x00\x00\x00';
/** What torch.save writes for a module: a zip whose one folder holds the pickled tree (`data.pkl`). */
const TORCH_SAVE = zipOf({ 'model/data.pkl': pickleOf('torch.nn.modules.linear', 'Linear'), 'model/version': '3\n' }).toString('latin1');
/** A `.keras` archive: a zip with the model's config. */
const KERAS = zipOf({ 'metadata.json': '{"keras_version": "3.15.1"}', 'config.json': '{}' }).toString('latin1');
const STATSMODELS_PICKLE = 'cstatsmodels.regression.linear_model\nRegressionResultsWrapper\n)\x81.';
const SKOPS = skopsOf('sklearn.linear_model._logistic', 'LogisticRegression').toString('latin1');

interface Sample {
  source: ModelSource;
  /** The files the source names, written into the working directory. */
  files: Record<string, string>;
  /** MLmodel's sections as MLflow writes them for this source (without `code/`); `WORK` is the working directory. */
  pyfunc: Record<string, unknown>;
  flavor?: { name: string; section: Record<string, unknown> };
  /** requirements.txt without code paths. */
  requirements: string[];
}

// One row per registered kind (a test below fails when a writer has none).
const SAMPLES: Record<ModelSource['kind'], Sample> = {
  sklearn: {
    source: { kind: 'sklearn', modelFile: 'model.pkl', serializationFormat: 'cloudpickle' },
    files: { 'model.pkl': PICKLE },
    pyfunc: { loader_module: 'mlflow.sklearn', model_path: 'model.pkl', predict_fn: 'predict' },
    flavor: {
      name: 'sklearn',
      section: { pickled_model: 'model.pkl', sklearn_version: '1.9.1', serialization_format: 'cloudpickle', code: null, skops_trusted_types: null },
    },
    requirements: ['mlflow==3.17.2', 'cloudpickle==3.1.2', 'scikit-learn==1.9.1'],
  },
  xgboost: {
    source: { kind: 'xgboost', modelFile: 'booster.ubj', modelType: 'Booster' },
    files: { 'booster.ubj': UBJ },
    pyfunc: { loader_module: 'mlflow.xgboost', data: 'model.ubj' },
    flavor: { name: 'xgboost', section: { code: null, data: 'model.ubj', model_class: 'xgboost.core.Booster', model_format: 'ubj', xgb_version: '3.2.0' } },
    requirements: ['mlflow==3.17.2', 'xgboost==3.2.0'],
  },
  lightgbm: {
    source: { kind: 'lightgbm', modelFile: 'booster.txt' },
    files: { 'booster.txt': LGB_TEXT },
    pyfunc: { loader_module: 'mlflow.lightgbm', data: 'model.lgb' },
    flavor: {
      name: 'lightgbm',
      section: {
        code: null,
        data: 'model.lgb',
        lgb_version: '4.7.0',
        model_class: 'lightgbm.basic.Booster',
        serialization_format: 'skops',
        skops_trusted_types: ['collections.OrderedDict', 'lightgbm.basic.Booster', 'lightgbm.sklearn.LGBMClassifier', 'lightgbm.sklearn.LGBMRegressor'],
      },
    },
    requirements: ['mlflow==3.17.2', 'lightgbm==4.7.0'],
  },
  catboost: {
    source: { kind: 'catboost', modelFile: 'model.cbm', modelType: 'CatBoostClassifier' },
    files: { 'model.cbm': CBM },
    pyfunc: { loader_module: 'mlflow.catboost', data: 'model.cb' },
    flavor: { name: 'catboost', section: { catboost_version: '1.2.10', code: null, data: 'model.cb', model_type: 'CatBoostClassifier', save_format: 'cbm' } },
    requirements: ['mlflow==3.17.2', 'catboost==1.2.10'],
  },
  statsmodels: {
    source: { kind: 'statsmodels', modelFile: 'results.pickle' },
    files: { 'results.pickle': STATSMODELS_PICKLE },
    pyfunc: { loader_module: 'mlflow.statsmodels', data: 'model.statsmodels' },
    flavor: { name: 'statsmodels', section: { code: null, data: 'model.statsmodels', statsmodels_version: '0.15.0' } },
    requirements: ['mlflow==3.17.2', 'statsmodels==0.15.0'],
  },
  onnx: {
    source: { kind: 'onnx', modelFile: 'model.onnx' },
    files: { 'model.onnx': ONNX },
    pyfunc: { loader_module: 'mlflow.onnx', data: 'model.onnx' },
    flavor: {
      name: 'onnx',
      section: { code: null, data: 'model.onnx', onnx_session_options: null, onnx_version: '1.23.2', providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'] },
    },
    requirements: ['mlflow==3.17.2', 'onnx==1.23.2', 'onnxruntime==1.32.0'],
  },
  pytorch: {
    source: { kind: 'pytorch', modelFile: 'model.pth' },
    files: { 'model.pth': TORCH_SAVE },
    pyfunc: { loader_module: 'mlflow.pytorch', data: 'data', pickle_module_name: 'mlflow.pytorch.pickle_module', config: { device: null } },
    flavor: { name: 'pytorch', section: { code: null, model_data: 'data', pytorch_version: '2.1.0+cu118' } },
    // The local label stripped, as for every requirement (README: `mlf models package`), as in the section it is not.
    requirements: ['mlflow==3.17.2', 'cloudpickle==3.1.2', 'torch==2.1.0'],
  },
  keras: {
    source: { kind: 'keras', modelFile: 'model.keras' },
    files: { 'model.keras': KERAS },
    pyfunc: { loader_module: 'mlflow.keras' },
    flavor: { name: 'keras', section: { data: 'data', keras_backend: 'torch', keras_version: '3.15.1', save_exported_model: false } },
    requirements: ['mlflow==3.17.2', 'keras==3.15.1'],
  },
  tensorflow: {
    source: { kind: 'tensorflow', modelFile: 'model.keras' },
    files: { 'model.keras': KERAS },
    pyfunc: { loader_module: 'mlflow.tensorflow', data: 'data' },
    flavor: { name: 'tensorflow', section: { code: null, data: 'data', keras_version: '2.21.0', model_type: 'keras', save_format: 'tf' } },
    requirements: ['mlflow==3.17.2', 'cloudpickle==3.1.2', 'tensorflow==2.21.0'],
  },
  'python-model': {
    source: { kind: 'python-model', modelFile: 'model.py' },
    files: { 'model.py': 'import mlflow\nmlflow.models.set_model(None)\n' },
    pyfunc: {
      loader_module: 'mlflow.pyfunc.loaders.code_model',
      model_code_path: 'WORK/model.py',
      cloudpickle_version: '3.1.2',
      streamable: false,
      code: null,
    },
    requirements: ['mlflow==3.17.2', 'cloudpickle==3.1.2'],
  },
  'loader-module': {
    source: { kind: 'loader-module', loaderModule: 'custom_loader', dataPath: 'weights.json' },
    files: { 'custom_loader.py': 'def _load_pyfunc(path):\n    return None\n', 'weights.json': '{}' },
    pyfunc: { loader_module: 'custom_loader', data: 'data/weights.json', streamable: false, code: null },
    requirements: ['mlflow==3.17.2', 'cloudpickle==3.1.2'],
  },
};

const CODE_FILE = 'helpers.py';

async function packageSample(sample: Sample, withCode: boolean, options: { inputExample?: string; signature?: string; noSignature?: boolean } = {}, extraFiles: Record<string, string> = {}) {
  const cwd = tempDir('mlf-flavor-');
  for (const [name, text] of Object.entries({ ...sample.files, ...extraFiles, [CODE_FILE]: 'X = 1\n' })) {
    mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true });
    writeFileSync(path.join(cwd, name), text, 'latin1');
  }
  const result = await packageModel({
    cwd,
    env: {},
    outDir: 'out',
    source: sample.source,
    codePaths: withCode ? [CODE_FILE] : [],
    inferCodePaths: false,
    noSignature: false,
    python: '/venv/bin/python',
    capture: false,
    lock: 'off',
    hashes: false,
    metadata: {},
    force: false,
    now: () => new Date('2025-01-02T03:04:05.000Z'),
    newUuid: () => 'f'.repeat(32),
    ...options,
  });
  const mlmodel = parseYaml(readFileSync(path.join(result.outDir, 'MLmodel'), 'utf8')) as { flavors: Record<string, Record<string, unknown>>; model_size_bytes?: number };
  return { cwd, out: result.outDir, result, mlmodel };
}

describe('the flavor writers registry', () => {
  it('has one sample per registered writer, and kinds are unique', () => {
    const kinds = flavorWriters.map((writer) => writer.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  const rows = flavorWriters.map((writer) => [writer.kind, writer, SAMPLES[writer.kind]] as const);

  describe.each(rows)('%s', (_kind, writer, sample) => {
    it('writes MLmodel with the flavor section and the python_function section MLflow writes', async () => {
      const { cwd, mlmodel } = await packageSample(sample, false);
      const pyfunc = JSON.parse(JSON.stringify(sample.pyfunc).replaceAll('WORK', cwd));
      expect(mlmodel.flavors.python_function).toEqual({
        ...pyfunc,
        python_version: '3.11.7',
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      });
      expect(Object.keys(mlmodel.flavors).sort()).toEqual([...(sample.flavor ? [sample.flavor.name] : []), 'python_function'].sort());
      if (sample.flavor) expect(mlmodel.flavors[sample.flavor.name]).toEqual(sample.flavor.section);
      // A flavor's own section exists exactly when the writer follows a flavor's save_model.
      expect(sample.flavor !== undefined).toBe(writer.layout === 'flavor');
    });

    it('writes the files MLmodel names, and the default requirements pinned', async () => {
      const { out, result, mlmodel } = await packageSample(sample, false);
      const pyfunc = mlmodel.flavors.python_function!;
      for (const key of ['model_path', 'data'] as const) {
        if (typeof pyfunc[key] === 'string') expect(existsSync(path.join(out, pyfunc[key] as string)), key).toBe(true);
      }
      expect(readFileSync(path.join(out, 'requirements.txt'), 'utf8').split('\n')).toEqual(sample.requirements);
      for (const item of writer.defaultRequirements(sample.source as never)) {
        expect(item.reason).toMatch(/^flavor default: /);
        expect(result.requirements.some((r) => r.requirement.startsWith(`${item.name}==`) && r.reasons.includes(item.reason))).toBe(true);
      }
      expect(result.files).toEqual(expect.arrayContaining(['MLmodel', 'conda.yaml', 'python_env.yaml', 'requirements.txt']));
    });

    it('puts code paths where its save_model does: `code` in both sections, counted in the size only for a flavor', async () => {
      if (writer.takesCodePaths === false) {
        await expect(packageSample(sample, true)).rejects.toThrow(`\`mlflow.${writer.kind}.save_model\` takes no code paths`);
        return;
      }
      const without = await packageSample(sample, false);
      const withCode = await packageSample(sample, true);
      expect(withCode.mlmodel.flavors.python_function!.code).toBe('code');
      if (sample.flavor) expect(withCode.mlmodel.flavors[sample.flavor.name]!.code).toBe('code');
      expect(existsSync(path.join(withCode.out, 'code', CODE_FILE))).toBe(true);
      const codeSize = statSync(path.join(withCode.out, 'code', CODE_FILE)).size;
      const sizeDelta = (withCode.mlmodel.model_size_bytes ?? 0) - (without.mlmodel.model_size_bytes ?? 0);
      expect(sizeDelta).toBe(writer.layout === 'flavor' ? codeSize : 0);
    });
  });
});

describe('lightgbm: the file tells a Booster from a scikit-learn-API estimator', () => {
  const LGBM_SKOPS = skopsOf('lightgbm.sklearn', 'LGBMClassifier').toString('latin1');
  const LGBM_PICKLE = pickleOf('lightgbm.sklearn', 'LGBMRegressor').toString('latin1');

  it.each([
    ['a skops file', { kind: 'lightgbm', modelFile: 'model.skops' }, { 'model.skops': LGBM_SKOPS }, 'model.skops', 'lightgbm.sklearn.LGBMClassifier', 'skops', ['skops==0.16.0']],
    ['a pickle (cloudpickle, the default)', { kind: 'lightgbm', modelFile: 'model.pkl' }, { 'model.pkl': LGBM_PICKLE }, 'model.pkl', 'lightgbm.sklearn.LGBMRegressor', 'cloudpickle', ['cloudpickle==3.1.2']],
    ['a pickle (pickle)', { kind: 'lightgbm', modelFile: 'model.pkl', serializationFormat: 'pickle' }, { 'model.pkl': LGBM_PICKLE }, 'model.pkl', 'lightgbm.sklearn.LGBMRegressor', 'pickle', []],
  ] as const)('%s is written as mlflow.lightgbm.save_model writes the estimator', async (_name, source, files, written, modelClass, format, extra) => {
    const { mlmodel, out } = await packageSample({ source: source as ModelSource, files, pyfunc: {}, requirements: [] }, false);
    expect(mlmodel.flavors.python_function!.data).toBe(written);
    expect(mlmodel.flavors.lightgbm).toMatchObject({ data: written, model_class: modelClass, serialization_format: format, skops_trusted_types: format === 'skops' ? expect.any(Array) : null });
    const requirements = readFileSync(path.join(out, 'requirements.txt'), 'utf8').split('\n');
    for (const line of ['lightgbm==4.7.0', ...extra]) expect(requirements).toContain(line);
    if (format !== 'cloudpickle') expect(requirements.some((line) => line.startsWith('cloudpickle=='))).toBe(false);
  });

  it('refuses a file of another class, and a format its kind is not', async () => {
    const other = { 'model.pkl': pickleOf('sklearn.linear_model', 'LogisticRegression').toString('latin1') };
    await expect(packageSample({ source: { kind: 'lightgbm', modelFile: 'model.pkl' }, files: other, pyfunc: {}, requirements: [] }, false)).rejects.toThrow(
      '`model.pkl` holds `sklearn.linear_model.LogisticRegression`, not a LightGBM scikit-learn-API estimator',
    );
    const skops = { 'model.skops': LGBM_SKOPS };
    await expect(packageSample({ source: { kind: 'lightgbm', modelFile: 'model.skops', serializationFormat: 'pickle' }, files: skops, pyfunc: {}, requirements: [] }, false)).rejects.toThrow(
      '`model.skops` is a skops file (a zip), not `--serialization-format pickle`',
    );
  });
});

describe('keras: mlflow.keras.save_model checks a given signature', () => {
  const keras = flavorWriters.find((writer) => writer.kind === 'keras')!;
  const tensors = (shape: number[]) => ({ inputs: { kind: 'tensors' as const, inputs: [{ kind: 'tensor' as const, dtype: 'float32', shape }] } });

  it('takes tensor inputs with a variable first dimension', () => {
    expect(() => keras.checkSignature!(tensors([-1, 4]), 'sig.json')).not.toThrow();
  });

  it.each([
    ['columns', { inputs: { kind: 'columns' as const, inputs: [{ kind: 'column' as const, type: 'double' as const, name: 'a', required: true }] } }, 'must be of type TensorSpec'],
    ['a fixed batch dimension', tensors([8, 4]), "first dimension should be -1"],
    ['no inputs', { inputs: { kind: 'tensors' as const, inputs: [] } }, 'must contain at least one field'],
  ])('refuses %s, in MLflow\'s words', (_name, signature, message) => {
    expect(() => keras.checkSignature!(signature, 'sig.json')).toThrow(message);
  });
});

describe('tensorflow: mlflow.tensorflow.save_model checks a given or inferred signature', () => {
  const tensorflow = flavorWriters.find((writer) => writer.kind === 'tensorflow')!;
  const sample = SAMPLES.tensorflow;
  const tensors = (shape: number[]) => ({ inputs: { kind: 'tensors' as const, inputs: [{ kind: 'tensor' as const, dtype: 'float32', shape }] } });
  const EXAMPLE = { 'example.json': JSON.stringify({ columns: ['a', 'b'], data: [[1.5, 2.5]] }) };

  it('takes tensor inputs with a variable first dimension', () => {
    expect(() => tensorflow.checkSignature!(tensors([-1, 4]), 'sig.json')).not.toThrow();
  });

  it.each([
    ['columns', { inputs: { kind: 'columns' as const, inputs: [{ kind: 'column' as const, type: 'double' as const, name: 'a', required: true }] } }, 'must be of type TensorSpec'],
    ['a fixed batch dimension', tensors([8, 4]), 'must have a shape in which the first dimension is a variable dimension'],
    ['no inputs', { inputs: { kind: 'tensors' as const, inputs: [] } }, 'must contain at least one field'],
  ])("refuses %s, in MLflow's words", (_name, signature, message) => {
    expect(() => tensorflow.checkSignature!(signature, 'sig.json')).toThrow(message);
  });

  it('a DataFrame example without a signature: the column signature MLflow infers from it is refused, as MLflow refuses it', async () => {
    await expect(packageSample(sample, false, { inputExample: 'example.json' }, EXAMPLE)).rejects.toThrow(
      "`example.json`: All fields in the model signature's input schema must be of type TensorSpec.",
    );
  });

  it('the same example with --no-signature: written, with no signature (as save_model(signature=False))', async () => {
    const { out, mlmodel } = await packageSample(sample, false, { inputExample: 'example.json', noSignature: true }, EXAMPLE);
    expect(mlmodel).not.toHaveProperty('signature');
    expect(existsSync(path.join(out, 'input_example.json'))).toBe(true);
    expect(readFileSync(path.join(out, 'data', 'keras_module.txt'), 'utf8')).toBe('tensorflow.keras');
    expect(readFileSync(path.join(out, 'data', 'save_format.txt'), 'utf8')).toBe('tf');
  });
});

describe('pytorch pt2: a torch.export.save archive with a numpy array example', () => {
  const PROGRAM = pt2ArchiveOf([{ name: 'input', dtype: 7, sizes: ['dyn', 3], hint: 2 }], [{ name: 'softmax', dtype: 7, sizes: ['dyn', 2], hint: 2 }], 'user');
  const EXAMPLE = npyOf('<f4', [2, 3], float32s([0.1, 0.2, 0.3, 1, 2, 3]));

  async function packagePt2(files: Record<string, string | Buffer>, options: Partial<Parameters<typeof packageModel>[0]> = {}) {
    const cwd = tempDir('mlf-pt2-');
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(cwd, name), bytes);
    const result = await packageModel({
      cwd, env: {}, outDir: 'out', source: { kind: 'pytorch', modelFile: 'model.pt2' }, codePaths: [], inferCodePaths: false, noSignature: false,
      python: '/venv/bin/python', capture: false, lock: 'off', hashes: false, metadata: {}, force: false, inputExample: 'example.npy',
      now: () => new Date('2025-01-02T03:04:05.000Z'), newUuid: () => 'f'.repeat(32), ...options,
    });
    const mlmodel = parseYaml(readFileSync(path.join(result.outDir, 'MLmodel'), 'utf8')) as Record<string, unknown> & { flavors: Record<string, Record<string, unknown>> };
    return { result, mlmodel, out: result.outDir };
  }

  it('writes data/model.pt2 (the file as given), no pickle_module_info.txt, the sections MLflow writes for pt2', async () => {
    const { out, mlmodel } = await packagePt2({ 'model.pt2': PROGRAM, 'example.npy': EXAMPLE });
    expect(readFileSync(path.join(out, 'data/model.pt2')).equals(PROGRAM)).toBe(true);
    expect(existsSync(path.join(out, 'data/pickle_module_info.txt'))).toBe(false);
    expect(mlmodel.flavors.pytorch).toEqual({ code: null, model_data: 'data', pytorch_version: '2.1.0+cu118' });
    expect(mlmodel.flavors.python_function).toMatchObject({ loader_module: 'mlflow.pytorch', data: 'data', pickle_module_name: 'mlflow.pytorch.pickle_module', config: { device: null } });
  });

  it('infers the signature as MLflow does: the example\'s dtype and shape with a variable first dimension in, the program\'s output out', async () => {
    const { mlmodel } = await packagePt2({ 'model.pt2': PROGRAM, 'example.npy': EXAMPLE });
    const signature = mlmodel.signature as Record<string, string>;
    expect(JSON.parse(signature.inputs!)).toEqual([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3] } }]);
    expect(JSON.parse(signature.outputs!)).toEqual([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] } }]);
  });

  it('saves the example as an ndarray: input_example.json the nested lists, serving_input_example.json {"inputs": ...}', async () => {
    const { out, mlmodel } = await packagePt2({ 'model.pt2': PROGRAM, 'example.npy': EXAMPLE });
    expect(mlmodel.saved_input_example_info).toEqual({ artifact_path: 'input_example.json', serving_input_path: 'serving_input_example.json', type: 'ndarray' });
    const rows = [[0.1, 0.2, 0.3].map(Math.fround), [1, 2, 3]];
    expect(JSON.parse(readFileSync(path.join(out, 'input_example.json'), 'utf8'))).toEqual(rows);
    expect(JSON.parse(readFileSync(path.join(out, 'serving_input_example.json'), 'utf8'))).toEqual({ inputs: rows });
  });

  it('takes {"inputs": ...} JSON, cast to the program\'s dtype (float32), as the same example', async () => {
    const json = JSON.stringify({ inputs: [[0.1, 0.2, 0.3], [1, 2, 3]] });
    const fromJson = await packagePt2({ 'model.pt2': PROGRAM, 'example.json': json }, { inputExample: 'example.json' });
    const fromNpy = await packagePt2({ 'model.pt2': PROGRAM, 'example.npy': EXAMPLE });
    expect(readFileSync(path.join(fromJson.out, 'input_example.json'), 'utf8')).toBe(readFileSync(path.join(fromNpy.out, 'input_example.json'), 'utf8'));
    expect(fromJson.mlmodel.signature).toEqual(fromNpy.mlmodel.signature);
  });

  it('warns when the program takes one batch size only (MLflow exports a dynamic batch dimension)', async () => {
    const fixed = pt2ArchiveOf([{ name: 'input', dtype: 7, sizes: [2, 3] }], [{ name: 'y', dtype: 7, sizes: [2, 2] }]);
    const { result } = await packagePt2({ 'model.pt2': fixed, 'example.npy': EXAMPLE });
    expect(result.warnings.map((warning) => warning.code)).toContain('PT2_STATIC_BATCH');
  });

  it.each([
    ['no example (MLflow requires one for pt2)', { 'example.npy': EXAMPLE }, { inputExample: undefined }, 'requires an input example for pt2'],
    ['a table example', { 'example.json': '{"columns": ["a"], "data": [[1]]}' }, { inputExample: 'example.json' }, 'is a table, and a pt2 model\'s example must be a numpy array'],
    ['an example of another dtype', { 'example.npy': npyOf('<f8', [2, 3], Buffer.alloc(48)) }, {}, '`example.npy` is float64, and `model.pt2` takes float32'],
    ['an example of another width', { 'example.npy': npyOf('<f4', [2, 4], float32s(Array(8).fill(0))) }, {}, '`example.npy` has shape (2, 4), and `model.pt2` takes (*, 3)'],
    ['--no-signature (MLflow needs a TensorSpec signature for pt2)', { 'example.npy': EXAMPLE }, { noSignature: true }, 'the input signature must be specified using `TensorSpec`'],
    ['--serialization-format pickle', { 'example.npy': EXAMPLE }, { source: { kind: 'pytorch' as const, modelFile: 'model.pt2', serializationFormat: 'pickle' as const } }, '`--serialization-format pickle`, but `model.pt2` is a PT2 archive'],
  ])('refuses %s, before writing anything', async (_name, files, options, message) => {
    await expect(packagePt2({ 'model.pt2': PROGRAM, ...files }, options)).rejects.toThrow(message);
  });

  it('takes a --signature of one TensorSpec input as given, and refuses a column signature in MLflow\'s words', async () => {
    const signature = JSON.stringify({ inputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3] } }], outputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] } }] });
    const { mlmodel } = await packagePt2({ 'model.pt2': PROGRAM, 'example.npy': EXAMPLE, 'sig.json': signature }, { signature: 'sig.json' });
    expect(JSON.parse((mlmodel.signature as Record<string, string>).outputs!)).toEqual(JSON.parse(signature).outputs);
    const columns = JSON.stringify({ inputs: [{ type: 'double', name: 'a', required: true }] });
    await expect(packagePt2({ 'model.pt2': PROGRAM, 'example.npy': EXAMPLE, 'sig.json': columns }, { signature: 'sig.json' })).rejects.toThrow(
      "`sig.json`: Unsupported signature type for the selected serialization format. If the `serialization_format` argument is set to 'pt2', the input signature must be specified using `TensorSpec`.",
    );
  });

  it('asks for --signature when the program returns two tensors (MLflow\'s predict, and so its inference, fails on a tuple)', async () => {
    const pair = pt2ArchiveOf([{ name: 'input', dtype: 7, sizes: ['dyn', 3] }], [{ name: 'a', dtype: 7, sizes: ['dyn', 2] }, { name: 'b', dtype: 7, sizes: ['dyn', 2] }]);
    await expect(packagePt2({ 'model.pt2': pair, 'example.npy': EXAMPLE })).rejects.toThrow('does not return one tensor with a batch dimension');
  });

  it('refuses a program of two inputs, and an array example for a flavor that takes tables', async () => {
    const two = pt2ArchiveOf([{ name: 'a', dtype: 7, sizes: ['dyn', 3] }, { name: 'b', dtype: 7, sizes: ['dyn', 3] }], [{ name: 'y', dtype: 7, sizes: ['dyn', 2] }]);
    await expect(packagePt2({ 'model.pt2': two, 'example.npy': EXAMPLE })).rejects.toThrow('takes 2 input(s); mlf packages a pt2 program of one tensor input');
    await expect(packagePt2({ 'model.pth': Buffer.from(TORCH_SAVE, 'latin1'), 'example.npy': EXAMPLE }, { source: { kind: 'pytorch', modelFile: 'model.pth' } })).rejects.toThrow(
      'mlf packages an array example for `--flavor pytorch` with a pt2 archive only',
    );
  });
});
