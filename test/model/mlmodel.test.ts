import { describe, expect, it } from 'vitest';
import {
  envFileNames,
  formatUtcTimeCreated,
  getPyfuncFlavor,
  newModelUuid,
  parseMlmodel,
  serializeMlmodel,
} from '../../src/model/mlmodel.js';
import { catchMlfError } from '../support/errors.js';

const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.2
mlflow_version: 3.6.0
model_size_bytes: 1234
model_uuid: a369e776349942f4b3040003169aa534
run_id: 0123456789abcdef0123456789abcdef
utc_time_created: '2025-01-02 03:04:05'
`;


describe('parseMlmodel', () => {
  it('reads the typed keys', () => {
    const { document, warnings } = parseMlmodel(SKLEARN_MLMODEL);
    expect(warnings).toEqual([]);
    expect(document.model_size_bytes).toBe(1234);
    expect(document.utc_time_created).toBe('2025-01-02 03:04:05');
    expect(getPyfuncFlavor(document)).toMatchObject({ loader_module: 'mlflow.sklearn', python_version: '3.10.12' });
    expect(serializeMlmodel(document)).toBe(SKLEARN_MLMODEL);
  });

  it('keeps unknown keys at every depth and writes them sorted', () => {
    const text = 'zzz_new: {b: [1, 2.0], a: x}\nflavors:\n  python_function: {loader_module: m, new_key: true}\n  future_flavor: {x: 1}\n';
    const { document } = parseMlmodel(text);
    expect(serializeMlmodel(document)).toBe(
      'flavors:\n  future_flavor:\n    x: 1\n  python_function:\n    loader_module: m\n    new_key: true\nzzz_new:\n  a: x\n  b:\n  - 1\n  - 2.0\n',
    );
  });

  it.each([
    ['env mapping', { conda: 'conda.yaml', virtualenv: 'python_env.yaml' }, { conda: 'conda.yaml', virtualenv: 'python_env.yaml' }],
    ['env string (MLflow < 2.0)', 'my_conda.yaml', { conda: 'my_conda.yaml', virtualenv: 'python_env.yaml' }],
    ['custom names', { conda: 'envs/c.yaml', virtualenv: 'envs/p.yaml' }, { conda: 'envs/c.yaml', virtualenv: 'envs/p.yaml' }],
    ['no env', undefined, { conda: 'conda.yaml', virtualenv: 'python_env.yaml' }],
  ])('envFileNames: %s', (_name, env, expected) => {
    const flavors = { python_function: { loader_module: 'm', ...(env === undefined ? {} : { env }) } };
    expect(envFileNames({ flavors })).toEqual(expected);
  });

  it('envFileNames without a pyfunc flavor', () => {
    expect(envFileNames({ flavors: { sklearn: {} } })).toEqual({ conda: 'conda.yaml', virtualenv: 'python_env.yaml' });
  });

  it('warns when the env mapping lacks a key (MLflow fails with a KeyError there)', () => {
    const { warnings, document } = parseMlmodel('flavors:\n  python_function:\n    env:\n      conda: c.yaml\n    loader_module: m\n');
    expect(warnings).toEqual([
      {
        code: 'PYFUNC_ENV_KEY_MISSING',
        message: '`flavors.python_function.env` has no `virtualenv` entry; MLflow fails on it, mlf uses `python_env.yaml`',
        field: 'flavors.python_function.env.virtualenv',
        line: 3,
      },
    ]);
    expect(envFileNames(document)).toEqual({ conda: 'c.yaml', virtualenv: 'python_env.yaml' });
  });

  it.each([
    ['flavors: [a]\n', 'Invalid field `flavors` in `MLmodel`: expected a mapping of flavor name to its parameters, got a list', 1],
    ['flavors:\n  python_function:\n    env: [conda.yaml]\n', 'Invalid field `flavors.python_function.env` in `MLmodel`: expected a file name or a mapping with `conda` and `virtualenv` file names, got a list', 3],
    ['flavors:\n  python_function:\n    loader_module: 3\n', 'Invalid field `flavors.python_function.loader_module` in `MLmodel`: expected a string, got an integer (`3`)', 3],
    ['flavors:\n  python_function:\n    streamable: "no"\n', 'Invalid field `flavors.python_function.streamable` in `MLmodel`: expected a boolean, got a string (`no`)', 3],
    ['flavors:\n  python_function:\n    python_version: 3.10\n', 'Invalid field `flavors.python_function.python_version` in `MLmodel`: expected a string, got a float (`3.1`)', 3],
    ['model_size_bytes: 12.5\n', 'Invalid field `model_size_bytes` in `MLmodel`: expected an integer, got a float (`12.5`)', 1],
    ['signature:\n  inputs: [1]\n', 'Invalid field `signature.inputs` in `MLmodel`: expected a string, got a list', 2],
    ['saved_input_example_info:\n  type: dataframe\n', 'Invalid field `saved_input_example_info.artifact_path` in `MLmodel`: expected a string, got nothing', 1],
    ['flavors:\n  keras: 3\n', 'Invalid field `flavors.keras` in `MLmodel`: expected a mapping of the flavor parameters, got an integer (`3`)', 2],
    ['flavors:\n  sklearn:\n    sklearn_version: 1.5\n', 'Invalid field `flavors.sklearn.sklearn_version` in `MLmodel`: expected a string, got a float (`1.5`)', 3],
    ['- a\n', '`MLmodel` must be a mapping, got a list', undefined],
    ['flavors:\n  sklearn: {\n', 'Malformed YAML in `MLmodel`: Flow map in block collection must be sufficiently indented and end with a }', 3],
  ])('rejects %j', (text, message, line) => {
    const error = catchMlfError(() => parseMlmodel(text));
    expect(error.message).toBe(message);
    expect(error.location.line).toBe(line);
    expect(error.location.file).toBe('MLmodel');
    expect(error.exitCode).toBe(2);
  });

  it('accepts an empty flavors key, as Model.from_dict does', () => {
    expect(parseMlmodel('flavors:\nmlflow_version: 3.6.0\n').document.flavors).toBeNull();
  });

  it('names the file as given', () => {
    expect(catchMlfError(() => parseMlmodel('flavors: 1\n', 'models/m/MLmodel')).message).toBe(
      'Invalid field `flavors` in `models/m/MLmodel`: expected a mapping of flavor name to its parameters, got an integer (`1`)',
    );
  });
});

describe('values MLflow generates', () => {
  it.each([
    ['2025-01-02T03:04:05.123Z', '2025-01-02 03:04:05.123000'],
    ['2025-01-02T03:04:05.000Z', '2025-01-02 03:04:05'],
    ['0999-12-31T23:59:59.001Z', '0999-12-31 23:59:59.001000'],
  ])('formatUtcTimeCreated(%s) = %s', (iso, expected) => {
    expect(formatUtcTimeCreated(new Date(iso))).toBe(expected);
  });
  it('newModelUuid is uuid4().hex', () => {
    expect(newModelUuid()).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });
});
