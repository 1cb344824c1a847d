/**
 * The model directory's write lock (model/write-lock.ts): one writer at a time, a dead owner's lock
 * taken over at once, an ownerless one only once old, a live one waited for and then named.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireModelWriteLock, isWriteLockName, withModelWriteLock, WRITE_LOCK_NAME } from '../../src/model/write-lock.js';
import { rejectedMlfError } from '../support/errors.js';
import { tempDir as makeTempDir } from '../support/cli.js';

const created: string[] = [];
afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = makeTempDir('mlf-write-lock-');
  created.push(dir);
  return dir;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function lockHeldBy(dir: string, owner: { pid: number; host: string; boot?: string }): void {
  mkdirSync(path.join(dir, WRITE_LOCK_NAME));
  writeFileSync(path.join(dir, WRITE_LOCK_NAME, 'owner.json'), JSON.stringify({ ...owner, since: '2026-11-21T12:00:00.000Z' }));
}

describe('withModelWriteLock', () => {
  it('runs writers one after the other, and leaves no lock behind', async () => {
    const dir = tempDir();
    const events: string[] = [];
    const writer = (name: string) =>
      withModelWriteLock(dir, async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        events.push(`end ${name}`);
      });
    await Promise.all([writer('a'), writer('b')]);
    expect([events.slice(0, 2), events.slice(2)].map((pair) => pair.map((e) => e.split(' ')[0]))).toEqual([
      ['start', 'end'],
      ['start', 'end'],
    ]);
    expect(existsSync(path.join(dir, WRITE_LOCK_NAME))).toBe(false);
  });

  it('releases the lock when the work throws', async () => {
    const dir = tempDir();
    await expect(withModelWriteLock(dir, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(path.join(dir, WRITE_LOCK_NAME))).toBe(false);
  });

  it('runs unlocked where no lock can be made (a missing directory)', async () => {
    const missing = path.join(tempDir(), 'gone');
    await expect(withModelWriteLock(missing, async () => 'ran')).resolves.toBe('ran');
  });
});

describe('acquireModelWriteLock', () => {
  it('takes over at once the lock of a dead process on this host', async () => {
    const dir = tempDir();
    lockHeldBy(dir, { pid: await deadPid(), host: os.hostname() });
    const started = Date.now();
    const release = await acquireModelWriteLock(dir, { timeoutMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(JSON.parse(readFileSync(path.join(dir, WRITE_LOCK_NAME, 'owner.json'), 'utf8')).pid).toBe(process.pid);
    await release();
  });

  it('waits for a live owner, then names it in one line (exit 2)', async () => {
    const dir = tempDir();
    lockHeldBy(dir, { pid: process.ppid, host: os.hostname() });
    const error = await rejectedMlfError(acquireModelWriteLock(dir, { timeoutMs: 300, displayPath: 'models/m' }));
    expect(error.code).toBe('MODEL_DIR_BUSY');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`\`models/m\` is being changed by mlf process ${process.ppid} on ${os.hostname()}, since 2026-11-21T12:00:00.000Z`);
    expect(error.hint).toBe(`run again when it has finished; if no mlf is running, delete \`models/m/${WRITE_LOCK_NAME}\``);
  });

  it('does not judge the pid of another host', async () => {
    const dir = tempDir();
    lockHeldBy(dir, { pid: await deadPid(), host: `not-${os.hostname()}` });
    expect((await rejectedMlfError(acquireModelWriteLock(dir, { timeoutMs: 200 }))).code).toBe('MODEL_DIR_BUSY');
  });

  it('takes over an ownerless lock only once it is old (killed between mkdir and the owner file)', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, WRITE_LOCK_NAME));
    expect((await rejectedMlfError(acquireModelWriteLock(dir, { timeoutMs: 200 }))).code).toBe('MODEL_DIR_BUSY');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, WRITE_LOCK_NAME), old, old);
    const release = await acquireModelWriteLock(dir, { timeoutMs: 2_000 });
    await release();
    expect(existsSync(path.join(dir, WRITE_LOCK_NAME))).toBe(false);
  });

  it('takes over at once the lock of a dead process whose owner file has no token (written by an earlier mlf)', async () => {
    const dir = tempDir();
    lockHeldBy(dir, { pid: await deadPid(), host: os.hostname() });
    const started = Date.now();
    await (await acquireModelWriteLock(dir, { timeoutMs: 5_000 }))();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('takes over at once the lock of an mlf killed with SIGKILL while holding it', async () => {
    const dir = tempDir();
    // The child holds the lock as mlf does (the owner file is what matters) and is killed.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    lockHeldBy(dir, { pid: child.pid!, host: os.hostname() });
    expect((await rejectedMlfError(acquireModelWriteLock(dir, { timeoutMs: 200 }))).code).toBe('MODEL_DIR_BUSY');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const started = Date.now();
    await (await acquireModelWriteLock(dir, { timeoutMs: 5_000 }))();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  // Skipped where Linux's boot id is missing: the test plants a lock from an earlier boot.
  it.skipIf(!existsSync('/proc/sys/kernel/random/boot_id'))('takes over at once a lock from an earlier boot, whatever its pid (needs a Linux boot id)', async () => {
    const dir = tempDir();
    lockHeldBy(dir, { pid: process.ppid, host: os.hostname(), boot: '00000000-0000-0000-0000-000000000000' });
    const started = Date.now();
    await (await acquireModelWriteLock(dir, { timeoutMs: 5_000 }))();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  // Owner files mlf never writes (it writes them whole, by rename): taken over at once, safely.
  const garbage: [string, (file: string, dir: string) => void][] = [
    ['not JSON', (file) => writeFileSync(file, 'garbage')],
    ['an array', (file) => writeFileSync(file, '[1,2,3]')],
    ['null', (file) => writeFileSync(file, 'null')],
    ['pid 0 (a process group to kill(2))', (file) => writeFileSync(file, JSON.stringify({ pid: 0, host: os.hostname(), since: '' }))],
    ['a negative pid', (file) => writeFileSync(file, JSON.stringify({ pid: -1, host: os.hostname(), since: '' }))],
    ['a huge file', (file) => writeFileSync(file, ' '.repeat(1 << 20))],
    ['a symlink to /dev/zero', (file) => symlinkSync('/dev/zero', file)],
    [
      'a symlink to a live owner outside the lock',
      (file, dir) => {
        writeFileSync(path.join(dir, 'kept.json'), JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '' }));
        symlinkSync(path.join(dir, 'kept.json'), file);
      },
    ],
    ['a FIFO', (file) => void execFileSync('mkfifo', [file])],
  ];
  it.each(garbage)('takes over at once a lock whose owner file is %s', async (_name, plant) => {
    const dir = tempDir();
    mkdirSync(path.join(dir, WRITE_LOCK_NAME));
    plant(path.join(dir, WRITE_LOCK_NAME, 'owner.json'), dir);
    const outside = existsSync(path.join(dir, 'kept.json')) ? readFileSync(path.join(dir, 'kept.json'), 'utf8') : undefined;
    const started = Date.now();
    const release = await acquireModelWriteLock(dir, { timeoutMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(JSON.parse(readFileSync(path.join(dir, WRITE_LOCK_NAME, 'owner.json'), 'utf8')).pid).toBe(process.pid);
    await release();
    expect(existsSync(path.join(dir, WRITE_LOCK_NAME))).toBe(false);
    // A link is removed, never what it points to.
    if (outside !== undefined) expect(readFileSync(path.join(dir, 'kept.json'), 'utf8')).toBe(outside);
  });

  // A `.mlf-lock` mlf did not make: one line, exit 2, and it is left as it is.
  const notALock: [string, (lock: string) => void, string][] = [
    ['a regular file', (lock) => writeFileSync(lock, 'data'), 'it is not a directory'],
    ['a symlink to a directory', (lock) => {
      mkdirSync(`${lock}-target`);
      symlinkSync(`${lock}-target`, lock);
    }, 'it is a symbolic link'],
    ['a FIFO', (lock) => void execFileSync('mkfifo', [lock]), 'it is not a directory'],
    ['a directory with other files', (lock) => {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'precious.txt'), 'data');
    }, 'it holds `precious.txt`, which mlf does not put there'],
    ['a directory whose owner file is a directory', (lock) => {
      mkdirSync(path.join(lock, 'owner.json'), { recursive: true });
    }, 'it holds `owner.json`, which mlf does not put there'],
  ];
  it.each(notALock)('refuses a lock path that is %s, in one line, leaving it', async (_name, plant, reason) => {
    const dir = tempDir();
    const lock = path.join(dir, WRITE_LOCK_NAME);
    plant(lock);
    const started = Date.now();
    const error = await rejectedMlfError(acquireModelWriteLock(dir, { timeoutMs: 5_000, displayPath: 'models/m' }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.code).toBe('MODEL_DIR_LOCK_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.location.file).toBe(`models/m/${WRITE_LOCK_NAME}`);
    expect(error.message).toBe(`not mlf's write lock (a directory holding only owner.json): ${reason}`);
    expect(error.hint).toBe('inspect it, and if no mlf is running, delete it and run again');
    expect(existsSync(lock) || existsSync(`${lock}-target`)).toBe(true);
    if (reason.includes('precious')) expect(readFileSync(path.join(lock, 'precious.txt'), 'utf8')).toBe('data');
  });
});

describe('isWriteLockName', () => {
  it('names the lock and a stale lock moved aside during a takeover, nothing else', () => {
    expect(isWriteLockName('.mlf-lock')).toBe(true);
    expect(isWriteLockName('.mlf-lock-stale-0a1b2c3d')).toBe(true);
    for (const name of ['.mlf-lock-stale-', '.mlf-lock-stale-0a1b2c3d9', '.mlf-lock-stale-ZZZZZZZZ', 'mlf-lock', '.mlf-lock.bak']) expect(isWriteLockName(name), name).toBe(false);
  });

  it("a dead owner's lock is moved aside under such a name and removed: the directory holds nothing else after the takeover", async () => {
    const dir = tempDir();
    lockHeldBy(dir, { pid: await deadPid(), host: os.hostname() });
    const release = await acquireModelWriteLock(dir, { timeoutMs: 0 });
    expect(readdirSync(dir)).toEqual([WRITE_LOCK_NAME]);
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the refusal says what the holder does to the directory', async () => {
    const dir = tempDir();
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      lockHeldBy(dir, { pid: holder.pid!, host: os.hostname() });
      const error = await rejectedMlfError(acquireModelWriteLock(dir, { timeoutMs: 0, displayPath: 'out', doing: 'written' }));
      expect(error.message).toBe(`\`out\` is being written by mlf process ${holder.pid} on ${os.hostname()}, since 2026-11-21T12:00:00.000Z`);
      expect(error.exitCode).toBe(2);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
