import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { environmentPathFor, prepareEnvironment } from '../../src/env/prepare.js';
import { acquireEntryLock } from '../../src/env/lock.js';
import { readMarker } from '../../src/env/marker.js';
import type { EnvRequest, ProgressEvent } from '../../src/env/types.js';
import { fakeBin, fakePyenv, readLog, readModel, tempDir, writeModel } from './helpers.js';
import { rejectedMlfError } from '../support/errors.js';

/**
 * The build flow (key, lock, marker, install steps, failures) against the uv stand-in in
 * test/fakes, which records its command lines: fast and offline. Real uv and virtualenv are
 * exercised in test/e2e/env.test.ts.
 */

let bin: string;
let pyenvRoot: string;
let mlfHome: string;
let log: string;
let modelDir: string;
let python: string;

beforeEach(() => {
  bin = fakeBin(['uv']);
  pyenvRoot = fakePyenv(['3.11.7']);
  python = path.join(pyenvRoot, 'versions/3.11.7/bin/python3');
  mlfHome = tempDir('mlf-home-');
  log = path.join(tempDir(), 'calls.jsonl');
  modelDir = writeModel(path.join(tempDir(), 'model'), {
    buildDependencies: ['pip==24.0'],
    requirements: 'six==1.17.0\n-c constraints.txt\n',
    constraints: 'six<2\n',
  });
});

/** A request for the model at `dir` (default: this test's), read as it is now. */
async function request(extra: Partial<EnvRequest> = {}, env: Record<string, string> = {}, dir = modelDir): Promise<EnvRequest> {
  return {
    model: await readModel(dir),
    manager: 'uv',
    pipRequirementsOverride: [],
    installMlflow: false,
    env: { PATH: bin, PYENV_ROOT: pyenvRoot, MLF_HOME: mlfHome, MLF_FAKE_LOG: log, ...env },
    cwd: tempDir(),
    ...extra,
  };
}

