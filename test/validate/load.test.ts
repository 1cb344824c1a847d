import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOAD_LIMITS, loadModelFiles } from '../../src/validate/load.js';
import { fixturesDir } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

// How validate's loader takes files that are not regular files: the inputs of the rules are
// problems (validate turns the first into MLF100), a scan that cannot read its file says so in its result.
const posix = process.platform !== 'win32';

function copyModel(name: string): string {
  const dir = path.join(tempDir('mlf-validate-load-'), name);
  cpSync(path.join(fixturesDir, 'models', name), dir, { recursive: true });
  return dir;
}

function replaceWithFifo(file: string): void {
  rmSync(file);
  execFileSync('mkfifo', [file]);
}

// Skipped on Windows only: it has no FIFOs or /dev to plant in a model directory.
describe.skipIf(!posix)('loadModelFiles on files that are not files', () => {
  it('refuses an MLmodel that is a FIFO instead of waiting on it', async () => {
    const dir = copyModel('sklearn-iris');
    replaceWithFifo(path.join(dir, 'MLmodel'));
    const error = (await loadModelFiles(dir)).problems[0]!.error;
    expect(error.code).toBe('NOT_A_REGULAR_FILE');
    expect(error.message).toBe('`MLmodel` is a FIFO (named pipe), not a regular file');
    expect(error.location.file).toBe('MLmodel');
  });

  it('refuses a dangling conda.yaml', async () => {
    const dir = copyModel('sklearn-iris');
    rmSync(path.join(dir, 'conda.yaml'));
    symlinkSync('gone.yaml', path.join(dir, 'conda.yaml'));
    expect(((await loadModelFiles(dir)).problems[0]!.error).code).toBe('DANGLING_SYMLINK');
  });

  it('refuses a requirements file over the text limit, naming its size', async () => {
    const dir = copyModel('sklearn-iris');
    writeFileSync(path.join(dir, 'requirements.txt'), `${'# padding\n'.repeat(200)}numpy\n`);
    const error = (await loadModelFiles(dir, { ...DEFAULT_LOAD_LIMITS, maxTextBytes: 1200 })).problems[0]!.error;
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toBe('`requirements.txt` is too large: 2006 bytes, over the limit of 1200 bytes');
  });

  it('reports a Python file in code/ that is a FIFO as a scan error, and one over the limit as skipped', async () => {
    const dir = copyModel('pyfunc-code');
    replaceWithFifo(path.join(dir, 'code', 'scaled_sum.py'));
    writeFileSync(path.join(dir, 'code', 'big.py'), `x = 1\n${'#'.repeat(2000)}\n`);
    const files = await loadModelFiles(dir, { ...DEFAULT_LOAD_LIMITS, maxTextBytes: 1000 });
    expect(files.imports.get('code/scaled_sum.py')).toEqual({
      ok: false,
      kind: 'error',
      message: '`code/scaled_sum.py` is a FIFO (named pipe), not a regular file',
    });
    expect(files.imports.get('code/big.py')).toEqual({ ok: false, kind: 'skipped', message: 'the file is too large to scan' });
  });

  it('reports a pickle that is a symlink to /dev/zero as unreadable, without reading it', async () => {
    const dir = copyModel('pyfunc-code');
    rmSync(path.join(dir, 'python_model.pkl'));
    symlinkSync('/dev/zero', path.join(dir, 'python_model.pkl'));
    const files = await loadModelFiles(dir);
    expect(files.pickles.get('python_model.pkl')).toEqual({
      ok: false,
      kind: 'error',
      message: '`python_model.pkl` is a symlink to `/dev/zero`, a character device, not a regular file',
    });
  });
});
