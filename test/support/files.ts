import { cpSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.js';

/**
 * Every file under a directory (`/`-separated relative path -> base64 bytes), for byte-for-byte
 * comparisons. A symlink is recorded as the link (`symlink -> target`), never followed (it may
 * lead to `/dev/zero`, a FIFO, or nowhere), and a FIFO, socket or device by its kind, never read.
 */
export function snapshotDirectory(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) files[child] = `symlink -> ${readlinkSync(path.join(dir, child))}`;
      else if (entry.isDirectory()) walk(child);
      else if (!entry.isFile()) files[child] = entry.isFIFO() ? 'fifo' : entry.isSocket() ? 'socket' : 'device';
      else files[child] = readFileSync(path.join(dir, child)).toString('base64');
    }
  };
  walk('');
  return files;
}

/** A private copy of any directory, under a fresh temp dir, keeping its base name. */
export function copyDirectory(source: string, prefix = 'mlf-copy-'): string {
  const target = path.join(tempDir(prefix), path.basename(source));
  cpSync(source, target, { recursive: true });
  return target;
}
