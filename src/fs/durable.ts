/**
 * Durable writes: a new file written and fsynced before anyone renames it into place, and a
 * directory fsynced so that the renames in it survive a crash. Shared by the model directory's
 * transactions (model/transaction.ts) and batch-predict's output protocol (batch/output.ts).
 */
import fs from 'node:fs/promises';

/** Writes a file that must not exist yet (`wx`), with `mode`, and fsyncs it. */
export async function writeDurably(file: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const handle = await fs.open(file, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
