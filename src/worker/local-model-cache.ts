import { bucketDir } from '../config/cache-layout.js';
import { removeAgedFiles, type AgedFilesRemoved } from '../fs/aged-files.js';

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
export type LocalModelCachePrune = AgedFilesRemoved;

export async function pruneLocalModelCache(mlfHome: string, options: { olderThanMs?: number; now?: Date } = {}): Promise<LocalModelCachePrune> {
  return removeAgedFiles(bucketDir(mlfHome, 'localModelCache'), {
    ...options,
    isEntry: (name) => /^[0-9a-f]{64}\.pkl$/.test(name),
    // mlf_worker/cache/skops.py's write_transcoded stages with tempfile.mkstemp(prefix=".tmp-", suffix=".pkl").
    isStaging: (name) => name.startsWith('.tmp-') && name.endsWith('.pkl'),
  });
}
