/**
 * The files of mlf's own package that its image needs: what package.json `files` ships, less the
 * bundle's source maps (they only name src/ lines in --verbose traces). The bundle holds every
 * npm dependency, so nothing is installed from npm inside the image.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** The image's HEALTHCHECK probe (a file of its own: it runs in the container, not in mlf). */
export const HEALTHCHECK_FILE = 'bin/mlf-healthcheck.mjs';
const BUNDLE_DIR = 'dist/bundle';
const WORKER_DIR = 'src/worker';

/** Paths relative to `packageRoot`, sorted. */
export async function mlfImageFiles(packageRoot: string): Promise<string[]> {
  const files = ['package.json', 'bin/mlf.js', HEALTHCHECK_FILE];
  for (const name of await readdir(path.join(packageRoot, BUNDLE_DIR))) if (name.endsWith('.mjs')) files.push(`${BUNDLE_DIR}/${name}`);
  for (const file of await walk(path.join(packageRoot, WORKER_DIR))) if (file.endsWith('.py')) files.push(`${WORKER_DIR}/${file}`);
  return files.sort();
}

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === '__pycache__') continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(path.join(dir, entry.name), relative)));
    else if (entry.isFile()) out.push(relative);
  }
  return out;
}
