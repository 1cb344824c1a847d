import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import { absoluteModule, findCodePathCaveats, inferCodePaths, planCodePaths } from '../../src/package/code-paths.js';
import { scanImports } from '../../src/scan/import-scan.js';
import { tempDir } from '../support/temp.js';

let project: string;
let outside: string;

function write(rel: string, text = '') {
  const file = path.join(project, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

beforeEach(() => {
  const root = realpathSync(tempDir('mlf-code-paths-'));
  project = path.join(root, 'project');
  outside = path.join(root, 'elsewhere');
  mkdirSync(project);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.py'), 'x = 1\n');
  write('utils.py', 'def f(x):\n    return x\n');
  write('src/__init__.py');
  write('src/utils.py', 'def my_func(x):\n    return x\n');
  write('core/__init__.py');
  write('core/preprocessing.py', 'import numpy as np\nfrom .scaling import scale\n');
  write('core/scaling.py', 'def scale(x):\n    return x\n');
  write('core/__pycache__/preprocessing.cpython-311.pyc', 'junk');
  write('helper/evaluation.py', 'import sklearn.metrics\n');
  write('model.py', 'import mlflow\nfrom core.preprocessing import scale\n');
});

function refusal(fn: () => unknown): MlfError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MlfError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planCodePaths', () => {
  it('copies files and directories to code/<basename>, without __pycache__', () => {
    const plan = planCodePaths(['utils.py', 'core'], project);
    expect(plan.files.map((f) => f.target)).toEqual(['code/utils.py', 'code/core/__init__.py', 'code/core/preprocessing.py', 'code/core/scaling.py']);
    expect([...plan.providedModules]).toEqual(['utils', 'core']);
  });

  it.each([
    { name: 'a path that does not exist', paths: ['nope.py'], code: 'CODE_PATH_NOT_FOUND', message: 'code path `nope.py` does not exist' },
    { name: 'a path outside the working directory', paths: ['../elsewhere/secret.py'], code: 'CODE_PATH_OUTSIDE_CWD', message: 'code path `../elsewhere/secret.py` lies outside the working directory `<project>`' },
    { name: 'two paths with one basename', paths: ['utils.py', 'src/utils.py'], code: 'CODE_PATH_DUPLICATE', message: 'code paths `utils.py` and `src/utils.py` would both be copied to `code/utils.py`' },
  ])('refuses $name', ({ paths, code, message }) => {
    const error = refusal(() => planCodePaths(paths, project));
    expect(error.code).toBe(code);
    expect(error.message).toBe(message.replace('<project>', project));
    expect(error.exitCode).toBe(2);
  });

  // Skipped on Windows only: it has no mkfifo.
  it.skipIf(process.platform === 'win32')('refuses a FIFO, given or inside a directory: copying it would block', () => {
    execFileSync('mkfifo', [path.join(project, 'pipe.py')]);
    const given = refusal(() => planCodePaths(['pipe.py'], project));
    expect(given.code).toBe('CODE_PATH_NOT_A_FILE');
    expect(given.message).toBe('code path `pipe.py` is a FIFO (named pipe), not a regular file or a directory');
    execFileSync('mkfifo', [path.join(project, 'core', 'pipe.py')]);
    const inside = refusal(() => planCodePaths(['core'], project));
    expect(inside.message).toBe('code path `core` contains `core/pipe.py`, a FIFO (named pipe), not a regular file or a directory');
    expect(inside.exitCode).toBe(2);
  });

  it('refuses a symlink that leads out of the working directory', () => {
    symlinkSync(path.join(outside, 'secret.py'), path.join(project, 'linked.py'));
    const error = refusal(() => planCodePaths(['linked.py'], project));
    expect(error.code).toBe('CODE_PATH_SYMLINK_OUTSIDE');
    expect(error.message).toBe(`code path \`linked.py\` is a symlink to \`${path.join(outside, 'secret.py')}\`, outside the working directory`);
  });

  it('refuses a directory holding a symlink that leads out', () => {
    symlinkSync(outside, path.join(project, 'core', 'vendor'));
    const error = refusal(() => planCodePaths(['core'], project));
    expect(error.code).toBe('CODE_PATH_SYMLINK_OUTSIDE');
    expect(error.message).toBe(`code path \`core\` contains \`vendor\`, a symlink to \`${outside}\`, outside the working directory`);
  });

  it('follows a symlink that stays inside', () => {
    symlinkSync(path.join(project, 'utils.py'), path.join(project, 'core', 'shared.py'));
    expect(planCodePaths(['core'], project).files.map((f) => f.target)).toContain('code/core/shared.py');
  });
});

