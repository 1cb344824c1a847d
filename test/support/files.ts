import { cpSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.js';

/**
 * Every entry under a directory (`/`-separated relative path -> base64 bytes of a file,
 * `symlink -> TARGET`, `directory`, `fifo` or `special`), for byte-for-byte comparisons.
 * Symlinks are compared by target and never followed (one may point at /dev/zero or loop).
 */
export function snapshotDirectory(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      const full = path.join(dir, child);
      if (entry.isSymbolicLink()) files[child] = `symlink -> ${readlinkSync(full)}`;
      else if (entry.isDirectory()) {
        files[child] = 'directory';
        walk(child);
      } else if (entry.isFile()) files[child] = readFileSync(full).toString('base64');
      else files[child] = entry.isFIFO() ? 'fifo' : 'special';
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
