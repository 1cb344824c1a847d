/**
 * The commands a missing module's error suggests, built from its advice and the run to repeat:
 * the exact lines `mlf models predict` prints under the error.
 */
import { describe, expect, it } from 'vitest';
import { missingModuleFixCommands, missingModuleFixLines, shellQuote, withFixCommands } from '../../src/cli/fix-commands.js';
import { MlfError } from '../../src/errors.js';
import { MissingModuleError } from '../../src/ops/missing-module-advice.js';

const run = { modelArg: 'model', inputArg: 'in.json', repeatArgs: ['--env-manager', 'uv'] };

describe('missingModuleFixLines', () => {
  it('a table knows the distribution: the two commands, in order, and why no version is pinned', () => {
    expect(
      missingModuleFixLines({ kind: 'install', module: 'cv2', distribution: 'opencv-python', source: 'table' }, {}, { modelArg: 'fixtures/models/missing-dep', inputArg: 'in.json', repeatArgs: [] }),
    ).toEqual([
      'Try, in order:',
      '  mlf models predict -m fixtures/models/missing-dep -i in.json --pip-requirements-override opencv-python',
      '  mlf models update-pip-requirements -m fixtures/models/missing-dep add opencv-python',
      '(no version pinned: mlf cannot tell which `opencv-python` the model was built with; write `opencv-python==VERSION` to pin the one you tested)',
    ]);
  });

  it('with a version to pin: PKG==VER in both commands, and where the version comes from', () => {
    expect(missingModuleFixLines({ kind: 'install', module: 'tabulate', distribution: 'tabulate', source: 'table', version: '0.10.0' }, {}, { ...run, modelArg: 'm', repeatArgs: [] })).toEqual([
      'Try, in order:',
      '  mlf models predict -m m -i in.json --pip-requirements-override tabulate==0.10.0',
      '  mlf models update-pip-requirements -m m add tabulate==0.10.0',
      '(tabulate 0.10.0 is the version an install would pick today; pin the one you tested if it differs)',
    ]);
  });

  it('mlflow itself missing: --install-mlflow', () => {
    expect(missingModuleFixLines({ kind: 'install', module: 'mlflow', distribution: 'mlflow', source: 'table' }, {}, run).at(-1)).toBe(
      'This model needs mlflow itself to load: add --install-mlflow to install it into the environment.',
    );
  });

  it('local code: the code_paths advice, no override proposed', () => {
    const lines = missingModuleFixLines({ kind: 'local-code', module: 'textfeat', indexChecked: true }, {}, run);
    expect(lines).toEqual([
      'Re-save the model with the module as a code path, so that MLflow copies it into code/:',
      '  MLflow: save_model(..., code_paths=["textfeat.py"])   (or the package directory, code_paths=["textfeat"])',
      '  mlf:    mlf models package ... --code-path textfeat.py',
      'If `textfeat` is a published package, add the distribution that installs it by its real name: mlf models update-pip-requirements -m model add NAME==VERSION',
    ]);
    expect(lines.join('\n')).not.toMatch(/--pip-requirements-override/);
  });

  it('listed, with --env-manager local: install into that interpreter or use an isolated manager, never `add`', () => {
    const lines = missingModuleFixLines(
      { kind: 'listed', module: 'skops', distribution: 'skops', requirement: 'skops==0.16.0', origin: 'requirements.txt:4' },
      { localPython: '/usr/bin/python3' },
      { ...run, repeatArgs: ['--env-manager', 'local'] },
    );
    expect(lines).toEqual(['Try one of:', '  /usr/bin/python3 -m pip install skops==0.16.0', '  mlf models predict -m model -i in.json --env-manager uv']);
    expect(lines.join('\n')).not.toMatch(/update-pip-requirements|--pip-requirements-override/);
  });

  it('listed, in an isolated environment: how to rebuild it, nothing added', () => {
    const lines = missingModuleFixLines(
      { kind: 'listed', module: 'google.cloud', distribution: 'protobuf', requirement: 'protobuf==5.0', origin: 'requirements.txt:2' },
      { envDir: '/cache/uv-1' },
      run,
    );
    expect(lines).toEqual(['Check which distribution installs `google`; if the environment is damaged, remove it (`rm -rf /cache/uv-1`) and run again to rebuild it.']);
  });

  it('index-vouched: suggested pinned', () => {
    expect(missingModuleFixLines({ kind: 'install', module: 'textfeat', distribution: 'textfeat', source: 'index', version: '0.1' }, {}, run).slice(0, 3)).toEqual([
      'Try, in order:',
      '  mlf models predict -m model -i in.json --env-manager uv --pip-requirements-override textfeat==0.1',
      '  mlf models update-pip-requirements -m model add textfeat==0.1',
    ]);
  });
});

describe('missingModuleFixCommands', () => {
  it("repeats the run's flags, pins a known version and quotes what the shell would split", () => {
    expect(
      missingModuleFixCommands({ distribution: 'opencv-python', version: '4.8.0' }, { modelArg: 'my models/m1', inputArg: 'in.csv', repeatArgs: ['-t', 'csv', '--env-manager', 'uv'] }),
    ).toEqual([
      "mlf models predict -m 'my models/m1' -i in.csv -t csv --env-manager uv --pip-requirements-override opencv-python==4.8.0",
      "mlf models update-pip-requirements -m 'my models/m1' add opencv-python==4.8.0",
    ]);
  });

  it('with the local manager, the first command installs into the local Python (mlf refuses overrides there)', () => {
    expect(missingModuleFixCommands({ distribution: 'pyyaml', localPython: '/usr/bin/python3' }, { modelArg: 'm', inputArg: 'i.json', repeatArgs: ['--env-manager', 'local'] })).toEqual([
      '/usr/bin/python3 -m pip install pyyaml',
      'mlf models update-pip-requirements -m m add pyyaml',
    ]);
  });

  it.each([
    ['plain', 'plain'],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['pkg>=1,<2', "'pkg>=1,<2'"],
    ['', "''"],
  ])('shellQuote(%j) = %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });
});

describe('withFixCommands', () => {
  it('adds the lines under a MISSING_MODULE error and keeps the rest of it', () => {
    const cause = new Error('the Python traceback');
    const advised = new MissingModuleError({ kind: 'install', module: 'cv2', distribution: 'opencv-python', source: 'table' }, { stage: 'load', pythonMessage: "ModuleNotFoundError: No module named 'cv2'" });
    advised.cause = cause;
    const error = withFixCommands(advised, run) as MlfError;
    expect([error.code, error.message, error.hint, error.data, error.cause]).toEqual([advised.code, advised.message, advised.hint, advised.data, cause]);
    expect(error.detail?.split('\n')[0]).toBe('Try, in order:');
  });

  it('leaves any other error alone', () => {
    const other = new MlfError('input', 'BAD_INPUT', 'bad');
    expect(withFixCommands(other, run)).toBe(other);
  });
});
