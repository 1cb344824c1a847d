/**
 * `mlf envs prune` as the ops layer does it: with each environment go the worker's bytecode of its
 * packages (under the pycache prefix, which mirrors absolute paths) and the launch records that
 * would start workers in it; what belongs to other environments stays.
 */
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listEnvs, pruneEnvs } from '../../src/ops/envs.js';
import { bucketDir } from '../../src/config/cache-layout.js';
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

function environment(home: string, name: string, lastUsed: string): { envDir: string; bytecode: string; marker: string } {
  const envDir = path.join(home, 'envs-v1', name);
  mkdirSync(path.join(envDir, 'bin'), { recursive: true });
  const marker = path.join(envDir, 'mlf-env.json');
  writeFileSync(marker, JSON.stringify({ schema: 1, key: name.slice(3), manager: 'uv', pythonPath: path.join(envDir, 'bin', 'python'), lastUsed }));
  const bytecode = path.join(bucketDir(home, 'pycache'), envDir, 'lib', 'python3.11', 'site-packages', '__pycache__');
  mkdirSync(bytecode, { recursive: true });
  writeFileSync(path.join(bytecode, 'six.cpython-311.pyc'), 'x'.repeat(1000));
  return { envDir, bytecode, marker };
}

function launchRecord(home: string, name: string, present: string[]): string {
  const file = path.join(bucketDir(home, 'launch'), `${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const files = present.map((p) => ({ path: p, signature: 'present' }));
  writeFileSync(file, JSON.stringify({ version: 1, worker: { file: '/usr/bin/python3', args: [], cwd: '/' }, files }));
  return file;
}

describe('pruneEnvs', () => {
  it('removes an environment with its bytecode and its launch records, and leaves the others', async () => {
    const home = tempDir();
    const now = new Date('2026-11-21T12:00:00Z');
    const old = environment(home, 'uv-0123456789abcdef', '2026-10-01T00:00:00Z');
    const recent = environment(home, 'uv-fedcba9876543210', '2026-11-21T11:00:00Z');
    const oldRecord = launchRecord(home, 'a', [old.marker]);
    const recentRecord = launchRecord(home, 'b', [recent.marker]);
    const localRecord = launchRecord(home, 'c', []);
    writeFileSync(path.join(bucketDir(home, 'launch'), 'd.json'), 'not json');

    const result = await pruneEnvs({ env: { MLF_HOME: home }, cwd: '/', olderThan: '7d', now });
    expect(result.removed.map((e) => e.envDir)).toEqual([old.envDir]);
    expect(result.freedBytes).toBeGreaterThanOrEqual(1000);
    expect(existsSync(old.envDir)).toBe(false);
    expect(existsSync(path.join(bucketDir(home, 'pycache'), old.envDir))).toBe(false);
    expect(existsSync(recent.bytecode)).toBe(true);
    expect(existsSync(oldRecord)).toBe(false);
    expect(existsSync(recentRecord)).toBe(true);
    expect(existsSync(localRecord)).toBe(true);
    expect(readdirSync(bucketDir(home, 'launch')).sort()).toEqual(['b.json', 'c.json']);
  });
});

describe('pruneEnvs on the caches that belong to no environment', () => {
  it('ages out the local manager\'s transcoded models and generate-k8s\'s memory measurements by last use', async () => {
    const home = tempDir();
    const now = new Date('2026-11-21T12:00:00Z');
    const write = (bucket: 'localModelCache' | 'servingMemory', name: string, ageDays: number) => {
      const file = path.join(bucketDir(home, bucket), name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'x');
      const at = new Date(now.getTime() - ageDays * 86400_000);
      utimesSync(file, at, at);
      return file;
    };
    const oldModel = write('localModelCache', `${'a'.repeat(64)}.pkl`, 30);
    const newModel = write('localModelCache', `${'b'.repeat(64)}.pkl`, 1);
    const oldMeasure = write('servingMemory', `${'c'.repeat(32)}.json`, 30);
    const newMeasure = write('servingMemory', `${'d'.repeat(32)}.json`, 1);
    const result = await pruneEnvs({ env: { MLF_HOME: home }, cwd: '/', olderThan: '7d', now });
    expect(result.localModelCache.removed).toEqual([oldModel]);
    expect(result.servingMemory.removed).toEqual([oldMeasure]);
    expect([newModel, newMeasure].every((f) => existsSync(f))).toBe(true);
    const all = await pruneEnvs({ env: { MLF_HOME: home }, cwd: '/', now });
    expect(all.localModelCache.removed).toEqual([newModel]);
    expect(all.servingMemory.removed).toEqual([newMeasure]);
  });
});

describe('sizes on disk with files hard-linked from uv\'s cache', () => {
  function linkedEnvironments(home: string) {
    const cacheFile = path.join(home, 'uv-cache', 'numpy.so');
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, Buffer.alloc(400_000, 1));
    const envs = ['uv-0123456789abcdef', 'uv-fedcba9876543210'].map((name) => {
      const env = environment(home, name, '2026-10-01T00:00:00Z');
      linkSync(cacheFile, path.join(env.envDir, 'bin', 'numpy.so'));
      writeFileSync(path.join(env.envDir, 'bin', 'own.py'), Buffer.alloc(40_000, 2));
      return env;
    });
    return { cacheFile, envs };
  }

  it('lists each environment with the linked file counted once in the total, and not as unshared', async () => {
    const home = tempDir();
    const { cacheFile } = linkedEnvironments(home);
    const linked = lstatSync(cacheFile).blocks * 512;
    const { environments, totals } = await listEnvs({ env: { MLF_HOME: home }, cwd: '/' });
    expect(environments).toHaveLength(2);
    for (const e of environments) {
      expect(e.sizeBytes! - e.unsharedBytes!).toBe(linked);
      expect(e.unsharedBytes).toBeGreaterThanOrEqual(40_000);
    }
    // Apparent sizes would add the 400 kB file twice; on disk it is there once.
    expect(totals.onDiskBytes).toBe(environments[0]!.unsharedBytes! + environments[1]!.unsharedBytes! + linked);
    expect(totals.unsharedBytes).toBe(totals.onDiskBytes - linked);
  });

  it('prune says what was on disk and frees only what no other file links', async () => {
    const home = tempDir();
    const { cacheFile } = linkedEnvironments(home);
    const linked = lstatSync(cacheFile).blocks * 512;
    const result = await pruneEnvs({ env: { MLF_HOME: home }, cwd: '/' });
    expect(result.removed).toHaveLength(2);
    expect(result.onDiskBytes - result.freedBytes).toBe(linked);
    expect(result.freedBytes).toBeGreaterThanOrEqual(2 * (40_000 + 1000));
    expect(existsSync(cacheFile)).toBe(true);
  });
});
