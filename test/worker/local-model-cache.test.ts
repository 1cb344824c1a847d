/**
 * `mlf envs prune` on the local manager's model cache: transcoded skops models age out by their
 * last use (the worker touches a file on each hit), a writer's fresh temp file survives, and
 * nothing that is not the worker's is ever removed.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketDir } from '../../src/config/cache-layout.js';
import { pruneLocalModelCache } from '../../src/worker/local-model-cache.js';
import { tempDir as makeTempDir } from '../support/cli.js';

const temps: string[] = [];
function tempDir(): string {
  const dir = makeTempDir();
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const now = new Date('2026-12-02T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);

function cacheFile(home: string, name: string, lastUsed: Date, bytes = 100): string {
  const dir = bucketDir(home, 'localModelCache');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.alloc(bytes, 1));
  utimesSync(file, lastUsed, lastUsed);
  return file;
}

describe('pruneLocalModelCache', () => {
  it('removes transcoded models not used within --older-than and keeps the recent ones', async () => {
    const home = tempDir();
    const old = cacheFile(home, `${'a'.repeat(64)}.pkl`, hoursAgo(24 * 10), 300);
    const recent = cacheFile(home, `${'b'.repeat(64)}.pkl`, hoursAgo(1));
    const result = await pruneLocalModelCache(home, { olderThanMs: 7 * 24 * 3600_000, now });
    expect(result.removed).toEqual([old]);
    expect(result.bytes).toBe(300);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });

  it('without --older-than removes every transcoded model, but a writer\'s temp file only after an hour', async () => {
    const home = tempDir();
    const model = cacheFile(home, `${'c'.repeat(64)}.pkl`, hoursAgo(0));
    const freshTemp = cacheFile(home, '.tmp-abc123.pkl', hoursAgo(0.1));
    const staleTemp = cacheFile(home, '.tmp-def456.pkl', hoursAgo(2));
    const result = await pruneLocalModelCache(home, { now });
    expect(result.removed).toEqual([model]);
    expect(existsSync(freshTemp)).toBe(true);
    expect(existsSync(staleTemp)).toBe(false);
  });

  it('leaves what is not the worker\'s: other names, directories and symlinks', async () => {
    const home = tempDir();
    const dir = bucketDir(home, 'localModelCache');
    const stranger = cacheFile(home, 'notes.txt', hoursAgo(1000));
    const shortName = cacheFile(home, 'abc.pkl', hoursAgo(1000));
    mkdirSync(path.join(dir, `${'d'.repeat(64)}.pkl`));
    const target = cacheFile(tempDir(), `${'e'.repeat(64)}.pkl`, hoursAgo(1000));
    symlinkSync(target, path.join(dir, `${'f'.repeat(64)}.pkl`));
    const result = await pruneLocalModelCache(home, { now });
    expect(result.removed).toEqual([]);
    expect(existsSync(stranger)).toBe(true);
    expect(existsSync(shortName)).toBe(true);
    expect(existsSync(path.join(dir, `${'d'.repeat(64)}.pkl`))).toBe(true);
    expect(existsSync(target)).toBe(true);
  });

  it('is a no-op on a home without the bucket', async () => {
    const home = tempDir();
    expect(await pruneLocalModelCache(home, { now })).toEqual({ dir: bucketDir(home, 'localModelCache'), removed: [], bytes: 0 });
  });
});
