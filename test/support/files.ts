import { cpSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.js';

/** Every file under a directory (`/`-separated relative path -> base64 bytes), for byte-for-byte comparisons. */
export function snapshotDirectory(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
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
