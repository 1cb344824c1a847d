/**
 * The on-disk layout under `$MLF_HOME`, spelled out: a renamed bucket orphans every user's cache,
 * so each name is pinned here as text, not through the constants.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketDir, builtEnvironmentCaches, CACHE_BUCKETS, environmentDependents, localInterpreterCaches } from '../../src/config/cache-layout.js';

const home = path.join(path.sep, 'home', 'u', '.cache', 'mlf');

describe('cache layout', () => {
  it('names every bucket under $MLF_HOME', () => {
    expect(Object.values(CACHE_BUCKETS).map((bucket) => path.join(home, bucket))).toEqual(
      ['envs-v1', 'interpreters-v1', 'local-checks-v1', 'tools-v1', 'pycache-v1', 'model-cache-v1', 'launch-v1', 'models-v1', 'serving-memory-v1'].map((name) => path.join(home, name)),
    );
    expect(bucketDir(home, 'envs')).toBe(path.join(home, 'envs-v1'));
  });

  it('keeps a built environment\'s model cache inside it and its bytecode in the pycache bucket', () => {
    const envDir = path.join(home, 'envs-v1', 'uv-0123456789abcdef');
    expect(builtEnvironmentCaches(home, envDir)).toEqual({ pycacheDir: path.join(home, 'pycache-v1'), modelCacheDir: path.join(envDir, 'mlf-model-cache') });
    expect(environmentDependents(home, envDir)).toEqual([path.join(home, 'pycache-v1', home, 'envs-v1', 'uv-0123456789abcdef')]);
  });

  it('gives the local interpreter a model cache bucket of its own', () => {
    expect(localInterpreterCaches(home)).toEqual({ pycacheDir: path.join(home, 'pycache-v1'), modelCacheDir: path.join(home, 'model-cache-v1') });
  });
});
