import { describe, expect, it } from 'vitest';
import { interpreterFacts as facts } from '../support/interpreter-facts.js';
import { inferRequirements, localLabelWarning, pinFlavorDefaults, type ModuleReference } from '../../src/package/infer.js';
import { MlfError } from '../../src/errors.js';

const noLocal = () => undefined;
const names = (result: ReturnType<typeof inferRequirements>) => result.requirements.map((r) => r.requirement);

describe('inferRequirements', () => {
  it.each<{ name: string; refs: ModuleReference[]; expected: string[] }>([
    {
      name: 'pickle globals map through packages_distributions; numpy stays (a direct mlflow dependency)',
      refs: [
        { module: 'sklearn.linear_model._logistic', name: 'LogisticRegression', source: 'pickle', file: 'model.pkl' },
        { module: 'numpy._core.multiarray', name: '_reconstruct', source: 'pickle', file: 'model.pkl' },
      ],
      expected: ['numpy==2.4.6', 'scikit-learn==1.9.1'],
    },
    {
      name: 'a package required by another found package is pruned (joblib by scikit-learn)',
      refs: [
        { module: 'sklearn', source: 'capture' },
        { module: 'joblib', source: 'capture' },
        { module: 'threadpoolctl', source: 'capture' },
      ],
      expected: ['scikit-learn==1.9.1'],
    },
    {
      name: 'standard library, mlflow and setuptools are left out',
      refs: [
        { module: 'os.path', source: 'import', file: 'model.py', line: 1 },
        { module: 'mlflow.pyfunc', source: 'import', file: 'model.py', line: 2 },
        { module: 'pkg_resources', source: 'import', file: 'model.py', line: 3 },
        { module: '__builtin__', name: 'set', source: 'pickle', file: 'model.pkl' },
        { module: 'copy_reg', name: '_reconstructor', source: 'pickle', file: 'model.pkl' },
        { module: 'yaml', source: 'import', file: 'model.py', line: 4 },
      ],
      // MLflow prunes with mlflow in the set: pyyaml comes with mlflow-skinny, and is not one of mlflow's direct dependencies.
      expected: [],
    },
    {
      name: 'yaml alone maps to pyyaml',
      refs: [{ module: 'yaml', source: 'import', file: 'model.py', line: 4 }],
      expected: ['pyyaml==6.0.3'],
    },
    {
      name: "a direct dependency of mlflow stays when mlflow is found too (numpy), what comes only through mlflow-skinny does not (pyyaml)",
      refs: [
        { module: 'mlflow', source: 'capture' },
        { module: 'numpy', source: 'capture' },
        { module: 'yaml', source: 'capture' },
      ],
      expected: ['numpy==2.4.6'],
    },
    {
      name: 'mlflow.gateway maps to the mlflow[gateway] extra',
      refs: [{ module: 'mlflow.gateway.config', source: 'import', file: 'model.py', line: 1 }],
      expected: ['mlflow[gateway]==3.17.2'],
    },
    {
      name: 'a module missing from packages_distributions falls back to the table when installed',
      refs: [{ module: 'cv2', source: 'import', file: 'model.py', line: 7 }],
      expected: ['opencv-python==4.8.0.76'],
    },
    {
      name: 'python-dateutil is pruned under pandas (the win32-only tzdata is not followed)',
      refs: [
        { module: 'pandas', source: 'import', file: 'm.py', line: 1 },
        { module: 'dateutil', source: 'import', file: 'm.py', line: 2 },
      ],
      expected: ['pandas==3.1.1'],
    },
  ])('$name', ({ refs, expected }) => {
    expect(names(inferRequirements({ facts: facts(), references: refs, localModule: noLocal }))).toEqual(expected);
  });

  it('reasons name the file and line or the pickle global', () => {
    const result = inferRequirements({
      facts: facts(),
      references: [
        { module: 'pandas', source: 'import', file: 'core/preprocessing.py', line: 2 },
        { module: 'sklearn.pipeline', name: 'Pipeline', source: 'pickle', file: 'model.pkl' },
        { module: 'sklearn.preprocessing._data', name: 'StandardScaler', source: 'pickle', file: 'model.pkl' },
        { module: 'sklearn.linear_model._base', name: 'LinearRegression', source: 'pickle', file: 'model.pkl' },
      ],
      localModule: noLocal,
    });
    expect(result.requirements.map((r) => [r.requirement, r.reasons])).toEqual([
      ['pandas==3.1.1', ['`core/preprocessing.py:2` imports `pandas`']],
      ['scikit-learn==1.9.1', ['pickle `model.pkl` references `sklearn.pipeline.Pipeline`, `sklearn.preprocessing._data.StandardScaler` and 1 more']],
    ]);
  });

  it('a module no installed distribution provides is a warning naming the module and the file', () => {
    const result = inferRequirements({
      facts: facts(),
      references: [
        { module: 'mlf_fixture_not_installed.widgets', name: 'Widget', source: 'pickle', file: 'model.pkl' },
        { module: 'PIL.Image', source: 'import', file: 'model.py', line: 3 },
      ],
      localModule: noLocal,
    });
    expect(result.requirements).toEqual([]);
    expect(result.warnings.map((w) => [w.code, w.message])).toEqual([
      [
        'MODULE_NOT_INSTALLED',
        '`model.pkl` references `mlf_fixture_not_installed.widgets`, which no distribution installed in `/venv/bin/python` provides; it is not in the requirements: install it there or pass it with `--extra-pip-requirements`',
      ],
      [
        'MODULE_NOT_INSTALLED',
        '`model.py:3` imports `PIL.Image`, which no distribution installed in `/venv/bin/python` provides (it usually comes from `pillow`); it is not in the requirements: install it there or pass it with `--extra-pip-requirements`',
      ],
    ]);
  });

  it('local code is left out; local code the model does not carry is a warning with the fix', () => {
    const result = inferRequirements({
      facts: facts(),
      references: [
        { module: 'core.preprocessing', source: 'import', file: 'model.py', line: 5 },
        { module: 'src.utils', source: 'import', file: 'model.py', line: 6 },
      ],
      localModule: (top) => (top === 'core' ? { path: 'core', packaged: true } : top === 'src' ? { path: 'src', packaged: false } : undefined),
    });
    expect(result.requirements).toEqual([]);
    expect(result.dropped.map((d) => [d.module, d.why])).toEqual([
      ['core', 'local code'],
      ['src', 'local code'],
    ]);
    expect(result.warnings.map((w) => w.message)).toEqual([
      '`model.py:6` imports `src.utils`, local code (`src`) that the model does not carry; pass `--code-path src` or `--infer-code-paths`',
    ]);
  });

  it('a pickle global from __main__ is a warning', () => {
    const result = inferRequirements({
      facts: facts(),
      references: [{ module: '__main__', name: 'MyTransformer', source: 'pickle', file: 'model.pkl' }],
      localModule: noLocal,
    });
    expect(result.warnings[0]!.message).toBe(
      'pickle `model.pkl` references `__main__.MyTransformer`: a class or function defined in the training script cannot be loaded anywhere else; move it into a module and pass that module with `--code-path`',
    );
  });

  it('a local version label is stripped and reported', () => {
    const result = inferRequirements({ facts: facts(), references: [{ module: 'torch', source: 'capture' }], localModule: noLocal });
    expect(result.requirements).toEqual([
      { requirement: 'torch==2.1.0', name: 'torch', version: '2.1.0', installedVersion: '2.1.0+cu118', reasons: ['`torch` was imported while the model loaded and predicted (--capture)'] },
    ]);
    expect(localLabelWarning(result.requirements[0]!)?.message).toBe(
      '`torch` is installed as `2.1.0+cu118`; the requirement is `torch==2.1.0` without the local label `+cu118`, so that it installs from PyPI (pass `--pip-requirements` to keep it)',
    );
  });

  it('pandas older than 2.1.2 brings numpy along, as MLflow does', () => {
    const old = facts({
      distributions: [
        { name: 'pandas', version: '2.0.3', requires: ['numpy>=1.21'] },
        { name: 'numpy', version: '1.26.4', requires: [] },
      ],
      packages_distributions: { pandas: ['pandas'], numpy: ['numpy'] },
    });
    const result = inferRequirements({ facts: old, references: [{ module: 'pandas', source: 'capture' }], localModule: noLocal });
    expect(names(result)).toEqual(['numpy==1.26.4', 'pandas==2.0.3']);
  });
});

describe('pinFlavorDefaults', () => {
  it('pins the installed versions', () => {
    expect(
      pinFlavorDefaults(facts(), [
        { name: 'scikit-learn', reason: 'flavor default' },
        { name: 'cloudpickle', reason: 'flavor default' },
      ], '/venv/bin/python').map((r) => r.requirement),
    ).toEqual(['scikit-learn==1.9.1', 'cloudpickle==3.1.2']);
  });

  it('a default that is not installed is an input error', () => {
    const run = () => pinFlavorDefaults(facts({ distributions: [] }), [{ name: 'cloudpickle', reason: 'every pyfunc model requires cloudpickle' }], '/usr/bin/python3');
    expect(run).toThrow(MlfError);
    expect(run).toThrow('`cloudpickle` is not installed in `/usr/bin/python3`');
  });
});
