import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';

/**
 * The worker's model cache for `--env-manager local` (`$MLF_HOME/model-cache-v1`): skops models
 * transcoded to pickles (mlf_worker/cache/skops.py), one `<digest>.pkl` each. A built
 * environment keeps its own inside itself and goes with it; this one belongs to no environment,
 * so `mlf envs prune` ages it out by itself.
 *
 * A file's mtime is its last use: the worker touches it on every hit. Removing one under a
 * running worker is safe: a worker that already opened it reads on, and one that finds it gone
 * loads the skops file again and re-caches it.
 */

/** A writer's temp file younger than this may still be renamed into place: left alone. */
const TEMP_FILE_GRACE_MS = 60 * 60 * 1000;

export interface LocalModelCachePrune {
  dir: string;
  /** The transcoded models removed. */
  removed: string[];
  bytes: number;
}

export async function pruneLocalModelCache(
  mlfHome: string,
  options: { olderThanMs?: number; now?: Date } = {},
): Promise<LocalModelCachePrune> {
  const dir = bucketDir(mlfHome, 'localModelCache');
  const result: LocalModelCachePrune = { dir, removed: [], bytes: 0 };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return result;
  }
  const now = (options.now ?? new Date()).getTime();
  for (const name of names.sort()) {
    const isModel = /^[0-9a-f]{64}\.pkl$/.test(name);
    const isTemp = name.startsWith('.tmp-') && name.endsWith('.pkl');
    // Anything else is not the worker's: never removed.
    if (!isModel && !isTemp) continue;
    const file = path.join(dir, name);
    const stat = await lstat(file).catch(() => undefined);
    if (!stat?.isFile()) continue;
    const age = now - stat.mtimeMs;
    const due = isTemp ? age >= TEMP_FILE_GRACE_MS : options.olderThanMs === undefined || age >= options.olderThanMs;
    if (!due) continue;
    await rm(file, { force: true });
    if (isModel) {
      result.removed.push(file);
      result.bytes += stat.size;
    }
  }
  return result;
}
