/**
 * Where the worker's Python files are: in mlf's package, found from its root, so the answer is the
 * same whether this module runs as a TypeScript source (vitest) or inside a bundle chunk
 * (dist/bundle/, as bin/mlf.js runs it), at whatever depth those sit. package.json `files` ships them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding mlf's own package.json: the nearest one above `from` named `mlf`. */
export function findPackageRoot(from: string): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && isMlfManifest(manifest)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`mlf's package.json was not found above \`${from}\`; reinstall mlf`);
  }
}

function isMlfManifest(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'mlf';
  } catch {
    return false;
  }
}

export interface WorkerFiles {
  /** The directory of mlf's package.json. */
  packageRoot: string;
  /** The script the interpreter runs (a small launcher, so that Python caches the package's bytecode). */
  launcher: string;
  /** The worker's Python package, which the launcher imports. */
  packageDir: string;
}

let found: WorkerFiles | undefined;

/**
 * Looked up on first use, not when the module loads: code that bundles this module elsewhere
 * (a test's driver under TMPDIR) and never starts a worker must not fail on import.
 */
export function workerFiles(): WorkerFiles {
  if (found === undefined) {
    const packageRoot = findPackageRoot(fileURLToPath(import.meta.url));
    const workerDir = path.join(packageRoot, 'src', 'worker');
    found = { packageRoot, launcher: path.join(workerDir, 'worker.py'), packageDir: path.join(workerDir, 'mlf_worker') };
  }
  return found;
}
