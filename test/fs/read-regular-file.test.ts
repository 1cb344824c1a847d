import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BINARY_FILE_LIMIT,
  checkRegularFileSync,
  readOptionalRegularTextSync,
  readRegularFileSync,
  readRegularTextSync,
  TEXT_FILE_LIMIT,
} from '../../src/fs/read-regular-file.js';
import { catchMlfError } from '../support/errors.js';
import { tempDir } from '../support/temp.js';

const posix = process.platform !== 'win32';
let root: string;
const at = (name: string) => path.join(root, name);

beforeAll(() => {
  root = tempDir('mlf-read-regular-');
});

describe('readRegularFileSync', () => {
  it('reads a regular file', () => {
    writeFileSync(at('plain.txt'), 'numpy==2.1.0\n');
    expect(readRegularTextSync(at('plain.txt'))).toBe('numpy==2.1.0\n');
    expect(readRegularFileSync(at('plain.txt'))).toEqual(Buffer.from('numpy==2.1.0\n'));
  });

  it('reads an empty file as empty', () => {
    writeFileSync(at('empty.txt'), '');
    expect(readRegularTextSync(at('empty.txt'))).toBe('');
  });

  it('reads a file of exactly the limit and refuses one byte more, with both sizes in the message', () => {
    writeFileSync(at('at-limit.bin'), Buffer.alloc(1000, 0x61));
    writeFileSync(at('over-limit.bin'), Buffer.alloc(1001, 0x61));
    expect(readRegularFileSync(at('at-limit.bin'), { limit: 1000 }).length).toBe(1000);
    const error = catchMlfError(() => readRegularFileSync(at('over-limit.bin'), { limit: 1000, shown: 'big.txt' }));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('`big.txt` is too large: 1001 bytes, over the limit of 1000 bytes');
    expect(error.location.file).toBe('big.txt');
  });

  it('states a limit of a MiB or more in MiB too', () => {
    writeFileSync(at('two-mib.bin'), Buffer.alloc(2 * 1024 * 1024 + 1));
    expect(catchMlfError(() => readRegularFileSync(at('two-mib.bin'), { limit: 2 * 1024 * 1024, shown: 'x' })).message).toBe(
      '`x` is too large: 2097153 bytes, over the limit of 2097152 bytes (2 MiB)',
    );
  });

  it('reads a file larger than the first buffer it allocates', () => {
    const bytes = Buffer.alloc(300 * 1024, 0x62);
    writeFileSync(at('large.bin'), bytes);
    expect(readRegularFileSync(at('large.bin')).equals(bytes)).toBe(true);
  });

  it('states its default limits', () => {
    expect(TEXT_FILE_LIMIT).toBe(16 * 1024 * 1024);
    expect(BINARY_FILE_LIMIT).toBe(2 * 1024 * 1024 * 1024);
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('refuses /dev/zero at once instead of reading forever', () => {
    const started = Date.now();
    const error = catchMlfError(() => readRegularTextSync('/dev/zero'));
    expect(error.code).toBe('NOT_A_REGULAR_FILE');
    expect(error.message).toBe('`/dev/zero` is a character device, not a regular file');
    expect(error.hint).toMatch(/regular files/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  // Skipped where there is no /proc/self/mem (Linux's), the one regular file whose read fails with EIO on demand.
  it.skipIf(!existsSync('/proc/self/mem'))('a regular file whose read fails (/proc/self/mem: EIO) is one input error, not an internal one', () => {
    const error = catchMlfError(() => readRegularFileSync('/proc/self/mem'));
    expect(error.code).toBe('FILE_NOT_READABLE');
    expect(error.message).toMatch(/^`\/proc\/self\/mem` cannot be read: EIO/);
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('refuses /dev/null: empty is not the same as a file', () => {
    expect(catchMlfError(() => readRegularTextSync('/dev/null')).message).toBe('`/dev/null` is a character device, not a regular file');
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('refuses a FIFO without blocking on it (no writer is ever attached)', () => {
    execFileSync('mkfifo', [at('fifo')]);
    const error = catchMlfError(() => readRegularTextSync(at('fifo'), { shown: 'fifo' }));
    expect(error.code).toBe('NOT_A_REGULAR_FILE');
    expect(error.message).toBe('`fifo` is a FIFO (named pipe), not a regular file');
    expect(catchMlfError(() => checkRegularFileSync(at('fifo'))).code).toBe('NOT_A_REGULAR_FILE');
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  describe.skipIf(!posix)('a UNIX socket', () => {
    let server: Server;
    // Socket paths are short (108 bytes); the temp root's path is well under that.
    const socketPath = () => at('s.sock');
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(socketPath(), resolve));
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    it('is refused as a socket', () => {
      const error = catchMlfError(() => readRegularTextSync(socketPath(), { shown: 's.sock' }));
      expect(error.code).toBe('NOT_A_REGULAR_FILE');
      expect(error.message).toBe('`s.sock` is a socket, not a regular file');
    });
  });

  it('refuses a directory, saying to name the file', () => {
    mkdirSync(at('a-dir'), { recursive: true });
    const error = catchMlfError(() => readRegularFileSync(at('a-dir'), { shown: 'a-dir' }));
    expect(error.code).toBe('NOT_A_REGULAR_FILE');
    expect(error.message).toBe('`a-dir` is a directory, not a regular file');
    expect(error.hint).toBe('name the file itself, not a directory');
  });

  it('says a missing file does not exist, and the optional reader returns undefined for it', () => {
    const error = catchMlfError(() => readRegularTextSync(at('nowhere.txt'), { shown: 'nowhere.txt' }));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.message).toBe('`nowhere.txt` does not exist');
    expect(readOptionalRegularTextSync(at('nowhere.txt'))).toBeUndefined();
    expect(readOptionalRegularTextSync(at('plain.txt'))).toBe('numpy==2.1.0\n');
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('names a dangling symlink and its target; the optional reader refuses it too', () => {
    symlinkSync('gone.yaml', at('dangling.yaml'));
    const error = catchMlfError(() => readOptionalRegularTextSync(at('dangling.yaml'), { shown: 'conda.yaml' }));
    expect(error.code).toBe('DANGLING_SYMLINK');
    expect(error.message).toBe('`conda.yaml` is a symlink to `gone.yaml`, which does not exist');
    expect(error.exitCode).toBe(2);
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('names a symlink loop', () => {
    symlinkSync('loop-b', at('loop-a'));
    symlinkSync('loop-a', at('loop-b'));
    const error = catchMlfError(() => readRegularTextSync(at('loop-a'), { shown: 'MLmodel' }));
    expect(error.code).toBe('SYMLINK_LOOP');
    expect(error.message).toMatch(/^`MLmodel` is a symlink that loops/);
    expect(catchMlfError(() => readOptionalRegularTextSync(at('loop-a'))).code).toBe('SYMLINK_LOOP');
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('reads through a symlink to a regular file', () => {
    symlinkSync('plain.txt', at('link-to-plain.txt'));
    expect(readRegularTextSync(at('link-to-plain.txt'))).toBe('numpy==2.1.0\n');
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix)('names where a symlink to a device leads', () => {
    symlinkSync('/dev/zero', at('MLmodel'));
    const error = catchMlfError(() => readRegularTextSync(at('MLmodel'), { shown: 'model/MLmodel' }));
    expect(error.message).toBe('`model/MLmodel` is a symlink to `/dev/zero`, a character device, not a regular file');
  });

  // Skipped on Windows only: it has no /dev, FIFOs, UNIX sockets or POSIX symlinks to make.
  it.skipIf(!posix || process.getuid?.() === 0)('says a file it may not read cannot be read (skipped when run as root, who may read any file)', () => {
    writeFileSync(at('secret.txt'), 'x', { mode: 0o000 });
    const error = catchMlfError(() => readRegularTextSync(at('secret.txt'), { shown: 'secret.txt' }));
    expect(error.code).toBe('FILE_NOT_READABLE');
    expect(error.message).toBe('`secret.txt` cannot be read: permission denied');
  });

  it('refuses invalid UTF-8 with the line and byte of the first bad sequence', () => {
    writeFileSync(at('latin1.txt'), Buffer.concat([Buffer.from('a==1\nb==2\ncaf'), Buffer.from([0xe9]), Buffer.from('==3\n')]));
    const error = catchMlfError(() => readRegularTextSync(at('latin1.txt'), { shown: 'requirements.txt' }));
    expect(error.code).toBe('FILE_NOT_UTF8');
    expect(error.message).toBe('`requirements.txt` is not valid UTF-8 (line 3, byte 14 of the file)');
    expect(error.location).toMatchObject({ file: 'requirements.txt', line: 3 });
    // The bytes themselves are still there for a caller that wants them.
    expect(readRegularFileSync(at('latin1.txt')).length).toBe(18);
  });

  it('finds a multi-byte sequence cut short, and keeps a real U+FFFD and a byte order mark', () => {
    writeFileSync(at('cut.txt'), Buffer.concat([Buffer.from('\u00e9\ufffd\n'), Buffer.from([0xe2, 0x82]), Buffer.from('x')]));
    expect(catchMlfError(() => readRegularTextSync(at('cut.txt'))).message).toMatch(/\(line 2, byte 7 of the file\)$/);
    writeFileSync(at('bom.txt'), '\ufeffMLmodel: 1\n');
    expect(readRegularTextSync(at('bom.txt'))).toBe('\ufeffMLmodel: 1\n');
  });
});

describe('checkRegularFileSync', () => {
  it('accepts a regular file of any size unless a limit is given', () => {
    writeFileSync(at('input.json'), '{"inputs": [1]}');
    expect(() => checkRegularFileSync(at('input.json'))).not.toThrow();
    expect(catchMlfError(() => checkRegularFileSync(at('input.json'), { limit: 4 })).code).toBe('FILE_TOO_LARGE');
  });

  it('refuses what the reader refuses', () => {
    mkdirSync(at('a-dir'), { recursive: true });
    expect(catchMlfError(() => checkRegularFileSync(at('a-dir'))).code).toBe('NOT_A_REGULAR_FILE');
    expect(catchMlfError(() => checkRegularFileSync(at('nowhere.txt'))).code).toBe('FILE_NOT_FOUND');
  });
});
