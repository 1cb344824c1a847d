import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCondaEnv } from '../../src/model/conda-env.js';
import {
  buildPythonEnv,
  parsePythonEnv,
  pythonEnvFromConda,
  serializePythonEnv,
} from '../../src/model/python-env.js';
import { catchMlfError } from '../support/errors.js';

const MLFLOW_PYTHON_ENV = `python: 3.10.12
build_dependencies:
- pip==24.0
- setuptools==69.5.1
- wheel==0.43.0
dependencies:
- -r requirements.txt
`;


describe('parsePythonEnv / serializePythonEnv', () => {
  it('reads and writes what MLflow writes (mlflow-format.md §2.2)', () => {
    const { document, warnings } = parsePythonEnv(MLFLOW_PYTHON_ENV);
    expect(document).toEqual({
      python: '3.10.12',
      build_dependencies: ['pip==24.0', 'setuptools==69.5.1', 'wheel==0.43.0'],
      dependencies: ['-r requirements.txt'],
    });
    expect(warnings).toEqual([]);
    expect(serializePythonEnv(document)).toBe(MLFLOW_PYTHON_ENV);
  });

  it('writes the keys in MLflow order and leaves falsy values out', () => {
    expect(serializePythonEnv({ dependencies: ['-r requirements.txt'], build_dependencies: [], python: '3.11.7' })).toBe(
      'python: 3.11.7\ndependencies:\n- -r requirements.txt\n',
    );
    expect(serializePythonEnv({ python: '3.10', dependencies: null })).toBe("python: '3.10'\n");
  });

  it('builds what _PythonEnv.current() writes', () => {
    expect(
      serializePythonEnv(buildPythonEnv({ python: '3.10.12', buildDependencies: ['pip==24.0', 'setuptools==69.5.1', 'wheel==0.43.0'] })),
    ).toBe(MLFLOW_PYTHON_ENV);
  });

  it.each([
    ['python: 3.10\n', 'Invalid field `python` in `python_env.yaml`: expected a string, got a float (`3.1`)', 'Quote the version so YAML reads it as a string: `python: "3.10"`'],
    ['python: 3.9  # comment\n', 'Invalid field `python` in `python_env.yaml`: expected a string, got a float (`3.9`)', 'Quote the version so YAML reads it as a string: `python: "3.9"`'],
    ['python: 3\n', 'Invalid field `python` in `python_env.yaml`: expected a string, got an integer (`3`)', 'Quote the version so YAML reads it as a string: `python: "3"`'],
  ])('rejects a non-string python %j with the fix', (text, message, hint) => {
    const error = catchMlfError(() => parsePythonEnv(text));
    expect(error.code).toBe('INVALID_PYTHON_ENV');
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
    expect(error.location).toMatchObject({ file: 'python_env.yaml', line: 1, field: 'python' });
    expect(error.exitCode).toBe(2);
  });

  it.each([
    ['python: 3.10.12\nbuild_dependencies: pip\n', 'Invalid field `build_dependencies` in `python_env.yaml`: expected a list, got a string (`pip`)', 2],
    ['python: 3.10.12\ndependencies:\n- -r requirements.txt\n- 3.5\n', 'Invalid field `dependencies.1` in `python_env.yaml`: expected a string, got a float (`3.5`)', 4],
    ['- python\n', '`python_env.yaml` must be a mapping, got a list', undefined],
  ])('rejects %j', (text, message, line) => {
    const error = catchMlfError(() => parsePythonEnv(text));
    expect(error.message).toBe(message);
    expect(error.location.line).toBe(line);
  });

  it('keeps unknown keys and warns that MLflow fails on them', () => {
    const text = 'python: 3.10.12\ndependencies:\n- -r requirements.txt\nextra: 1\n';
    const parsed = parsePythonEnv(text);
    expect(parsed.warnings).toEqual([
      {
        code: 'PYTHON_ENV_UNKNOWN_KEY',
        message: '`python_env.yaml` has an unknown key `extra`; MLflow fails to load it (expected only `python`, `build_dependencies`, `dependencies`)',
        field: 'extra',
        line: 4,
      },
    ]);
    expect(serializePythonEnv(parsed.document)).toBe(text);
  });
});

interface FromCondaCase {
  name: string;
  conda: string;
  result?: { python: string; build_dependencies: string[] | null; dependencies: string[] | null };
  error?: string;
}
const fromCondaCases = JSON.parse(
  readFileSync(new URL('./cases/python-env-from-conda-cases.json', import.meta.url), 'utf8'),
) as FromCondaCase[];

describe('pythonEnvFromConda matches MLflow get_dependencies_from_conda_yaml', () => {
  it.each(fromCondaCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const conda = parseCondaEnv(c.conda);
    if (c.error !== undefined) {
      // MLflow prints values with Python's repr; mlf puts them in backticks.
      const expected = c.error
        .replace(/^Invalid dependency for python: (\S+)\./, 'Invalid dependency for python: `$1`.')
        .replace(/comparator for python: '([^']+)'/, 'comparator for python: `$1`')
        .replace(/^Invalid conda dependency: \{'foo': \['a'\]\}/, 'Invalid conda dependency: `{"foo":["a"]}`');
      const error = catchMlfError(() => pythonEnvFromConda(conda.document, { hasRequirementsFile: false, yaml: conda.yaml }));
      expect(error.message).toBe(expected);
      expect(error.location.file).toBe('conda.yaml');
      expect(error.location.line).toBeGreaterThan(1);
      return;
    }
    const result = c.result!;
    const { document, warnings } = pythonEnvFromConda(conda.document, { hasRequirementsFile: false });
    // MLflow substitutes its own interpreter's version when conda.yaml pins none (3.11.7 here).
    const noPython = !/^- python[=<>!]/m.test(c.conda);
    expect(document.python).toBe(noPython ? undefined : result.python);
    expect(document.build_dependencies).toEqual(result.build_dependencies ?? []);
    expect(document.dependencies).toEqual(result.dependencies ?? []);
    expect(warnings.map((w) => w.code)).toEqual([
      ...(noPython ? ['CONDA_PYTHON_MISSING'] : []),
      ...(c.name === 'other conda deps' ? ['CONDA_DEPENDENCIES_NOT_INSTALLED'] : []),
    ]);
  });

  it('uses -r requirements.txt when the model has requirements.txt (_get_python_env)', () => {
    const conda = parseCondaEnv('dependencies:\n- python=3.9.1\n- pip:\n  - a\n').document;
    expect(pythonEnvFromConda(conda, { hasRequirementsFile: true }).document).toEqual({
      python: '3.9.1',
      build_dependencies: [],
      dependencies: ['-r requirements.txt'],
    });
  });

  it('names the conda deps that will not be installed', () => {
    const conda = parseCondaEnv('dependencies:\n- python=3.9\n- numpy=1.21\n- cudatoolkit\n').document;
    expect(pythonEnvFromConda(conda, { hasRequirementsFile: true }).warnings).toEqual([
      {
        code: 'CONDA_DEPENDENCIES_NOT_INSTALLED',
        message: 'The following conda dependencies will not be installed in the resulting environment: `numpy=1.21`, `cudatoolkit`',
        field: 'dependencies',
      },
    ]);
  });
});
