import { rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes a directory tree so that it disappears at once: renamed to a dot-name first (which
 * listing ignores and prune cleans up), then deleted.
 */
export async function removeTree(dir: string): Promise<void> {
  const trash = path.join(path.dirname(dir), `.trash-${path.basename(dir)}-${process.pid}-${Date.now()}`);
  try {
    await rename(dir, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(trash, { recursive: true, force: true });
}

