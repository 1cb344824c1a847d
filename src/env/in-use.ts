import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../process-alive.js';

/**
 * Which processes are running a worker in an environment, so that `mlf envs prune` leaves it
 * alone. A predict writes `<envDir>/mlf-in-use/<pid>` while it runs and removes it after; prune
 * skips an entry holding a file whose process is alive. A file left by a killed process names a
 * dead pid and counts for nothing. (The entry lock cannot serve: it is exclusive, and a predict
 * holds it only while building.)
 */
export const IN_USE_DIR = 'mlf-in-use';

/**
 * Marks the environment as used by this process; the returned function unmarks it. Best effort,
 * like the marker's last-used date: an environment mlf cannot write to (a read-only image) is
 * used unmarked.
 */
export async function markInUse(envDir: string): Promise<() => Promise<void>> {
  const dir = path.join(envDir, IN_USE_DIR);
  const file = path.join(dir, String(process.pid));
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, `${new Date().toISOString()}\n`);
  } catch {
    return async () => undefined;
  }
  return async () => {
    await rm(file, { force: true }).catch(() => undefined);
  };
}

/** The live processes that marked the environment as in use. */
export async function processesUsing(envDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(path.join(envDir, IN_USE_DIR));
  } catch {
    return [];
  }
  return names.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0 && isProcessAlive(pid));
}
