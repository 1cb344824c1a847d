import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * vitest globalSetup: the whole run gets one fresh temp root (TMPDIR, inherited by the test
 * workers, the mlf processes they start and the Python and uv processes below those). At the
 * end the root must be empty: whatever a test or an mlf command left there is listed, removed,
 * and fails the run, so that a leak is found where it happens instead of filling /tmp.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlf-suite-'));
  for (const name of ['TMPDIR', 'TMP', 'TEMP']) process.env[name] = root;
  return () => {
    const left = readdirSync(root);
    if (left.length > 0) {
      const listing = left.slice(0, 20).map((name) => `  ${name} (${sizeOf(path.join(root, name))} bytes)`);
      console.error(
        [`error: the test suite left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in its temp root ${root}:`, ...listing, left.length > 20 ? `  … and ${left.length - 20} more` : '']
          .filter(Boolean)
          .join('\n'),
      );
      process.exitCode = 1;
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}

function sizeOf(file: string): number {
  const stat = lstatSync(file);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(file).reduce((total, name) => total + sizeOf(path.join(file, name)), 0);
}
