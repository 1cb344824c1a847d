import { lstat, mkdir, rm, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { environmentError } from '../errors.js';
import { isOwnerDead, isSameOwner, newLockOwner, readLockOwner, takeOverLock, writeLockOwner, type OwnerReading } from '../lock-owner.js';

/**
 * One lock per cache entry (a `<entry>.lock` directory beside it; mkdir is atomic): the process
 * that holds it is the only one that may build, repair or remove the entry.
 *
 * The lock holds `owner.json` (pid, host, boot id; lock-owner.ts), so a lock left by a killed
 * build whose process is gone is taken over at once, not after a timeout. For a lock without a
 * readable owner (killed between mkdir and the owner file, or written by something else), and
 * for an owner that looks alive but has stopped (a reused pid, a frozen process), the holder
 * refreshes the directory's mtime every few seconds, and a lock not refreshed for `staleMs` is
 * taken over as well.
 */
export interface EntryLockOptions {
  /** Give up waiting after this long (the error names it). */
  timeoutMs: number;
  /** A lock not refreshed for this long belongs to a dead process. Default 20 s. */
  staleMs?: number;
  /** What the entry is, as the timeout's message names it. Default `environment`. */
  what?: string;
  /** Called once, when the lock is found held by someone else. */
  onWait?: () => void;
  /** Called if the lock was lost while held (its directory removed, or taken over). */
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
  const lockDir = lockPathFor(entryDir);
  const started = Date.now();
  let waited = false;
  for (;;) {
    const release = await tryLock(lockDir, staleMs, options);
    if (release) return release;
    const holder = await readLockOwner(lockDir);
    if (await isStale(lockDir, holder, staleMs)) {
      // Moved aside as `.trash-*`, which the cache's prune removes if this process dies here.
      const aside = path.join(path.dirname(lockDir), `.trash-lock-${randomBytes(6).toString('hex')}`);
      if (await takeOverLock(lockDir, holder, aside)) continue;
    }
    if (!waited) {
      waited = true;
      options.onWait?.();
    }
    if (Date.now() - started >= options.timeoutMs) {
      throw environmentError(
        'LOCK_TIMEOUT',
        `timed out after ${formatSeconds(options.timeoutMs)} waiting for the lock on ${options.what ?? 'environment'} \`${entryDir}\``,
        {
          hint: `another mlf process is building or removing it; if none is running, remove \`${lockDir}\``,
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
  const lockDir = lockPathFor(entryDir);
  try {
    await lstat(lockDir);
  } catch {
    return false;
  }
  return !(await isStale(lockDir, await readLockOwner(lockDir), staleMs));
}

/** The release function if the lock was free, undefined if someone holds it. */
async function tryLock(lockDir: string, staleMs: number, options: EntryLockOptions): Promise<(() => Promise<void>) | undefined> {
  try {
    await mkdir(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const me = newLockOwner();
  try {
    await writeLockOwner(lockDir, me);
  } catch (error) {
    await rm(lockDir, { recursive: true, force: true });
    throw error;
  }
  const refresher = startRefreshing(lockDir, me, Math.max(1000, Math.floor(staleMs / 4)), options.onCompromised);
  return async () => {
    refresher.stop();
    // Only our own lock: after a takeover it is someone else's.
    if (isSameOwner(await readLockOwner(lockDir), me)) await rm(lockDir, { recursive: true, force: true });
  };
}

/** Keeps the lock's mtime fresh while held; reports once if the lock stops being ours. */
function startRefreshing(lockDir: string, me: ReturnType<typeof newLockOwner>, everyMs: number, onCompromised?: (error: Error) => void) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const lost = (why: string) => {
    stopped = true;
    onCompromised?.(Object.assign(new Error(why), { code: 'ECOMPROMISED' }));
  };
  const tick = async () => {
    if (stopped) return;
    if (!isSameOwner(await readLockOwner(lockDir), me)) return lost('the lock was removed or taken over by another process');
    const now = new Date();
    try {
      await utimes(lockDir, now, now);
    } catch (error) {
      return lost(`the lock could not be refreshed (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick().catch((error: unknown) => lost(`the lock could not be checked (${String(error)})`)), everyMs);
    // The lock must not keep the process alive; a dead holder's lock is taken over at once.
    timer.unref();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * A dead owner is stale at once; any other lock (a live owner, no readable owner, not even a
 * directory) once its mtime is older than `staleMs`, the rule that held before owners were kept.
 */
async function isStale(lockDir: string, holder: OwnerReading, staleMs: number): Promise<boolean> {
  if (holder.kind === 'owner' && isOwnerDead(holder.owner)) return true;
  try {
    return Date.now() - (await lstat(lockDir)).mtimeMs > staleMs;
  } catch {
    return true; // Released meanwhile: try again at once.
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
