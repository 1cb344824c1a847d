import path from 'node:path';

/**
 * What lives under `$MLF_HOME`, in one place. Each kind of entry has a versioned bucket (as uv
 * keeps `wheels-v6/`): when an entry's layout or key changes, its bucket's name changes and the
 * old entries are simply never looked at again (`mlf envs prune` can still remove them).
 *
 * Only names and paths here; the modules that own each bucket read and write it (env/ the
 * environments, interpreters and tools; the worker its bytecode and model caches; the early start
 * its launch records). Removing an environment takes what depends on it, which
 * `environmentDependents` lists and `pruneEnvs` (ops/envs.ts, `mlf envs prune`) removes.
 */
export const CACHE_BUCKETS = {
  /** The environments models run in: `<manager>-<key16>/` (env/prepare.ts). */
  envs: 'envs-v1',
  /** Answers of interpreter queries, by path, size and mtime (env/python-discovery.ts). */
  interpreters: 'interpreters-v1',
  /** Answers of `--env-manager local`'s requirement check, valid while `sys.path` is unchanged (env/local-check-cache.ts). */
  localChecks: 'local-checks-v1',
  /** Tools mlf installs for itself: uv, when it is not on PATH (env/select-manager.ts). */
  tools: 'tools-v1',
  /**
   * The worker's bytecode (Python's pycache prefix), mirroring each source file's absolute path:
   * an environment's packages under `pycache-v1/<envDir>/`, so nothing is written into a model
   * directory or an environment that mlf did not build.
   */
  pycache: 'pycache-v1',
  /** The worker's model cache for the local manager, whose interpreter is the user's own. */
  localModelCache: 'model-cache-v1',
  /** How the last identical `mlf models predict` started its worker (worker/early-worker.ts). */
  launch: 'launch-v1',
  /** Models fetched from a tracking server or S3, content-addressed, and what model URIs resolved to last (tracking/model-cache.ts). */
  models: 'models-v1',
  /** The serving memory `mlf models generate-k8s` measured, by model digest and environment (ops/k8s-memory.ts): small JSON records. */
  servingMemory: 'serving-memory-v1',
} as const;

export type CacheBucket = keyof typeof CACHE_BUCKETS;

/**
 * The worker's model cache of a built environment (skops models transcoded to pickles): inside
 * the environment's own directory, so it goes when the environment is removed and is never shared
 * by environments with other packages.
 */
export const ENV_MODEL_CACHE_DIR = 'mlf-model-cache';

/** `$MLF_HOME/<bucket>`. */
export function bucketDir(mlfHome: string, bucket: CacheBucket): string {
  return path.join(mlfHome, CACHE_BUCKETS[bucket]);
}

/** Where a worker running in an environment keeps its caches. */
export interface EnvironmentCaches {
  /** Python's pycache prefix (`--pycache-prefix`): the bucket, which mirrors absolute paths. */
  pycacheDir: string;
  /** The worker's model cache (`--model-cache-dir`). */
  modelCacheDir: string;
}

/** The caches of a worker in an environment mlf built at `envDir`. */
export function builtEnvironmentCaches(mlfHome: string, envDir: string): EnvironmentCaches {
  return { pycacheDir: bucketDir(mlfHome, 'pycache'), modelCacheDir: path.join(envDir, ENV_MODEL_CACHE_DIR) };
}

/** The caches of a worker in the user's own interpreter (`--env-manager local`), where mlf writes nothing. */
export function localInterpreterCaches(mlfHome: string): EnvironmentCaches {
  return { pycacheDir: bucketDir(mlfHome, 'pycache'), modelCacheDir: bucketDir(mlfHome, 'localModelCache') };
}

/**
 * What must go when the environment at `envDir` is removed and lies outside it: the bytecode of
 * its packages. (Its model cache is inside it; launch records that would start a worker in it name
 * its marker, and the early start's own prune removes those once the marker is gone.)
 */
export function environmentDependents(mlfHome: string, envDir: string): string[] {
  return [path.join(bucketDir(mlfHome, 'pycache'), envDir)];
}
