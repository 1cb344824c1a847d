import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireEntryLock, isEntryLocked, withEntryLock } from '../../src/env/lock.js';
import { markerPath, readMarker, touchMarker, writeMarker, type EnvMarker } from '../../src/env/marker.js';
import { MlfError } from '../../src/errors.js';
import { tempDir } from './helpers.js';


describe('entry lock', () => {
  it('is exclusive: a second holder waits, is told once, then times out with a message naming the timeout', async () => {
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    const release = await acquireEntryLock(entry, { timeoutMs: 1000 });
    expect(await isEntryLocked(entry)).toBe(true);
    let waits = 0;
    const error = await acquireEntryLock(entry, { timeoutMs: 700, onWait: () => waits++ }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe(`timed out after 0.7s waiting for the lock on environment \`${entry}\``);
    expect(waits).toBe(1);
    await release();
    expect(await isEntryLocked(entry)).toBe(false);
  });

  it('is handed over when released while someone waits', async () => {
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    const order: string[] = [];
    const first = withEntryLock(entry, { timeoutMs: 5000 }, async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 400));
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = withEntryLock(entry, { timeoutMs: 5000 }, async () => {
      order.push('second in');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  it('takes over a lock left by a dead process once it is stale', async () => {
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    mkdirSync(`${entry}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${entry}.lock`, old, old);
    expect(await isEntryLocked(entry)).toBe(false);
    const release = await acquireEntryLock(entry, { timeoutMs: 500 });
    expect(await isEntryLocked(entry)).toBe(true);
    await release();
  });

  it('takes over at once the lock of a build killed with SIGKILL, without waiting for it to go stale', async () => {
    // The child takes the lock with the real code (bundled for plain node), then is killed.
    const bundle = path.join(tempDir(), 'lock.mjs');
    buildSync({
      entryPoints: [path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/env/lock.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    const holder = `import(${JSON.stringify(bundle)}).then((m) => m.acquireEntryLock(${JSON.stringify(entry)}, { timeoutMs: 1000 })).then(() => { console.log('locked'); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      child.on('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
    });
    expect(JSON.parse(readFileSync(`${entry}.lock/owner.json`, 'utf8'))).toMatchObject({ pid: child.pid, host: os.hostname() });
    expect(await isEntryLocked(entry)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));

    expect(await isEntryLocked(entry)).toBe(false);
    const started = Date.now();
    let waited = false;
    const release = await acquireEntryLock(entry, { timeoutMs: 30_000, onWait: () => (waited = true) });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(waited).toBe(false);
    expect(JSON.parse(readFileSync(`${entry}.lock/owner.json`, 'utf8')).pid).toBe(process.pid);
    await release();
    expect(existsSync(`${entry}.lock`)).toBe(false);
    // The dead lock was moved aside and removed: nothing is left in the bucket.
    expect(readdirSync(path.dirname(entry))).toEqual([]);
  });

  it('waits for a live owner while its lock is fresh; a frozen one is taken over once stale, and told it lost the lock', async () => {
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    const lost: Error[] = [];
    const release = await acquireEntryLock(entry, { timeoutMs: 1000, staleMs: 2000, onCompromised: (error) => lost.push(error) });
    const error = await acquireEntryLock(entry, { timeoutMs: 300, staleMs: 2000 }).catch((e: unknown) => e);
    expect((error as MlfError).code).toBe('LOCK_TIMEOUT');
    // A frozen holder: its lock not refreshed for longer than staleMs is taken over (the old rule).
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${entry}.lock`, old, old);
    const second = await acquireEntryLock(entry, { timeoutMs: 1000, staleMs: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(lost.map((e) => e.message)).toEqual(['the lock was removed or taken over by another process']);
    // The first holder's release leaves the second's lock alone.
    await release();
    expect(await isEntryLocked(entry)).toBe(true);
    await second();
    expect(await isEntryLocked(entry)).toBe(false);
  });

  it('takes over a lock with a garbage owner file only once it is stale (the mtime rule)', async () => {
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    mkdirSync(`${entry}.lock`);
    writeFileSync(`${entry}.lock/owner.json`, '[1,2,3]');
    expect(((await acquireEntryLock(entry, { timeoutMs: 300 }).catch((e: unknown) => e)) as MlfError).code).toBe('LOCK_TIMEOUT');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${entry}.lock`, old, old);
    await (await acquireEntryLock(entry, { timeoutMs: 500 }))();
    expect(existsSync(`${entry}.lock`)).toBe(false);
  });

  it('does not take over a fresh lock', async () => {
    const entry = path.join(tempDir(), 'uv-0123456789abcdef');
    mkdirSync(`${entry}.lock`);
    const error = await acquireEntryLock(entry, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((error as MlfError).code).toBe('LOCK_TIMEOUT');
  });
});

describe('completion marker', () => {
  const marker: Omit<EnvMarker, 'schema'> = {
    key: 'ab'.repeat(32),
    manager: 'uv',
    pythonPath: '/c/uv-1/bin/python',
    pythonVersion: '3.11.7',
    basePython: '/usr/bin/python3.11',
    created: '2025-01-01T00:00:00.000Z',
    lastUsed: '2025-01-01T00:00:00.000Z',
    modelDir: '/m',
    requirements: ['six==1.17.0'],
    override: [],
    installMlflow: false,
    mlfVersion: '0.1.0',
  };

  it('round-trips, and touching updates lastUsed only', async () => {
    const dir = tempDir();
    await writeMarker(dir, marker);
    const read = await readMarker(dir);
    expect(read).toEqual({ schema: 1, ...marker });
    await touchMarker(dir, read!, new Date('2025-02-03T04:05:06.000Z'));
    expect(await readMarker(dir)).toEqual({ schema: 1, ...marker, lastUsed: '2025-02-03T04:05:06.000Z' });
  });

  it.each([
    ['absent', undefined],
    ['truncated (a torn write)', '{"schema": 1, "key": "ab'],
    ['another schema', JSON.stringify({ ...marker, schema: 2 })],
    ['without a key', JSON.stringify({ ...marker, key: undefined, schema: 1 })],
  ])('reads as no marker when %s', async (_label, text) => {
    const dir = tempDir();
    if (text !== undefined) writeFileSync(markerPath(dir), text);
    expect(await readMarker(dir)).toBeUndefined();
  });
});
