/**
 * One process-exit hook for all workers: a dozen workers add no listener each (Node warns at
 * eleven), and every one of them is killed when mlf exits without closing them.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('12 workers: no MaxListenersExceededWarning, and all killed when the process exits', async () => {
  const driver = path.join(tempDir('mlf-exit-hook-'), 'start-many.mjs');
  await build({ entryPoints: [path.join(here, 'fake', 'start-many.ts')], outfile: driver, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
  const { stdout, stderr, status } = spawnSync(process.execPath, [driver, path.join(here, 'fake', 'fake-worker.mjs'), '12'], { encoding: 'utf8' });
  expect(status, stderr).toBe(0);
  const pids = JSON.parse(stdout) as number[];
  expect(pids).toHaveLength(12);
  expect(stderr).not.toContain('MaxListenersExceededWarning');
  const deadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(pids.filter(alive)).toEqual([]);
}, 30_000);
