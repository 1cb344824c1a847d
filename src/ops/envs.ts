import type { DiskUsageTotals } from '../env/disk-usage.js';
import {
  environmentPathFor,
  listEnvironments,
  parseDuration,
  pruneEnvironments,
  resolveMlfHome,
  type CachedEnvironment,
} from '../env/index.js';
import { listCachedModels, pruneCachedModels, type CachedModelEntry } from '../tracking/model-cache.js';
import { pruneLaunchRecords } from '../worker/early-worker.js';
import { pruneLocalModelCache, type LocalModelCachePrune } from '../worker/local-model-cache.js';
import { environmentRequestFor, type ModelEnvOptions } from './prepare-env.js';
import { pruneServingMemory } from './k8s-memory.js';
import type { AgedFilesRemoved } from '../fs/aged-files.js';

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
  /** The model cache (tracking/model-cache.ts): models fetched from a tracking server or S3. */
  models: { bucket: string; entries: CachedModelEntry[] };
}

export async function listEnvs(options: CacheOptions): Promise<EnvListing> {
  const { bucket, environments, totals } = await listEnvironments({ ...options, withSize: true });
  const models = await listCachedModels(resolveMlfHome(options));
  return { bucket, environments, totals: totals ?? { onDiskBytes: 0, unsharedBytes: 0 }, models: { bucket: models.bucket, entries: models.models } };
}

export interface PruneEnvsResult {
  bucket: string;
  removed: CachedEnvironment[];
  skipped: CachedEnvironment[];
  /** What the removed environments and their dependents took on disk, each file once. */
  onDiskBytes: number;
  /** The part of it that was linked from nowhere else: the space the removal freed. */
  freedBytes: number;
  /** Cached models removed (not used within --older-than, or all), and those a running command uses. */
  models: { bucket: string; removed: CachedModelEntry[]; skipped: CachedModelEntry[]; bytes: number };
  /** The local manager's transcoded skops models (worker/local-model-cache.ts), by last use. */
  localModelCache: LocalModelCachePrune;
  /** generate-k8s's cached memory measurements (ops/k8s-memory.ts), by last use. */
  servingMemory: AgedFilesRemoved;
}

/**
 * The one way environments leave the cache: removes them (env/cache.ts says which), each with
 * what depends on it under `$MLF_HOME` (config/cache-layout.ts: its model cache inside it, the
 * bytecode of its packages), then the launch records that would start workers in them
 * (worker/early-worker.ts).
 */
export async function pruneEnvs(options: CacheOptions & { olderThan?: string; now?: Date }): Promise<PruneEnvsResult> {
  const olderThanMs = options.olderThan !== undefined ? parseDuration(options.olderThan) : undefined;
  const result = await pruneEnvironments({ ...options, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
  pruneLaunchRecords(resolveMlfHome(options));
  const age = { ...(olderThanMs !== undefined ? { olderThanMs } : {}), ...(options.now ? { now: options.now } : {}) };
  const models = await pruneCachedModels(resolveMlfHome(options), age);
  const localModelCache = await pruneLocalModelCache(resolveMlfHome(options), age);
  const servingMemory = await pruneServingMemory(resolveMlfHome(options), age);
  const { onDiskBytes, unsharedBytes } = result.usage.totals();
  return { bucket: result.bucket, removed: result.removed, skipped: result.skipped, onDiskBytes, freedBytes: unsharedBytes, models, localModelCache, servingMemory };
}

/** `mlf envs path`: where the model's environment is (built or not), without building it. */
export async function envPath(options: ModelEnvOptions) {
  return environmentPathFor(await environmentRequestFor(options));
}
