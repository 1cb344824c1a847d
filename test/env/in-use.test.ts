/**
 * In-use marks (env/in-use.ts) and prune honouring them: an environment with a live predict in it
 * is skipped; a mark left by a dead process counts for nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneEnvironments } from '../../src/env/cache.js';
import { IN_USE_DIR, markInUse, processesUsing } from '../../src/env/in-use.js';
import { tempDir } from '../support/cli.js';

function completeEnvironment(home: string, name = 'uv-0123456789abcdef'): string {
  const envDir = path.join(home, 'envs-v1', name);
  mkdirSync(envDir, { recursive: true });
  writeFileSync(path.join(envDir, 'mlf-env.json'), JSON.stringify({ schema: 1, key: name.slice(3), manager: 'uv', pythonPath: '/x/bin/python' }));
  return envDir;
}

/** A pid that certainly belongs to no running process: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('markInUse and processesUsing', () => {
  it('names this process while marked, and nobody after', async () => {
    const envDir = completeEnvironment(tempDir());
    const release = await markInUse(envDir);
    expect(await processesUsing(envDir)).toEqual([process.pid]);
    await release();
    expect(await processesUsing(envDir)).toEqual([]);
  });

  it('ignores marks of dead processes and stray files', async () => {
    const envDir = completeEnvironment(tempDir());
    mkdirSync(path.join(envDir, IN_USE_DIR));
    writeFileSync(path.join(envDir, IN_USE_DIR, String(await deadPid())), '');
    writeFileSync(path.join(envDir, IN_USE_DIR, 'notes.txt'), '');
    expect(await processesUsing(envDir)).toEqual([]);
  });

  it('uses an environment it cannot mark unmarked, without failing', async () => {
    const envDir = completeEnvironment(tempDir());
    // A file where the marks' directory should be: no mark can be written (even as root).
    writeFileSync(path.join(envDir, IN_USE_DIR), '');
    const release = await markInUse(envDir);
    expect(await processesUsing(envDir)).toEqual([]);
    await expect(release()).resolves.toBeUndefined();
  });
});

describe('pruneEnvironments with a predict running', () => {
  it('skips the environment in use and removes it once released', async () => {
    const home = tempDir();
    const envDir = completeEnvironment(home);
    const release = await markInUse(envDir);
    const first = await pruneEnvironments({ env: { MLF_HOME: home }, cwd: '/' });
    expect(first.removed).toEqual([]);
    expect(first.skipped.map((e) => e.envDir)).toEqual([envDir]);
    expect(existsSync(envDir)).toBe(true);
    await release();
    const second = await pruneEnvironments({ env: { MLF_HOME: home }, cwd: '/' });
    expect(second.removed.map((e) => e.envDir)).toEqual([envDir]);
    expect(readdirSync(path.join(home, 'envs-v1'))).toEqual([]);
  });
});
