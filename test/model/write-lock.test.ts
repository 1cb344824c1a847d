/**
 * The model directory's write lock (model/write-lock.ts): one writer at a time, a dead owner's lock
 * taken over at once, an ownerless one only once old, a live one waited for and then named.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireModelWriteLock, withModelWriteLock, WRITE_LOCK_NAME } from '../../src/model/write-lock.js';
import { rejectedMlfError } from '../support/errors.js';
import { tempDir } from '../support/cli.js';

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function lockHeldBy(dir: string, owner: { pid: number; host: string }): void {
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
});
