import { cpSync, mkdirSync, symlinkSync, writeFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliIsBuilt, fixturesDir, runMlf, tempDir } from '../support/cli.js';

// Every refusal of `mlf models package`: one line on stderr, exit code 2, and no OUT_DIR left
// behind. None of these reach Python, so they need only the built CLI.
const built = cliIsBuilt();

describe.skipIf(!built)(`mlf models package refusals${built ? '' : ' (skipped: run `npm run build`)'}`, () => {
  let project: string;
  let outside: string;

  beforeAll(() => {
    const root = realpathSync(tempDir('mlf-package-refusals-'));
    project = path.join(root, 'project');
    outside = path.join(root, 'outside');
    mkdirSync(project);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'helpers.py'), 'x = 1\n');
    cpSync(path.join(fixturesDir, 'pickles', 'stdlib-p4.pkl'), path.join(project, 'model.pkl'));
    cpSync(path.join(fixturesDir, 'pickles', 'not-a-pickle.txt'), path.join(project, 'data.csv'));
    writeFileSync(path.join(project, 'utils.py'), 'y = 2\n');
    symlinkSync(path.join(outside, 'helpers.py'), path.join(project, 'linked.py'));
    mkdirSync(path.join(project, 'full'));
    writeFileSync(path.join(project, 'full', 'keep.txt'), 'x');
  });

  const sklearn = ['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'model.pkl'];

  it.each([
    { name: 'a code path that does not exist', args: [...sklearn, '--code-path', 'nope.py'], line: 'error: code path `nope.py` does not exist; paths are relative to the working directory' },
    {
      name: 'a code path outside the working directory',
      args: [...sklearn, '--code-path', '../outside/helpers.py'],
      line: 'error: code path `../outside/helpers.py` lies outside the working directory `<project>`; run mlf from the project root, so that the code keeps its place in the package',
    },
    {
      name: 'a code path that is a symlink leading out',
      args: [...sklearn, '--code-path', 'linked.py'],
      line: 'error: code path `linked.py` is a symlink to `<outside>/helpers.py`, outside the working directory; copy the code into the project instead of linking to it',
    },
    {
      name: 'a non-empty OUT_DIR without --force',
      args: ['models', 'package', '-o', 'full', '--flavor', 'sklearn', '--model-file', 'model.pkl'],
      line: 'error: output directory `full` already exists and is not empty; pass `--force` to replace it, or choose another `-o`',
    },
    {
      name: 'a model file that is not a pickle',
      args: ['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'data.csv'],
      line: 'error: data.csv: `data.csv` is not a pickle: unknown opcode `f` (0x66) at byte 0; pass the file written by `pickle.dump`/`cloudpickle.dump` (e.g. `model.pkl`)',
    },
    { name: 'a model file that does not exist', args: ['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'missing.pkl'], line: 'error: model file `missing.pkl` does not exist' },
    {
      name: '--code-path with --infer-code-paths',
      args: [...sklearn, '--code-path', 'utils.py', '--infer-code-paths'],
      line: 'error: `--code-path` and `--infer-code-paths` cannot be used together; MLflow refuses both at once too: pass the paths, or let mlf infer them',
    },
    {
      name: '--pip-requirements with --extra-pip-requirements',
      args: [...sklearn, '--pip-requirements', 'numpy', '--extra-pip-requirements', 'pandas'],
      line: 'error: Only one of `--conda-env`, `--pip-requirements` and `--extra-pip-requirements` can be given (got `--pip-requirements` and `--extra-pip-requirements`); as in MLflow: `--pip-requirements` is the complete list, `--extra-pip-requirements` adds to the inferred one',
    },
    { name: '--hashes without --lock', args: [...sklearn, '--hashes'], line: 'error: `--hashes` needs `--lock`; hashes are written by the lock step' },
    {
      name: 'no model at all',
      args: ['models', 'package', '-o', 'out'],
      line: 'error: give exactly one model: `--flavor NAME --model-file FILE`, `--python-model FILE.py` or `--loader-module MODULE --data PATH`',
    },
    {
      name: 'an unknown serialization format',
      args: [...sklearn, '--serialization-format', 'joblib'],
      line: 'error: Unrecognized serialization format: `joblib`; use `cloudpickle`, `pickle`, `skops`',
    },
    {
      name: 'a flavor no writer has',
      args: ['models', 'package', '-o', 'out', '--flavor', 'h2o', '--model-file', 'model.zip'],
      line: 'error: flavor `h2o` is not supported; `--flavor` is one of `sklearn`, `xgboost`, `lightgbm`, `catboost`, `statsmodels`, `onnx`, `pytorch`, `keras`, `tensorflow`',
    },
    {
      name: '--lock with a bad mode',
      args: [...sklearn, '--lock=sometimes'],
      line: 'error: `--lock=sometimes`: use `--lock` or `--lock=strict`',
    },
  ])('refuses $name with one line and exit 2', async ({ args, line }) => {
    const result = await runMlf([...args, '--python', '/nonexistent/python'], { cwd: project });
    expect(result.stderr).toBe(`${line.replace('<project>', project).replace('<outside>', outside)}\n`);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(readdirSync(project).filter((name) => name === 'out' || name.includes('mlf-tmp'))).toEqual([]);
  });

  it('a missing --python is an input error after the checks', async () => {
    const result = await runMlf([...sklearn, '--python', '/nonexistent/python'], { cwd: project });
    expect(result.stderr).toBe('error: The interpreter `/nonexistent/python` could not be started; pass `--python` with the interpreter the model was trained with\n');
    expect(result.exitCode).toBe(2);
    expect(readdirSync(project).filter((name) => name === 'out' || name.includes('mlf-tmp'))).toEqual([]);
  });
});