describe('the `from src.utils import` caveat', () => {
  const importsOf = (file: string, text: string) => scanImports(text, file).map((ref) => ({ file, ref }));
  const source = 'class MyModel:\n    def predict(self, context, model_input):\n        from src.utils import my_func\n        return my_func(model_input)\n';

  it('warns with the fix when a code path lands without its package path', () => {
    const plan = planCodePaths(['src/utils.py'], project);
    expect(findCodePathCaveats({ imports: importsOf('model.py', source), plan, cwd: project }).map((c) => c.message)).toEqual([
      "`model.py:3` imports `src.utils`, but `--code-path src/utils.py` is copied to `code/utils.py`, where it imports as `utils`; the model will fail with ModuleNotFoundError: No module named 'src'. Pass `--code-path src` to keep the package path",
    ]);
  });

  it('is quiet when the package directory itself is the code path', () => {
    const plan = planCodePaths(['src'], project);
    expect(findCodePathCaveats({ imports: importsOf('model.py', source), plan, cwd: project })).toEqual([]);
  });

  it('is quiet for `from utils import` with `--code-path utils.py`', () => {
    const plan = planCodePaths(['utils.py'], project);
    expect(findCodePathCaveats({ imports: importsOf('model.py', 'from utils import f\n'), plan, cwd: project })).toEqual([]);
  });
});

describe('inferCodePaths', () => {
  it('follows imports from the model file into local packages, keeping their paths', () => {
    const inferred = inferCodePaths({ cwd: project, entryFiles: ['model.py'] });
    expect(inferred.collected).toEqual(['core/__init__.py', 'core/preprocessing.py', 'core/scaling.py']);
    expect(inferred.files.map((f) => f.target)).toEqual(['code/core/__init__.py', 'code/core/preprocessing.py', 'code/core/scaling.py']);
  });

  it('collects the loader module itself', () => {
    write('custom_loader.py', 'from core.preprocessing import scale\n');
    const inferred = inferCodePaths({ cwd: project, entryFiles: [], entryModules: ['custom_loader'] });
    expect(inferred.collected).toEqual(['core/__init__.py', 'core/preprocessing.py', 'core/scaling.py', 'custom_loader.py']);
  });

  it('never collects files under site-packages', () => {
    write('venv/lib/site-packages/core/__init__.py');
    const inferred = inferCodePaths({ cwd: project, entryFiles: ['model.py'], excluded: [path.join(project, 'core')] });
    expect(inferred.collected).toEqual([]);
  });
});

describe('absoluteModule', () => {
  it.each([
    { source: 'from .scaling import scale', file: 'core/preprocessing.py', expected: 'core.scaling' },
    { source: 'from . import scaling', file: 'core/preprocessing.py', expected: 'core' },
    { source: 'from ..other import x', file: 'a/b/c.py', expected: 'a.other' },
    { source: 'from ... import x', file: 'a/c.py', expected: undefined },
    { source: 'import numpy.linalg', file: 'model.py', expected: 'numpy.linalg' },
  ])('$source in $file', ({ source, file, expected }) => {
    const ref = scanImports(source)[0]!;
    expect(absoluteModule(ref, path.join('/p', file), '/p')).toBe(expected);
  });
});
