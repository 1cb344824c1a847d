import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { inputError } from '../errors.js';
import { isOwnerDead, isOwnerFileName, isSameOwner, newLockOwner, readLockOwner, takeOverLock, writeLockOwner, type OwnerReading } from '../lock-owner.js';

/**
 * One mlf writer at a time per model directory.
 *
 * transaction.ts makes each commit atomic, but two mlf processes changing the same model at once
 * would still lose one's update (both read, both write), and worse, one's recovery step deletes
 * the other's temporary files mid-commit, leaving requirements.txt and conda.yaml out of step.
 * So every command that writes a model directory (update-pip-requirements, validate --fix) holds
 * this lock from before it reads the directory until after it committed.
 *
 * The lock is the directory `.mlf-lock` inside the model directory (mkdir is atomic), holding
 * `owner.json` (pid, host, boot, since, token; lock-owner.ts). A lock whose owner is a dead
 * process on this host (a killed mlf), or whose owner file mlf did not write (it is written
 * whole, so garbage is never a live mlf's), is taken over at once; one without an owner file
 * (killed between the two steps) once it is older than OWNERLESS_STALE_MS. A `.mlf-lock` that
 * is not a directory, or holds files mlf does not put there, is not mlf's lock: it is refused
 * with one line, and nothing is removed.
 */
export const WRITE_LOCK_NAME = '.mlf-lock';
const OWNERLESS_STALE_MS = 10_000;
const STALE_ASIDE = `${WRITE_LOCK_NAME}-stale-`;

/** The lock, and a stale one moved aside while it is taken over (removed at once, left only by a crash). */
export function isWriteLockName(name: string): boolean {
  return name === WRITE_LOCK_NAME || (name.startsWith(STALE_ASIDE) && /^[0-9a-f]{8}$/.test(name.slice(STALE_ASIDE.length)));
}
const UNLOCKABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS']);

export interface WriteLockOptions {
  /** How long to wait for another live writer before giving up. Default 30 s. */
  timeoutMs?: number;
  /** How the directory is named in messages (the user's own words). */
  displayPath?: string;
  /** What the holder does to the directory, for the refusal (default `changed`). */
  doing?: string;
}

/** Runs `work` holding the model directory's write lock. */
export async function withModelWriteLock<T>(dir: string, work: () => Promise<T>, options: WriteLockOptions = {}): Promise<T> {
  const release = await acquireModelWriteLock(dir, options);
  try {
    return await work();
  } finally {
    await release();
  }
}

export async function acquireModelWriteLock(dir: string, options: WriteLockOptions = {}): Promise<() => Promise<void>> {
  const lockDir = path.join(dir, WRITE_LOCK_NAME);
  const shownLock = path.join(options.displayPath ?? dir, WRITE_LOCK_NAME);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  const me = newLockOwner();
  for (;;) {
    try {
      await mkdir(lockDir);
      try {
        await writeLockOwner(lockDir, me);
      } catch (error) {
        // (A full disk, say): leave no ownerless lock for others to wait out.
        await rm(lockDir, { recursive: true, force: true });
        throw error;
      }
      return () => releaseLock(lockDir, me);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A missing or read-only directory: no lock can be made, and no mlf can write there either;
      // the work goes on unlocked and reports the missing directory, or the write that fails.
      if (code !== undefined && UNLOCKABLE.has(code)) return async () => undefined;
      if (code !== 'EEXIST') throw error;
    }
    await assertLockDirectory(lockDir, shownLock);
    const holder = await readLockOwner(lockDir);
    if (await isStale(lockDir, holder)) {
      const gone = await takeOverLock(lockDir, holder, path.join(dir, `${STALE_ASIDE}${randomBytes(4).toString('hex')}`));
      if (gone) continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const who = holder.kind === 'owner' ? `mlf process ${holder.owner.pid} on ${holder.owner.host}, since ${holder.owner.since}` : 'another mlf process';
      throw inputError('MODEL_DIR_BUSY', `\`${options.displayPath ?? dir}\` is being ${options.doing ?? 'changed'} by ${who}`, {
        file: shownLock,
        hint: `run again when it has finished; if no mlf is running, delete \`${shownLock}\``,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A `.mlf-lock` mlf did not make (a file, a symlink, a directory with other things in it) is
 * someone's data or a mistake: refused, never removed. Gone meanwhile: fine, the loop retries.
 */
async function assertLockDirectory(lockDir: string, shownLock: string): Promise<void> {
  const notOurs = (what: string) =>
    inputError('MODEL_DIR_LOCK_INVALID', `not mlf's write lock (a directory holding only owner.json): ${what}`, {
      file: shownLock,
      hint: `inspect it, and if no mlf is running, delete it and run again`,
    });
  let entries;
  try {
    const stats = await lstat(lockDir);
    if (!stats.isDirectory()) throw notOurs(stats.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory');
    entries = await readdir(lockDir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') throw notOurs(`it cannot be listed (${code})`);
    throw error;
  }
  const foreign = entries.find((entry) => !isOwnerFileName(entry.name) || entry.isDirectory());
  if (foreign) throw notOurs(`it holds \`${foreign.name}\`, which mlf does not put there`);
}

async function isStale(lockDir: string, holder: OwnerReading): Promise<boolean> {
  if (holder.kind === 'owner') return isOwnerDead(holder.owner);
  if (holder.kind === 'invalid') return true;
  try {
    return Date.now() - (await lstat(lockDir)).mtimeMs > OWNERLESS_STALE_MS;
  } catch {
    // Released meanwhile: try again at once.
    return true;
  }
}

async function releaseLock(lockDir: string, me: ReturnType<typeof newLockOwner>): Promise<void> {
  // Only our own lock: after a takeover by mistake it may be someone else's.
  if (!isSameOwner(await readLockOwner(lockDir), me)) return;
  await rm(lockDir, { recursive: true, force: true });
}
