import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  directorySize,
  environmentPathFor,
  listEnvironments,
  parseDuration,
  pruneEnvironments,
  resolveMlfHome,
  type CachedEnvironment,
  type EnvRequest,
  type PruneResult,
} from '../env/index.js';
import { pruneLaunchRecords } from '../runtime/early-worker.js';
import { PYCACHE_BUCKET } from './predict-caches.js';

/** `mlf envs list|prune|path`: the environment cache, seen from the command line. */

export interface CacheOptions {
  mlfHome?: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

export async function listEnvs(options: CacheOptions): Promise<{ bucket: string; environments: CachedEnvironment[] }> {
  return listEnvironments({ ...options, withSize: true });
}

/**
 * Removes environments (env/cache.ts says which), and with each the worker's bytecode of its
 * packages (the pycache prefix mirrors the environment's absolute path) and the launch records
 * that started workers in it (runtime/early-worker.ts).
 */
export async function pruneEnvs(options: CacheOptions & { olderThan?: string; now?: Date }): Promise<PruneResult> {
  const olderThanMs = options.olderThan !== undefined ? parseDuration(options.olderThan) : undefined;
  const result = await pruneEnvironments({ ...options, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
  const mlfHome = resolveMlfHome(options);
  for (const entry of result.removed) {
    const bytecode = path.join(mlfHome, PYCACHE_BUCKET, entry.envDir);
    result.freedBytes += await directorySize(bytecode);
    await rm(bytecode, { recursive: true, force: true });
  }
  pruneLaunchRecords(mlfHome);
  return result;
}

export async function envPath(request: EnvRequest) {
  return environmentPathFor(request);
}
