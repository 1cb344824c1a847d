import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { refuseSpecialFilesSync } from '../../src/fs/special-files.js';
import { catchMlfError } from '../support/errors.js';
import { tempDir } from '../support/temp.js';

function model(): string {
  const dir = path.join(tempDir('mlf-special-files-'), 'm');
  mkdirSync(path.join(dir, 'data', 'deep'), { recursive: true });
  writeFileSync(path.join(dir, 'MLmodel'), 'flavors: {}\n');
  writeFileSync(path.join(dir, 'data', 'deep', 'weights.bin'), 'x');
  return dir;
}

describe('refuseSpecialFilesSync', () => {
  it('passes a directory of regular files, symlinks to them, dangling symlinks and a symlinked directory loop', () => {
    const dir = model();
    symlinkSync('MLmodel', path.join(dir, 'alias'));
    symlinkSync('nowhere', path.join(dir, 'dangling'));
    symlinkSync('..', path.join(dir, 'data', 'up'));
    expect(() => refuseSpecialFilesSync(dir, 'm')).not.toThrow();
  });

  it('refuses a FIFO anywhere in the tree, naming it', () => {
    const dir = model();
    execFileSync('mkfifo', [path.join(dir, 'data', 'deep', 'model.skops')]);
    const error = catchMlfError(() => refuseSpecialFilesSync(dir, 'm'));
    expect(error.code).toBe('NOT_A_REGULAR_FILE');
    expect(error.message).toBe('`m/data/deep/model.skops` is a FIFO (named pipe), not a regular file: a model loader that opens it would block or read forever');
  });

  it('refuses a symlink to a device', () => {
    const dir = model();
    symlinkSync('/dev/zero', path.join(dir, 'model.pkl'));
    expect(catchMlfError(() => refuseSpecialFilesSync(dir, 'm')).message).toMatch(/^`m\/model\.pkl` is a character device/);
  });
});
