import {
  environmentPathFor,
  listEnvironments,
  parseDuration,
  pruneEnvironments,
  type CachedEnvironment,
  type EnvRequest,
  type PruneResult,
} from '../env/index.js';

/** `mlf envs list|prune|path`: the environment cache, seen from the command line. */

export interface CacheOptions {
  mlfHome?: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

export async function listEnvs(options: CacheOptions): Promise<{ bucket: string; environments: CachedEnvironment[] }> {
  return listEnvironments({ ...options, withSize: true });
}

export async function pruneEnvs(options: CacheOptions & { olderThan?: string; now?: Date }): Promise<PruneResult> {
  const olderThanMs = options.olderThan !== undefined ? parseDuration(options.olderThan) : undefined;
  return pruneEnvironments({ ...options, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
}

export async function envPath(request: EnvRequest) {
  return environmentPathFor(request);
}
