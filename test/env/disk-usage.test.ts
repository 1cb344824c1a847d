import { linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskUsage, measureDiskUsage } from '../../src/env/disk-usage.js';

/** Real files and real hard links in a temp dir, as uv lays out environments linked from its cache. */
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function file(p: string, bytes: number): string {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, Buffer.alloc(bytes, 1));
  return p;
}

/** What the filesystem allocated for a path: st_blocks × 512. */
const blocks = (p: string) => lstatSync(p).blocks * 512;

function layout() {
  root = mkdtempSync(path.join(tmpdir(), 'mlf-disk-usage-'));
  const cache = path.join(root, 'uv-cache');
  const envA = path.join(root, 'env-a');
  const envB = path.join(root, 'env-b');
  const shared = file(path.join(cache, 'numpy', 'core.so'), 200_000);
  for (const env of [envA, envB]) {
    mkdirSync(path.join(env, 'lib'), { recursive: true });
    linkSync(shared, path.join(env, 'lib', 'core.so'));
  }
  const ownA = file(path.join(envA, 'own.py'), 50_000);
  // Linked twice inside A only (as a wheel's duplicate files can be).
  linkSync(ownA, path.join(envA, 'own-again.py'));
  const betweenAB = file(path.join(envA, 'lib', 'between.py'), 30_000);
  linkSync(betweenAB, path.join(envB, 'lib', 'between.py'));
  symlinkSync('/nonexistent/target', path.join(envA, 'dangling'));
  return { cache, envA, envB, shared, ownA, betweenAB };
}

/** The directories and symlinks under `dirs` (counted, each unshared). */
function overhead(...paths: string[]): number {
  return paths.reduce((sum, p) => sum + blocks(p), 0);
}

describe('DiskUsage', () => {
  it('counts a file linked from several places once, by its allocated blocks', async () => {
    const { envA, shared, ownA, betweenAB } = layout();
    const usage = await measureDiskUsage([envA]);
    const dirs = overhead(envA, path.join(envA, 'lib'), path.join(envA, 'dangling'));
    expect(usage.onDiskBytes).toBe(blocks(shared) + blocks(ownA) + blocks(betweenAB) + dirs);
    // The apparent sizes with every link counted would be 200k + 2×50k + 30k.
    expect(usage.onDiskBytes).toBeLessThan(200_000 + 100_000 + 30_000 + dirs);
    // Only the file linked from nowhere outside A is freed by removing A.
    expect(usage.unsharedBytes).toBe(blocks(ownA) + dirs);
  });

  it('counts a file shared by two measured environments once, and as unshared when no one else links it', async () => {
    const { envA, envB, shared, ownA, betweenAB } = layout();
    const both = await measureDiskUsage([envA, envB]);
    const dirs = overhead(envA, path.join(envA, 'lib'), path.join(envA, 'dangling'), envB, path.join(envB, 'lib'));
    expect(both.onDiskBytes).toBe(blocks(shared) + blocks(ownA) + blocks(betweenAB) + dirs);
    // core.so is still linked from uv's cache: not freed; between.py lives only in A and B.
    expect(both.unsharedBytes).toBe(blocks(ownA) + blocks(betweenAB) + dirs);
  });

  it('merges measurements taken one at a time (prune measures each environment just before removing it)', async () => {
    const { envA, envB, shared, ownA, betweenAB } = layout();
    const expectedDirs = overhead(envA, path.join(envA, 'lib'), path.join(envA, 'dangling'), envB, path.join(envB, 'lib'));
    const [sharedBlocks, ownBlocks, betweenBlocks] = [blocks(shared), blocks(ownA), blocks(betweenAB)];
    const total = new DiskUsage();
    for (const env of [envA, envB]) {
      const one = new DiskUsage();
      await one.add(env);
      total.merge(one);
      rmSync(env, { recursive: true, force: true });
    }
    // between.py had its two links in A and B (its link count dropped when A went): freed.
    expect(total.totals()).toEqual({
      onDiskBytes: sharedBlocks + ownBlocks + betweenBlocks + expectedDirs,
      unsharedBytes: ownBlocks + betweenBlocks + expectedDirs,
    });
  });

  it('measures nothing for a directory that does not exist', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'mlf-disk-usage-'));
    expect(await measureDiskUsage([path.join(root, 'gone')])).toEqual({ onDiskBytes: 0, unsharedBytes: 0 });
  });
});
