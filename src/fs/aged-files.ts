import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes a cache bucket's flat entry files by age, for the buckets whose entries are single
 * files whose mtime is their last use (their readers touch them on a hit). Only names the
 * bucket's owner recognises are removed: anything else, a directory or a symlink in the bucket
 * is left alone.
 */
export interface AgedFilesOptions {
  /** An entry of the bucket (removed when older than `olderThanMs`, or always without it). */
  isEntry: (name: string) => boolean;
  /** A writer's staging file: removed only once older than `tempGraceMs`, it may still be renamed into place. */
  isStaging: (name: string) => boolean;
  olderThanMs?: number;
  now?: Date;
  tempGraceMs?: number;
}

export interface AgedFilesRemoved {
  dir: string;
  /** The entries removed (staging files are not listed). */
  removed: string[];
  bytes: number;
}

const DEFAULT_STAGING_GRACE_MS = 60 * 60 * 1000;

export async function removeAgedFiles(dir: string, options: AgedFilesOptions): Promise<AgedFilesRemoved> {
  const result: AgedFilesRemoved = { dir, removed: [], bytes: 0 };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return result;
  }
  const now = (options.now ?? new Date()).getTime();
  for (const name of names.sort()) {
    const isEntry = options.isEntry(name);
    if (!isEntry && !options.isStaging(name)) continue;
    const file = path.join(dir, name);
    const stat = await lstat(file).catch(() => undefined);
    if (!stat?.isFile()) continue;
    const age = now - stat.mtimeMs;
    const due = isEntry ? options.olderThanMs === undefined || age >= options.olderThanMs : age >= (options.tempGraceMs ?? DEFAULT_STAGING_GRACE_MS);
    if (!due) continue;
    await rm(file, { force: true });
    if (isEntry) {
      result.removed.push(file);
      result.bytes += stat.size;
    }
  }
  return result;
}
