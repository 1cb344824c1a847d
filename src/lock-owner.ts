import { constants, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './process-alive.js';

/**
 * Who holds one of mlf's directory locks (the model write lock, an environment's build lock):
 * `owner.json` inside the lock directory. A lock whose owner is provably dead is taken over at
 * once instead of waiting for it to go stale.
 *
 * The file is written to a temp name and renamed, so a reader sees it whole or not at all; a
 * present but unreadable owner file was therefore not written by mlf. It is read without
 * following symlinks, without blocking on a FIFO and with a size cap, because the lock
 * directory sits where anyone with write access can plant anything.
 */
export const OWNER_FILE = 'owner.json';
const OWNER_TEMP_PREFIX = `${OWNER_FILE}.tmp-`;
const MAX_OWNER_BYTES = 4096;
/** Linux's largest pid_max (2^22); other systems stay below it. */
const MAX_PID = 4_194_304;

export interface LockOwner {
  pid: number;
  host: string;
  /** The kernel's boot id (Linux): a lock from an earlier boot has a dead owner, whatever its pid. */
  boot?: string;
  since: string;
  /** Tells two locks of one process apart, and a lock from the one taken over (absent in owner files of earlier mlf builds). */
  token?: string;
}

export type OwnerReading =
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'owner'; owner: LockOwner; text: string };

let bootId: string | undefined | null = null;

/** The boot id, read once; undefined where the system has none. */
export function currentBootId(): string | undefined {
  if (bootId === null) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      bootId = undefined;
    }
  }
  return bootId;
}

export function newLockOwner(): LockOwner & { token: string } {
  const boot = currentBootId();
  return {
    pid: process.pid,
    host: os.hostname(),
    ...(boot === undefined ? {} : { boot }),
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
}

/** Writes `owner.json` into the (just made) lock directory, whole or not at all. */
export async function writeLockOwner(lockDir: string, owner: LockOwner & { token: string }): Promise<void> {
  const temp = path.join(lockDir, `${OWNER_TEMP_PREFIX}${owner.token}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
    } finally {
      await handle.close();
    }
    await rename(temp, path.join(lockDir, OWNER_FILE));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Whether a name inside a lock directory is one mlf puts there. */
export function isOwnerFileName(name: string): boolean {
  return name === OWNER_FILE || name.startsWith(OWNER_TEMP_PREFIX);
}

export async function readLockOwner(lockDir: string): Promise<OwnerReading> {
  let handle;
  try {
    handle = await open(path.join(lockDir, OWNER_FILE), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'invalid', reason: `${OWNER_FILE} is a symbolic link` };
    return { kind: 'invalid', reason: `${OWNER_FILE} cannot be read (${code ?? String(error)})` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'invalid', reason: `${OWNER_FILE} is not a regular file` };
    if (stats.size > MAX_OWNER_BYTES) return { kind: 'invalid', reason: `${OWNER_FILE} is larger than ${MAX_OWNER_BYTES} bytes` };
    const buffer = Buffer.alloc(MAX_OWNER_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const owner = parseOwner(text);
    return owner === undefined ? { kind: 'invalid', reason: `${OWNER_FILE} is not an owner record mlf writes` } : { kind: 'owner', owner, text };
  } catch (error) {
    return { kind: 'invalid', reason: `${OWNER_FILE} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  } finally {
    await handle.close();
  }
}

function parseOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { pid, host, boot, since, token } = value as Record<string, unknown>;
  // pid 0 and negative pids name process groups to kill(2): never a holder.
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 1 || pid > MAX_PID) return undefined;
  if (typeof host !== 'string' || host === '' || host.length > 255) return undefined;
  if (boot !== undefined && (typeof boot !== 'string' || boot.length > 64)) return undefined;
  if (typeof since !== 'string' || since.length > 64) return undefined;
  if (token !== undefined && (typeof token !== 'string' || !/^[0-9a-f]{16}$/.test(token))) return undefined;
  return { pid, host, ...(boot === undefined ? {} : { boot }), since, ...(token === undefined ? {} : { token }) };
}

/**
 * Whether the owner is provably gone: on this host, and either from an earlier boot or a pid
 * that no longer exists. A pid of another host is never judged.
 */
export function isOwnerDead(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false;
  const boot = currentBootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return true;
  return !isProcessAlive(owner.pid);
}

/** Whether the reading names exactly this owner (the same lock, not a later one). */
export function isSameOwner(reading: OwnerReading, owner: LockOwner): boolean {
  return reading.kind === 'owner' && reading.owner.token === owner.token && reading.owner.pid === owner.pid && reading.owner.host === owner.host;
}

/** Two readings of one lock directory describe the same holder. */
export function sameReading(a: OwnerReading, b: OwnerReading): boolean {
  if (a.kind === 'owner' && b.kind === 'owner') return a.text === b.text;
  return a.kind === b.kind && a.kind !== 'owner';
}

/**
 * Removes a lock judged dead (`judged` is what its owner file said then). One rename moves it
 * aside, so of several takers only one gets it; if what was moved is not the lock that was
 * judged (another taker already replaced it with its own), it is put back. Resolves to whether
 * the dead lock is gone.
 */
export async function takeOverLock(lockDir: string, judged: OwnerReading, aside: string): Promise<boolean> {
  try {
    await rename(lockDir, aside);
  } catch {
    return true; // Someone else moved it, or it was released: look again.
  }
  if (!sameReading(judged, await readLockOwner(aside))) {
    // Put back; if a third lock took the place meanwhile, the moved one is lost either way.
    await rename(aside, lockDir).catch(() => rm(aside, { recursive: true, force: true }));
    return false;
  }
  await rm(aside, { recursive: true, force: true });
  return true;
}
