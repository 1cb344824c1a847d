import { chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockRequirements, uvCompileArgs } from '../../src/package/lock.js';
import { tempDir } from '../support/temp.js';

function fakeUv(script: string): string {
  const dir = tempDir('mlf-fake-uv-');
  const file = path.join(dir, 'uv');
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('uvCompileArgs', () => {
  it("passes MLflow's flags in MLflow's order", () => {
    expect(uvCompileArgs({ pythonVersion: '3.11.7', outputFile: '/t/requirements.out', inputFile: '/t/requirements.in', hashes: false })).toEqual([
      'pip', 'compile', '--color=never', '--universal', '--no-annotate', '--no-header', '--python-version=3.11.7', '--output-file=/t/requirements.out', '/t/requirements.in',
    ]);
  });

  it('adds constraints and --generate-hashes', () => {
    expect(
      uvCompileArgs({ pythonVersion: '3.11.7', outputFile: 'o', inputFile: 'i', constraintsFile: 'c.txt', hashes: true }).slice(-3),
    ).toEqual(['--constraints=c.txt', '--generate-hashes', 'i']);
  });
});

describe('lockRequirements', () => {
  it("returns uv's output lines and the input it was given", async () => {
    // The fake uv copies requirements.in into the --output-file, as a resolution that adds nothing.
    const uv = fakeUv('for a in "$@"; do case "$a" in --output-file=*) out="${a#--output-file=}";; esac; last="$a"; done\ncat "$last" > "$out"\necho >> "$out"\necho "numpy==2.4.6 ; python_version >= \'3.11\'" >> "$out"');
    const outcome = await lockRequirements({ requirements: ['mlflow==3.17.2', 'scikit-learn==1.9.1'], constraints: [], pythonVersion: '3.11.7', hashes: false, cwd: os.tmpdir(), env: { PATH: process.env.PATH }, uv });
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.lines).toEqual(['mlflow==3.17.2', 'scikit-learn==1.9.1', "numpy==2.4.6 ; python_version >= '3.11'"]);
  });

  it('a failure is reported, not thrown', async () => {
    const uv = fakeUv('echo "error: No solution found when resolving dependencies" >&2\nexit 1');
    const outcome = await lockRequirements({ requirements: ['nope==0'], constraints: [], pythonVersion: '3.11.7', hashes: false, cwd: os.tmpdir(), env: { PATH: process.env.PATH }, uv });
    expect(outcome).toMatchObject({ ok: false, output: 'error: No solution found when resolving dependencies' });
  });

  it('no uv on PATH is a failure with the reason', async () => {
    const outcome = await lockRequirements({ requirements: ['x'], constraints: [], pythonVersion: '3.11.7', hashes: false, cwd: os.tmpdir(), env: { PATH: '/nonexistent' } });
    expect(outcome).toEqual({ ok: false, reason: '`uv` is not on PATH' });
  });
});