describe('prepareEnvironment (uv stand-in)', () => {
  it('builds in the versioned bucket with the exact interpreter, build deps first, then requirements with constraints', async () => {
    const prepared = await prepareEnvironment(await request());
    expect(prepared.built).toBe(true);
    expect(prepared.manager).toBe('uv');
    expect(prepared.envDir).toBe(path.join(mlfHome, 'envs-v1', `uv-${prepared.key.slice(0, 16)}`));
    expect(prepared.pythonPath).toBe(path.join(prepared.envDir, 'bin', 'python'));
    expect(existsSync(path.join(mlfHome, 'CACHEDIR.TAG'))).toBe(true);

    const envPython = path.join(prepared.envDir, 'bin', 'python');
    const inputs = `${prepared.envDir}.inputs`;
    const calls = readLog(log);
    expect(calls.map((c) => c.argv)).toEqual([
      ['venv', prepared.envDir, '--python', python, '--no-project'],
      ['pip', 'install', '--python', envPython, 'pip==24.0'],
      ['pip', 'install', '--python', envPython, '-r', `${inputs}/requirements.txt`, '-c', `${inputs}/constraints.txt`],
    ]);
    // Installers run in the model directory, so relative paths resolve as in MLflow.
    expect(calls.every((c) => c.cwd === modelDir)).toBe(true);
    expect(calls[2]!.files).toEqual({ [`${inputs}/requirements.txt`]: 'six==1.17.0\n', [`${inputs}/constraints.txt`]: 'six<2\n' });
    // The scratch inputs are gone; the marker is there.
    expect(existsSync(inputs)).toBe(false);
    const marker = await readMarker(prepared.envDir);
    expect(marker).toMatchObject({ key: prepared.key, manager: 'uv', modelDir, requirements: ['six==1.17.0'], basePython: python });
  });

  it('builds nothing the second time, and records the use', async () => {
    const first = await prepareEnvironment(await request());
    const before = (await readMarker(first.envDir))!.lastUsed;
    await new Promise((r) => setTimeout(r, 20));
    const events: ProgressEvent[] = [];
    const second = await prepareEnvironment(await request({ onProgress: (e) => events.push(e) }));
    expect(second).toMatchObject({ built: false, envDir: first.envDir, key: first.key, pythonPath: first.pythonPath });
    expect(readLog(log)).toHaveLength(3);
    expect((await readMarker(first.envDir))!.lastUsed > before).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['resolving-python', 'python-found', 'cache-hit']);
  });

  it('reports progress while building', async () => {
    const events: ProgressEvent[] = [];
    await prepareEnvironment(await request({ onProgress: (e) => events.push(e) }));
    expect(events.map((e) => (e.kind === 'installing' ? `installing ${e.step} ${e.count}` : e.kind))).toEqual([
      'resolving-python',
      'python-found',
      'creating',
      'installing build dependencies 1',
      'installing requirements 1',
      'built',
    ]);
    expect(events.every((e, i) => i === 0 || e.elapsedMs >= events[i - 1]!.elapsedMs)).toBe(true);
  });

  it('installs the override on top, leaving out same-name requirements, in a separate entry', async () => {
    writeFileSync(path.join(modelDir, 'requirements.txt'), 'six==99\nnumpy>=1\n');
    const plain = await environmentPathFor(await request());
    const prepared = await prepareEnvironment(await request({ pipRequirementsOverride: ['six==1.17.0'] }));
    expect(prepared.envDir).not.toBe(plain.envDir);
    const calls = readLog(log);
    const inputs = `${prepared.envDir}.inputs`;
    expect(calls[2]!.files![`${inputs}/requirements.txt`]).toBe('numpy>=1\n');
    expect(calls[3]!.argv).toEqual(['pip', 'install', '--python', path.join(prepared.envDir, 'bin/python'), 'six==1.17.0']);
    // The model directory is untouched.
    expect(readFileSync(path.join(modelDir, 'requirements.txt'), 'utf8')).toBe('six==99\nnumpy>=1\n');
  });

  it('installs extra requirements in the same resolve as the model requirements, in a separate entry', async () => {
    const plain = await environmentPathFor(await request());
    const prepared = await prepareEnvironment(await request({ extraRequirements: ['pyarrow', 'pandas'] }));
    expect(prepared.envDir).not.toBe(plain.envDir);
    const inputs = `${prepared.envDir}.inputs`;
    const python = path.join(prepared.envDir, 'bin/python');
    expect(readLog(log).at(-1)!.argv).toEqual(['pip', 'install', '--python', python, '-r', `${inputs}/requirements.txt`, '-c', `${inputs}/constraints.txt`, 'pyarrow', 'pandas']);
    expect((await readMarker(prepared.envDir))!.requirements).toEqual(['six==1.17.0', 'pyarrow', 'pandas']);
    // Asked again with the same extras, the entry is reused.
    expect((await prepareEnvironment(await request({ extraRequirements: ['pandas', 'pyarrow'] }))).envDir).toBe(prepared.envDir);
  });

  it('installs the mlflow version the model was saved with under --install-mlflow', async () => {
    const prepared = await prepareEnvironment(await request({ installMlflow: true }));
    expect(readLog(log).at(-1)!.argv).toEqual(['pip', 'install', '--python', path.join(prepared.envDir, 'bin/python'), 'mlflow==3.6.0']);
  });

  it('fails with INSTALL_FAILED (exit 3) naming the requirement and its line, and leaves no entry', async () => {
    writeFileSync(path.join(modelDir, 'requirements.txt'), 'numpy>=1\nsix==99\n');
    const error = await rejectedMlfError(prepareEnvironment(await request({}, { MLF_FAKE_FAIL_ON: 'six==99' })));
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      "installing the model's requirements failed: `uv` exited with code 1; the requirement that failed: `six==99` (from `requirements.txt:2`)",
    );
    expect(error.detail).toBe(
      'Using Python 3.11.7 environment at: env\nerror: No solution found when resolving dependencies\n  cause: Because there is no version of six==99 and you require six==99, we can conclude that your requirements are unsatisfiable.',
    );
    const bucket = path.join(mlfHome, 'envs-v1');
    expect(readdirSync(bucket).filter((n) => !n.endsWith('.lock'))).toEqual([]);
  });

  it('detects an interrupted build (no marker, stale lock), removes it with a warning and rebuilds', async () => {
    const { envDir } = await environmentPathFor(await request());
    mkdirSync(path.join(envDir, 'lib'), { recursive: true });
    writeFileSync(path.join(envDir, 'lib', 'half-installed.py'), '');
    const lock = `${envDir}.lock`;
    mkdirSync(lock);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);

    const events: ProgressEvent[] = [];
    const prepared = await prepareEnvironment(await request({ onProgress: (e) => events.push(e) }));
    expect(prepared.built).toBe(true);
    expect(prepared.warnings).toEqual([
      `removing the incomplete environment \`${envDir}\` (an earlier build was interrupted) and building it again`,
    ]);
    expect(existsSync(path.join(envDir, 'lib', 'half-installed.py'))).toBe(false);
    expect(events.some((e) => e.kind === 'warning')).toBe(true);
    expect(await readMarker(envDir)).toBeDefined();
  });

  it('builds once when 4 prepares start at once on a cold cache', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(async () => prepareEnvironment(await request({}, { MLF_FAKE_SLEEP_MS: '300' }))));
    expect(new Set(results.map((r) => r.envDir)).size).toBe(1);
    expect(results.filter((r) => r.built)).toHaveLength(1);
    expect(readLog(log).filter((c) => c.argv[0] === 'venv')).toHaveLength(1);
  });

  it('gives up waiting for a held lock after the timeout, naming it', async () => {
    const { envDir } = await environmentPathFor(await request());
    const release = await acquireEntryLock(envDir, { timeoutMs: 1000 });
    try {
      const events: ProgressEvent[] = [];
      const error = await rejectedMlfError(prepareEnvironment(await request({ lockTimeoutMs: 500, onProgress: (e) => events.push(e) })));
      expect(error.code).toBe('LOCK_TIMEOUT');
      expect(error.exitCode).toBe(3);
      expect(error.message).toBe(`timed out after 0.5s waiting for the lock on environment \`${envDir}\``);
      expect(error.hint).toBe(`another mlf process is building or removing it; if none is running, remove \`${envDir}.lock\``);
      expect(events.filter((e) => e.kind === 'waiting-for-lock')).toHaveLength(1);
    } finally {
      await release();
    }
  });

  it('says where the environment is without building it', async () => {
    const before = await environmentPathFor(await request());
    expect(before.exists).toBe(false);
    expect(readLog(log)).toEqual([]);
    const prepared = await prepareEnvironment(await request());
    const after = await environmentPathFor(await request());
    expect(after).toEqual({ manager: 'uv', envDir: prepared.envDir, key: prepared.key, exists: true, pythonPath: prepared.pythonPath });
    expect(before.envDir).toBe(prepared.envDir);
  });

  it('names the missing Python version with exit 3', async () => {
    writeFileSync(path.join(modelDir, 'python_env.yaml'), 'python: 3.11.5\ndependencies:\n- -r requirements.txt\n');
    const error = await rejectedMlfError(prepareEnvironment(await request()));
    expect(error.code).toBe('PYTHON_NOT_FOUND');
    expect(error.message).toBe("no Python `3.11.5` interpreter found (asked for by the model's python_env.yaml); versions found: `3.11.7`");
  });

  it('falls back to conda.yaml for old models without python_env.yaml', async () => {
    const old = writeModel(path.join(tempDir(), 'old'), {
      noPythonEnv: true,
      requirements: 'six==1.17.0\n',
      conda: 'channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=24.0\n- pip:\n  - six==1.17.0\nname: mlflow-env\n',
    });
    const prepared = await prepareEnvironment(await request({}, {}, old));
    expect(prepared.built).toBe(true);
    expect(prepared.warnings[0]).toBe(`\`${old}\` has no python_env.yaml; the Python version and build dependencies are taken from conda.yaml, as MLflow does`);
    expect(readLog(log)[1]!.argv.slice(4)).toEqual(['pip<=24.0']);
  });
});
