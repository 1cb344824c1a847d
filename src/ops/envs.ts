import { rm } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { DiskUsageTotals } from '../env/disk-usage.js';
import {
  environmentPathFor,
  listEnvironments,
  parseDuration,
  pruneEnvironments,
  resolveMlfHome,
  type CachedEnvironment,
} from '../env/index.js';
import { pruneLaunchRecords } from '../worker/early-worker.js';
import { PYCACHE_BUCKET } from './predict-caches.js';
import { environmentRequestFor, type ModelEnvOptions } from './prepare-env.js';

/** `mlf envs list|prune|path`: the environment cache, seen from the command line. */

export interface CacheOptions {
  mlfHome?: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface EnvListing {
  bucket: string;
  /** Each with its own sizes: on disk, and the part no other file links (disk-usage.ts). */
  environments: CachedEnvironment[];
  /** All of them together: a file two environments share counted once. */
  totals: DiskUsageTotals;
}

export async function listEnvs(options: CacheOptions): Promise<EnvListing> {
  const { bucket, environments, totals } = await listEnvironments({ ...options, withSize: true });
  return { bucket, environments, totals: totals ?? { onDiskBytes: 0, unsharedBytes: 0 } };
}

export interface PruneEnvsResult {
  bucket: string;
  removed: CachedEnvironment[];
  skipped: CachedEnvironment[];
  /** What the removed environments and their bytecode took on disk, each file once. */
  onDiskBytes: number;
  /** The part of it that was linked from nowhere else: the space the removal freed. */
  freedBytes: number;
}

/**
 * Removes environments (env/cache.ts says which), and with each the worker's bytecode of its
 * packages (the pycache prefix mirrors the environment's absolute path) and the launch records
 * that started workers in it (worker/early-worker.ts).
 */
export async function pruneEnvs(options: CacheOptions & { olderThan?: string; now?: Date }): Promise<PruneEnvsResult> {
  const olderThanMs = options.olderThan !== undefined ? parseDuration(options.olderThan) : undefined;
  const result = await pruneEnvironments({ ...options, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
  const mlfHome = resolveMlfHome(options);
  for (const entry of result.removed) {
    const bytecode = path.join(mlfHome, PYCACHE_BUCKET, entry.envDir);
    if (!existsSync(bytecode)) continue;
    await result.usage.add(bytecode);
    await rm(bytecode, { recursive: true, force: true });
  }
  pruneLaunchRecords(mlfHome);
  const { onDiskBytes, unsharedBytes } = result.usage.totals();
  return { bucket: result.bucket, removed: result.removed, skipped: result.skipped, onDiskBytes, freedBytes: unsharedBytes };
}

/** `mlf envs path`: where the model's environment is (built or not), without building it. */
export async function envPath(options: ModelEnvOptions) {
  return environmentPathFor(await environmentRequestFor(options));
}
