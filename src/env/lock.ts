import lockfile from 'proper-lockfile';
import { environmentError } from '../errors.js';

/**
 * One lock per cache entry (a `<entry>.lock` directory beside it, proper-lockfile's scheme):
 * the process that holds it is the only one that may build, repair or remove the entry.
 * The holder refreshes the lock's mtime every few seconds; a lock left by a killed process
 * stops being refreshed and is taken over once it is `staleMs` old.
 */
export interface EntryLockOptions {
  /** Give up waiting after this long (the error names it). */
  timeoutMs: number;
  /** A lock not refreshed for this long belongs to a dead process. Default 20 s. */
  staleMs?: number;
  /** Called once, when the lock is found held by someone else. */
  onWait?: () => void;
  /** Called if the lock was lost while held (its directory removed, or not refreshed in time). */
  onCompromised?: (error: Error) => void;
}

export const DEFAULT_STALE_MS = 20_000;
const POLL_MS = 300;

export function lockPathFor(entryDir: string): string {
  return `${entryDir}.lock`;
}

/** Acquires the entry's lock, waiting for another holder up to `timeoutMs`; resolves to the release function. */
export async function acquireEntryLock(entryDir: string, options: EntryLockOptions): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const started = Date.now();
  let waited = false;
  for (;;) {
    try {
      return await lockfile.lock(entryDir, {
        realpath: false,
        lockfilePath: lockPathFor(entryDir),
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 4)),
        retries: 0,
        // The default throws from a timer, which would crash the process: report instead.
        onCompromised: (error) => options.onCompromised?.(error),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    if (!waited) {
      waited = true;
      options.onWait?.();
    }
    if (Date.now() - started >= options.timeoutMs) {
      throw environmentError(
        'LOCK_TIMEOUT',
        `timed out after ${formatSeconds(options.timeoutMs)} waiting for the lock on environment \`${entryDir}\``,
        {
          hint: `another mlf process is building or removing it; if none is running, remove \`${lockPathFor(entryDir)}\``,
          data: { entryDir, timeoutMs: options.timeoutMs },
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Runs `fn` holding the entry's lock, and releases it whatever happens. */
export async function withEntryLock<T>(entryDir: string, options: EntryLockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireEntryLock(entryDir, options);
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Whether someone (alive) holds the entry's lock now. */
export async function isEntryLocked(entryDir: string, staleMs = DEFAULT_STALE_MS): Promise<boolean> {
  try {
    return await lockfile.check(entryDir, { realpath: false, lockfilePath: lockPathFor(entryDir), stale: staleMs });
  } catch {
    return false;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
