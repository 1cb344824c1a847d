import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Every temp directory a test makes comes from here, so that one afterAll per test file
// (test/support/remove-temp-dirs.setup.ts) removes them all, and a test cannot forget to.
const created: string[] = [];

/** A new empty directory under the suite's temp root (TMPDIR, set by test/support/suite-temp-root.ts). */
export function tempDir(prefix = 'mlf-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory tempDir made in this test file (children that are read-only too). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
