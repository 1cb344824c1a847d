import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
