import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { inputError } from '../errors.js';
import { isProcessAlive } from '../process-alive.js';

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
 * `owner.json` (pid, host, since). A lock whose owner is a dead process on this host (a killed
 * mlf) is taken over at once; one without an owner file (killed between the two steps) once it
 * is older than OWNERLESS_STALE_MS. Two processes taking over the same dead lock at the same
 * instant may both win: the takeover is for crashed owners, not a second line of defence.
 */
export const WRITE_LOCK_NAME = '.mlf-lock';
const OWNER_FILE = 'owner.json';
const OWNERLESS_STALE_MS = 10_000;
const UNLOCKABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS']);

export interface WriteLockOptions {
  /** How long to wait for another live writer before giving up. Default 30 s. */
  timeoutMs?: number;
  /** How the directory is named in messages (the user's own words). */
  displayPath?: string;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
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
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  const me: Owner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (;;) {
    try {
      await mkdir(lockDir);
      try {
        await writeFile(path.join(lockDir, OWNER_FILE), `${JSON.stringify(me)}\n`);
      } catch (error) {
        // (A full disk, say): leave no ownerless lock for others to wait out.
        await rm(lockDir, { recursive: true, force: true });
        throw error;
      }
      return () => releaseLock(lockDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A missing or read-only directory: no lock can be made, and no mlf can write there either;
      // the work goes on unlocked and reports the missing directory, or the write that fails.
      if (code !== undefined && UNLOCKABLE.has(code)) return async () => undefined;
      if (code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(lockDir);
    if (await isStale(lockDir, holder)) {
      await takeOver(lockDir);
      continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const who = holder ? `mlf process ${holder.pid} on ${holder.host}, since ${holder.since}` : 'another mlf process';
      throw inputError('MODEL_DIR_BUSY', `\`${options.displayPath ?? dir}\` is being changed by ${who}`, {
        file: path.join(options.displayPath ?? dir, WRITE_LOCK_NAME),
        hint: `run again when it has finished; if no mlf is running, delete \`${path.join(options.displayPath ?? dir, WRITE_LOCK_NAME)}\``,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readOwner(lockDir: string): Promise<Owner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path.join(lockDir, OWNER_FILE), 'utf8')) as Partial<Owner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? '') };
  } catch {
    return undefined;
  }
}

async function isStale(lockDir: string, holder: Owner | undefined): Promise<boolean> {
  if (holder) return holder.host === os.hostname() && !isProcessAlive(holder.pid);
  try {
    return Date.now() - (await stat(lockDir)).mtimeMs > OWNERLESS_STALE_MS;
  } catch {
    // Released meanwhile: try again at once.
    return true;
  }
}

/** Moves the dead lock aside (one rename: of several takers, one moves it) and deletes it. */
async function takeOver(lockDir: string): Promise<void> {
  const aside = `${lockDir}-stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return; // Someone else moved it, or it was released.
  }
  await rm(aside, { recursive: true, force: true });
}

async function releaseLock(lockDir: string): Promise<void> {
  // Only our own lock: after a takeover by mistake (see above) it may be someone else's.
  const holder = await readOwner(lockDir);
  if (holder && (holder.pid !== process.pid || holder.host !== os.hostname())) return;
  await rm(lockDir, { recursive: true, force: true });
}
