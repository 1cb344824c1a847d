import { readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bucketDir, environmentDependents } from '../config/cache-layout.js';
import { DiskUsage, type DiskUsageTotals } from './disk-usage.js';
import { resolveMlfHome } from './home.js';
import { processesUsing } from './in-use.js';
import { acquireEntryLock, isEntryLocked } from './lock.js';
import { readMarker, type EnvMarker } from './marker.js';
import { removeTree } from './remove-tree.js';
import type { EnvManagerName } from './types.js';

/**
 * Seeing and cleaning the environment cache (`mlf envs list|prune`). An entry is a
 * `<manager>-<key16>` directory in the bucket; with a marker it is `complete`, without one
 * it is `building` while its lock is held and `incomplete` (a build that died) otherwise.
 */
export type EntryStatus = 'complete' | 'building' | 'incomplete';

export interface CachedEnvironment {
  name: string;
  envDir: string;
  status: EntryStatus;
  manager?: EnvManagerName;
  marker?: EnvMarker;
  /** On disk: allocated blocks, a hard-linked file once (disk-usage.ts). */
  sizeBytes?: number;
  /** The part of sizeBytes linked from nowhere outside this environment (uv's cache links the rest). */
  unsharedBytes?: number;
}

export interface CacheLocation {
  mlfHome?: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

const ENTRY_NAME = /^(uv|virtualenv|conda)-[0-9a-f]{16}$/;

export async function listEnvironments(
  options: CacheLocation & { withSize?: boolean },
): Promise<{ bucket: string; environments: CachedEnvironment[]; totals?: DiskUsageTotals }> {
  const bucket = bucketDir(resolveMlfHome(options), 'envs');
  let names: string[];
  try {
    names = await readdir(bucket);
  } catch {
    return { bucket, environments: [] };
  }
  const environments: CachedEnvironment[] = [];
  // All entries together: a file two environments share is counted once in the total.
  const all = new DiskUsage();
  for (const name of names.filter((n) => ENTRY_NAME.test(n)).sort()) {
    const envDir = path.join(bucket, name);
    const marker = await readMarker(envDir);
    const status: EntryStatus = marker ? 'complete' : (await isEntryLocked(envDir)) ? 'building' : 'incomplete';
    const entry: CachedEnvironment = { name, envDir, status, manager: name.split('-')[0] as EnvManagerName };
    if (marker) entry.marker = marker;
    if (options.withSize) all.merge(await measureEntry(entry));
    environments.push(entry);
  }
  // Most recently used first.
  environments.sort((a, b) => (b.marker?.lastUsed ?? '').localeCompare(a.marker?.lastUsed ?? ''));
  return options.withSize ? { bucket, environments, totals: all.totals() } : { bucket, environments };
}

/** Sets the entry's sizes and returns its measurement, to be merged into a total. */
async function measureEntry(entry: CachedEnvironment): Promise<DiskUsage> {
  const usage = new DiskUsage();
  await usage.add(entry.envDir);
  const { onDiskBytes, unsharedBytes } = usage.totals();
  entry.sizeBytes = onDiskBytes;
  entry.unsharedBytes = unsharedBytes;
  return usage;
}

export interface PruneOptions extends CacheLocation {
  /** Remove complete entries not used for this long; absent: remove every entry. */
  olderThanMs?: number;
  now?: Date;
}

export interface PruneResult {
  bucket: string;
  removed: CachedEnvironment[];
  /** Entries left alone because another process holds their lock. */
  skipped: CachedEnvironment[];
  /**
   * What was removed (each environment with its dependents), measured just before each removal:
   * its on-disk total, and the part linked from nowhere else, which is what the removal freed.
   */
  usage: DiskUsage;
}

/**
 * Removes entries not used within `olderThanMs` (all when absent), and always incomplete
 * ones and leftover scratch directories. Each entry is removed under its lock, with what depends
 * on it elsewhere under `$MLF_HOME` (config/cache-layout.ts: the bytecode of its packages); an
 * entry being built by another process, or with a predict running in it (in-use.ts), is skipped
 * and reported.
 */
export async function pruneEnvironments(options: PruneOptions): Promise<PruneResult> {
  const now = (options.now ?? new Date()).getTime();
  const mlfHome = resolveMlfHome(options);
  const { bucket, environments } = await listEnvironments(options);
  const result: PruneResult = { bucket, removed: [], skipped: [], usage: new DiskUsage() };
  for (const entry of environments) {
    if (entry.status === 'complete' && options.olderThanMs !== undefined) {
      const lastUsed = Date.parse(entry.marker?.lastUsed ?? '');
      if (Number.isFinite(lastUsed) && now - lastUsed < options.olderThanMs) continue;
    }
    if (entry.status === 'building') {
      result.skipped.push(entry);
      continue;
    }
    let release: (() => Promise<void>) | undefined;
    try {
      release = await acquireEntryLock(entry.envDir, { timeoutMs: 0 });
    } catch {
      result.skipped.push(entry);
      continue;
    }
    try {
      if ((await processesUsing(entry.envDir)).length > 0) {
        result.skipped.push(entry);
        continue;
      }
      result.usage.merge(await measureEntry(entry));
      await removeTree(entry.envDir);
      for (const dependent of environmentDependents(mlfHome, entry.envDir)) {
        if (!existsSync(dependent)) continue;
        await result.usage.add(dependent);
        await rm(dependent, { recursive: true, force: true });
      }
      result.removed.push(entry);
    } finally {
      await release();
    }
  }
  await removeScratch(bucket);
  return result;
}

/** `.trash-*` left by an interrupted removal and `*.inputs` left by an interrupted build. */
async function removeScratch(bucket: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(bucket);
  } catch {
    return;
  }
  for (const name of names) {
    const scratch = name.startsWith('.trash-') || (name.endsWith('.inputs') && ENTRY_NAME.test(name.slice(0, -'.inputs'.length)));
    if (!scratch) continue;
    if (name.endsWith('.inputs') && (await isEntryLocked(path.join(bucket, name.slice(0, -'.inputs'.length))))) continue;
    await rm(path.join(bucket, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
