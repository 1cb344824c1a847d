import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectEntries, fileContainsAny, type CollectInput } from '../../../src/env/pack/collect.js';
import { ACTIVATE_SCRIPT, SCRIPT_TRAMPOLINE } from '../../../src/env/pack/relocate.js';
import type { TarEntry } from '../../../src/env/pack/archive.js';
import { rejectedMlfError } from '../../support/errors.js';
import { tempDir } from '../../support/temp.js';

/** A made-up environment with one file of each kind collect.ts treats differently. */
function fakeEnvironment(): CollectInput {
  const root = tempDir();
  const envDir = path.join(root, 'envs-v1', 'uv-0123456789abcdef');
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(envDir, rel)), { recursive: true });
    writeFileSync(path.join(envDir, rel), text);
  };
  write('bin/pip', `#!${envDir}/bin/python\nimport pip\n`);
  write('bin/activate', `VIRTUAL_ENV='${envDir}'\n`);
  write('bin/activate.fish', `set -gx VIRTUAL_ENV '${envDir}'\n`);
  write('bin/activate_this.py', 'import os\n');
  write('pyvenv.cfg', `home = /usr/bin\ncommand = /usr/bin/python3 -m venv ${envDir}\n`);
  write('lib/python3.11/site-packages/pkg/__init__.py', 'x = 1\n');
  write('lib/python3.11/site-packages/pkg/__pycache__/__init__.cpython-311.pyc', `${envDir}/lib/python3.11/site-packages/pkg/__init__.py`);
  write('mlf-env.json', `{"pythonPath": "${envDir}/bin/python"}`);
  write('mlf-in-use/123', '');
  write('.lock', '');
  write('mlf-model-cache/model.pkl', envDir);
  symlinkSync('/usr/bin/python3.11', path.join(envDir, 'bin/python'));
  symlinkSync('python', path.join(envDir, 'bin/python3'));
  symlinkSync('lib', path.join(envDir, 'lib64'));
  symlinkSync(path.join(envDir, 'lib/python3.11/site-packages/pkg'), path.join(envDir, 'lib/python3.11/site-packages/pkg-link'));
  const workerDir = path.join(root, 'worker');
  mkdirSync(path.join(workerDir, 'mlf_worker', 'scoring'), { recursive: true });
  mkdirSync(path.join(workerDir, 'mlf_worker', '__pycache__'));
  writeFileSync(path.join(workerDir, 'worker.py'), 'print(1)\n');
  writeFileSync(path.join(workerDir, 'mlf_worker', '__init__.py'), '');
  writeFileSync(path.join(workerDir, 'mlf_worker', 'scoring', 'parse.py'), 'y = 2\n');
  writeFileSync(path.join(workerDir, 'mlf_worker', '__pycache__', '__init__.cpython-311.pyc'), 'bytecode');
  writeFileSync(path.join(workerDir, 'mlf_worker', 'notes.txt'), 'not Python');
  return {
    envDir,
    envDirAliases: [],
    launcher: { basePython: '/usr/bin/python3.11', pythonMinor: '3.11', implementation: 'cpython' },
    worker: { launcher: path.join(workerDir, 'worker.py'), packageDir: path.join(workerDir, 'mlf_worker') },
    manifestText: '{"format": "mlf-pack"}\n',
  };
}

function contentOf(entry: TarEntry | undefined): string | undefined {
  if (entry?.type !== 'file') return undefined;
  return 'data' in entry ? entry.data.toString('utf8') : readFileSync(entry.source, 'utf8');
}

describe('collectEntries', () => {
  it('rewrites what names the build directory, leaves out mlf’s files and bytecode, adds the worker and the manifest, sorted', async () => {
    const input = fakeEnvironment();
    const entries = await collectEntries(input);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(entries.map((e) => e.path)).toEqual([
      'bin',
      'bin/activate',
      'bin/activate_this.py',
      'bin/pip',
      'bin/python',
      'bin/python3',
      'lib',
      'lib/python3.11',
      'lib/python3.11/site-packages',
      'lib/python3.11/site-packages/pkg',
      'lib/python3.11/site-packages/pkg-link',
      'lib/python3.11/site-packages/pkg/__init__.py',
      'lib64',
      'mlf-pack.json',
      'mlf-worker',
      'mlf-worker/mlf_worker',
      'mlf-worker/mlf_worker/__init__.py',
      'mlf-worker/mlf_worker/scoring',
      'mlf-worker/mlf_worker/scoring/parse.py',
      'mlf-worker/worker.py',
      'pyvenv.cfg',
    ]);
    expect(contentOf(byPath.get('bin/pip'))).toBe(`${SCRIPT_TRAMPOLINE}import pip\n`);
    expect(contentOf(byPath.get('bin/activate'))).toBe(ACTIVATE_SCRIPT);
    expect(contentOf(byPath.get('bin/python'))).toContain("recorded='/usr/bin/python3.11'");
    expect(byPath.get('bin/python')).toMatchObject({ mode: 0o755 });
    expect(byPath.get('bin/python3')).toEqual({ type: 'symlink', path: 'bin/python3', target: 'python' });
    expect(byPath.get('lib64')).toEqual({ type: 'symlink', path: 'lib64', target: 'lib' });
    // An absolute link into the environment becomes a relative one.
    expect(byPath.get('lib/python3.11/site-packages/pkg-link')).toEqual({ type: 'symlink', path: 'lib/python3.11/site-packages/pkg-link', target: 'pkg' });
    expect(contentOf(byPath.get('pyvenv.cfg'))).toBe('home = /usr/bin\n');
    expect(contentOf(byPath.get('mlf-pack.json'))).toBe(input.manifestText);
    for (const entry of entries) expect(contentOf(entry) ?? '').not.toContain(input.envDir);
  });

  it('refuses a file that names the build directory and that no rule rewrites (exit 3, as an environment that cannot be made), naming it', async () => {
    const input = fakeEnvironment();
    writeFileSync(path.join(input.envDir, 'lib/python3.11/site-packages/pkg/paths.txt'), `data at ${input.envDir}/share\n`);
    const error = await rejectedMlfError(collectEntries(input));
    expect(error.code).toBe('PACK_NOT_RELOCATABLE');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('lib/python3.11/site-packages/pkg/paths.txt');
  });

  it('also rewrites the directory’s other spelling (its real path, when a symlink leads to it)', async () => {
    const input = fakeEnvironment();
    const alias = path.join(path.dirname(input.envDir), 'alias');
    symlinkSync(input.envDir, alias);
    writeFileSync(path.join(input.envDir, 'bin/tool'), `#!${alias}/bin/python\nimport tool\n`);
    const entries = await collectEntries({ ...input, envDirAliases: [alias] });
    expect(contentOf(entries.find((e) => e.path === 'bin/tool'))).toBe(`${SCRIPT_TRAMPOLINE}import tool\n`);
  });
});

describe('fileContainsAny', () => {
  it('finds a string that straddles two read chunks', async () => {
    const file = path.join(tempDir(), 'big');
    const needle = '/some/prefix/envs-v1/uv-0123';
    const bytes = Buffer.concat([Buffer.alloc((1 << 20) - 10, 0x61), Buffer.from(needle), Buffer.alloc(100, 0x62)]);
    writeFileSync(file, bytes);
    expect(await fileContainsAny(file, ['/absent', needle])).toBe(true);
    expect(await fileContainsAny(file, ['/absent'])).toBe(false);
  });
});
