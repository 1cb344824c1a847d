import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import {
  buildCondaEnv,
  getChannels,
  getCondaDependencies,
  getPipDependencies,
  parseCondaEnv,
  serializeCondaEnv,
  withChannels,
  withPipDependencies,
} from '../../src/model/conda-env.js';

/** mlflow-format.md §2.1, as `_mlflow_conda_env` writes it. */
const MLFLOW_CONDA = `channels:
- conda-forge
dependencies:
- python=3.10.12
- pip<=24.0
- pip:
  - mlflow==3.6.0
  - cloudpickle==3.1.1
  - scikit-learn==1.5.2
name: mlflow-env
`;

describe('conda.yaml', () => {
  it('round-trips MLflow output and reads the pip list', () => {
    const { document } = parseCondaEnv(MLFLOW_CONDA);
    expect(getPipDependencies(document)).toEqual(['mlflow==3.6.0', 'cloudpickle==3.1.1', 'scikit-learn==1.5.2']);
    expect(getCondaDependencies(document)).toEqual(['python=3.10.12', 'pip<=24.0']);
    expect(getChannels(document)).toEqual(['conda-forge']);
    expect(serializeCondaEnv(document)).toBe(MLFLOW_CONDA);
  });

  it('builds what _mlflow_conda_env builds', () => {
    const document = buildCondaEnv({
      pythonVersion: '3.10.12',
      pipVersion: '24.0',
      pipDependencies: ['mlflow==3.6.0', 'cloudpickle==3.1.1', 'scikit-learn==1.5.2'],
    });
    expect(serializeCondaEnv(document)).toBe(MLFLOW_CONDA);
    expect(serializeCondaEnv(buildCondaEnv({ pythonVersion: '3.11.7', pipDependencies: [] }))).toBe(
      'channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip: []\nname: mlflow-env\n',
    );
    expect(serializeCondaEnv(buildCondaEnv({ pythonVersion: '3.11.7', pipDependencies: ['a'] }))).toContain('- pip\n- pip:\n  - a\n');
  });

  it('replaces the pip list and keeps everything else, unknown keys included (_overwrite_pip_deps)', () => {
    const text = 'channels:\n- defaults\ndependencies:\n- python=3.9\n- pip:\n  - old\nname: env\nprefix: /opt/env\nvariables:\n  A: b\n';
    const updated = withPipDependencies(parseCondaEnv(text).document, ['new==1', '-c constraints.txt']);
    expect(serializeCondaEnv(updated)).toBe(
      'channels:\n- defaults\ndependencies:\n- python=3.9\n- pip:\n  - new==1\n  - -c constraints.txt\nname: env\nprefix: /opt/env\nvariables:\n  A: b\n',
    );
  });

  it('appends a pip entry when there is none', () => {
    const updated = withPipDependencies(parseCondaEnv('dependencies:\n- python=3.9\n').document, ['x']);
    expect(serializeCondaEnv(updated)).toBe('dependencies:\n- python=3.9\n- pip:\n  - x\n');
    expect(getPipDependencies(parseCondaEnv('dependencies:\n- python=3.9\n').document)).toBeUndefined();
  });

  it('replaces channels', () => {
    const updated = withChannels(parseCondaEnv(MLFLOW_CONDA).document, ['conda-forge', 'pytorch']);
    expect(serializeCondaEnv(updated)).toContain('channels:\n- conda-forge\n- pytorch\n');
  });

  it.each([
    ['dependencies: python\n', 'Invalid field `dependencies` in `conda.yaml`: expected a list, got a string (`python`)', 1],
    ['dependencies:\n- python=3.9\n- 3.5\n', 'Invalid field `dependencies.1` in `conda.yaml`: expected a conda package spec (a string) or a mapping like `{pip: [...]}`, got a float (`3.5`)', 3],
    ['dependencies:\n- pip: numpy\n', 'Invalid field `dependencies.0.pip` in `conda.yaml`: expected a list of pip requirements, got a string (`numpy`)', 2],
    ['dependencies:\n- pip:\n  - numpy\n  - 1.0\n', 'Invalid field `dependencies.0.pip.1` in `conda.yaml`: expected a pip requirement (a string), got a float (`1.0`)', 4],
    ['channels: [1]\n', 'Invalid field `channels.0` in `conda.yaml`: expected a string, got an integer (`1`)', 1],
    ['dependencies:\n- pip:\n  - a\n - b\n', 'Malformed YAML in `conda.yaml`: All sequence items must start at the same column', 4],
  ])('rejects %j', (text, message, line) => {
    let error: unknown;
    try {
      parseCondaEnv(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe(message);
    expect((error as MlfError).location.line).toBe(line);
  });
});

describe('conda.yaml warnings', () => {
  it('warns about several pip lists', () => {
    const parsed = parseCondaEnv('dependencies:\n- pip:\n  - a\n- python=3.9\n- pip:\n  - b\n');
    expect(parsed.warnings).toEqual([
      {
        code: 'CONDA_MULTIPLE_PIP_LISTS',
        message: '`conda.yaml` has 2 `pip:` lists; MLflow reads the first in some places and the last in others',
        field: 'dependencies.2',
        line: 5,
      },
    ]);
    expect(getPipDependencies(parsed.document)).toEqual(['a']);
  });
  it('has none for MLflow output', () => {
    expect(parseCondaEnv(MLFLOW_CONDA).warnings).toEqual([]);
  });
});
