import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliIsBuilt } from '../support/cli.js';

/**
 * The environment commands end to end: the built CLI, real uv and virtualenv (from PyPI, the
 * package `six` as the tiny requirement), an isolated MLF_HOME per test. Run `npm run build` first.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MLF = path.join(ROOT, 'bin', 'mlf.js');
const temps: string[] = [];

function temp(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  if (!cliIsBuilt()) throw new Error('run `npm run build` before the e2e tests');
});

/** A model directory that needs only `six` (small, pure Python, usually in the uv/pip cache). */
function model(requirements = 'six==1.17.0\n', python = '3.11.7'): string {
  const dir = path.join(temp('mlf-e2e-model-'), 'model');
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, 'MLmodel'),
    'flavors:\n  python_function:\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n    loader_module: mlflow.pyfunc.model\nmlflow_version: 3.17.2\n',
  );
  writeFileSync(path.join(dir, 'python_env.yaml'), `python: ${python}\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n`);
  writeFileSync(path.join(dir, 'requirements.txt'), requirements);
  return dir;
}

/** Sends `signal` once mlf has created the virtualenv and pip is installing into it; resolves to the env's path. */
function signalWhileInstalling(child: ResultPromise, signal: NodeJS.Signals): Promise<string> {
  let envDir = '';
  let seen = '';
  return new Promise<string>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      envDir ||= /creating a virtualenv environment at (\S+)/.exec(seen)?.[1] ?? '';
      if (envDir && seen.includes('installing 1 requirement')) {
        child.kill(signal);
        resolve(envDir);
      }
    });
  });
}

function mlf(args: string[], mlfHome: string): ResultPromise<{ reject: false; env: Record<string, string> }> {
  return execa('node', [MLF, ...args], { reject: false, env: { MLF_HOME: mlfHome, NO_COLOR: '1' } });
}

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe.each(['uv', 'virtualenv'])('mlf models prepare-env --env-manager %s', (manager) => {
  it('builds an environment that has the requirements, then reuses it', async () => {
    const home = temp('mlf-e2e-home-');
    const dir = model();
    const first = await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', manager, '--json'], home);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    const prepared = json(first.stdout);
    expect(prepared).toMatchObject({ ok: true, manager, built: true, pythonVersion: '3.11.7', warnings: [] });
    const envDir = String(prepared.envDir);
    expect(envDir.startsWith(path.join(home, 'envs-v1', `${manager}-`))).toBe(true);

    const check = await execa(String(prepared.pythonPath), ['-c', 'import six, sys; print(six.__version__, sys.prefix)']);
    expect(check.stdout).toBe(`1.17.0 ${envDir}`);

    const second = await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', manager, '--json'], home);
    expect(second.exitCode).toBe(0);
    expect(json(second.stdout)).toMatchObject({ built: false, envDir, key: prepared.key });

    const where = await mlf(['envs', 'path', '-m', dir, '--env-manager', manager], home);
    expect(where.stdout).toBe(envDir);
    const listed = json((await mlf(['envs', 'list', '--json'], home)).stdout);
    expect(listed.environments).toMatchObject([{ envDir, status: 'complete', manager, modelDir: dir, requirements: ['six==1.17.0'] }]);
    // The model directory was not written to.
    expect(readFileSync(path.join(dir, 'requirements.txt'), 'utf8')).toBe('six==1.17.0\n');
  });
});

describe('mlf models prepare-env', () => {
  it('prints progress as plain lines when stderr is not a terminal', async () => {
    const home = temp('mlf-e2e-home-');
    const result = await mlf(['models', 'prepare-env', '-m', model(), '--env-manager', 'uv'], home);
    expect(result.exitCode).toBe(0);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toMatch(/^creating a uv environment at .*\/envs-v1\/uv-[0-9a-f]{16}$/);
    expect(lines.slice(1, 3)).toEqual(['installing 1 build dependency', 'installing 1 requirement']);
    expect(lines[3]).toMatch(/^built the environment in \d+\.\ds$/);
    expect(result.stdout).toMatch(/\/envs-v1\/uv-[0-9a-f]{16}$/);
  });

  it('fails with exit 3 naming the requirement that failed, with the installer message', async () => {
    const home = temp('mlf-e2e-home-');
    const result = await mlf(['models', 'prepare-env', '-m', model('six==99\n'), '--env-manager', 'uv', '-q'], home);
    expect(result.exitCode).toBe(3);
    // The error points at the line that asked for it (`<model>/requirements.txt:1: ...`).
    expect(result.stderr).toMatch(
      /^error: \S+\/requirements\.txt:1: installing the model's requirements failed: `uv` exited with code 1; the requirement that failed: `six==99` \(from `requirements\.txt:1`\); pick a version the index has/m,
    );
    expect(result.stderr).toContain('Because there is no version of six==99 and you require six==99');
  });

  it('names a missing Python version, the versions found and the flag; the flag accepts a same-minor one', async () => {
    const home = temp('mlf-e2e-home-');
    const dir = model('six==1.17.0\n', '3.11.1');
    const result = await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'uv'], home);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(
      /^error: no Python `3\.11\.1` interpreter found \(asked for by the model's python_env\.yaml\); versions found: .*`3\.11\.7`.*; install it \(e\.g\. `uv python install 3\.11\.1` or `pyenv install 3\.11\.1`\), or pass `--python-version-strategy minor` to accept `3\.11\.\d+`$/m,
    );
    const accepted = await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'uv', '--python-version-strategy', 'minor', '--json'], home);
    expect(accepted.exitCode).toBe(0);
    expect(json(accepted.stdout).warnings).toEqual([expect.stringMatching(/^python_env\.yaml asks for Python `3\.11\.1`, which was not found; using `3\.11\.\d+` at `.+` \(--python-version-strategy minor\)$/)]);
  });

  it.each([
    [['--env-manager', 'pip'], "error: Invalid value for `env_manager`: pip. Must be one of ['local', 'conda', 'virtualenv', 'uv']"],
    [
      ['--env-manager', 'local'],
      'error: `prepare-env` does nothing with `--env-manager local`: the local Python is used as it is; choose `--env-manager uv`, `virtualenv` or `conda` (MLflow: "Prepare env should not be called with local env manager!")',
    ],
  ])('rejects %j with exit 2', async (flags, message) => {
    const result = await mlf(['models', 'prepare-env', '-m', model(), ...flags], temp('mlf-e2e-home-'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(message);
  });

  it('builds once when 4 prepares start at once on a cold cache, and all succeed', async () => {
    const home = temp('mlf-e2e-home-');
    const dir = model();
    const results = await Promise.all([1, 2, 3, 4].map(() => mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'uv', '--json'], home)));
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    const prepared = results.map((r) => json(r.stdout));
    expect(prepared.filter((p) => p.built === true)).toHaveLength(1);
    expect(new Set(prepared.map((p) => p.envDir)).size).toBe(1);
    expect((json((await mlf(['envs', 'list', '--json'], home)).stdout).environments as unknown[]).length).toBe(1);
  });

  it('detects a build killed midway and rebuilds it on the next run', async () => {
    const home = temp('mlf-e2e-home-');
    const dir = model();
    const child = execa('node', [MLF, 'models', 'prepare-env', '-m', dir, '--env-manager', 'virtualenv'], {
      reject: false,
      env: { MLF_HOME: home, NO_COLOR: '1' },
    });
    // Killed while pip installs into the created environment.
    const envDir = await signalWhileInstalling(child, 'SIGKILL');
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(path.join(envDir, 'mlf-env.json'))).toBe(false);
    expect(json((await mlf(['envs', 'list', '--json'], home)).stdout).environments).toMatchObject([{ envDir, status: expect.stringMatching(/^(building|incomplete)$/) }]);

    // The next run waits for the dead process's lock to go stale, then rebuilds.
    const again = await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'virtualenv', '--json'], home);
    expect(again.exitCode).toBe(0);
    const prepared = json(again.stdout);
    expect(prepared).toMatchObject({ built: true, envDir });
    expect(prepared.warnings).toEqual([`removing the incomplete environment \`${envDir}\` (an earlier build was interrupted) and building it again`]);
    const check = await execa(String(prepared.pythonPath), ['-c', 'import six; print(six.__version__)']);
    expect(check.stdout).toBe('1.17.0');
  });
});

describe('Ctrl-C during an environment build', () => {
  it('exits 130 naming the environment, leaves no installer running, and the next run builds it', async () => {
    const home = temp('mlf-e2e-home-');
    const dir = model();
    writeFileSync(path.join(dir, 'input.json'), '{"dataframe_split": {"columns": ["a"], "data": [[1]]}}');
    const child = execa('node', [MLF, 'models', 'predict', '-m', dir, '-i', path.join(dir, 'input.json'), '--env-manager', 'virtualenv'], {
      reject: false,
      env: { MLF_HOME: home, NO_COLOR: '1' },
    });
    // Interrupted while pip installs into the created environment.
    const envDir = await signalWhileInstalling(child, 'SIGINT');
    const installers = () =>
      readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(envDir);
          } catch {
            return false;
          }
        });
    const interrupted = await child;
    expect(interrupted.exitCode).toBe(130);
    expect(interrupted.stdout).toBe('');
    expect(interrupted.stderr).toContain(
      `error: interrupted while building the virtualenv environment at ${envDir}; it was left unfinished, and the next run removes it and builds it again`,
    );
    // pip (a child of mlf in its own process group) died with mlf.
    expect(installers()).toEqual([]);
    expect(existsSync(path.join(envDir, 'mlf-env.json'))).toBe(false);

    const again = await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'virtualenv', '--json'], home);
    expect(again.exitCode).toBe(0);
    const prepared = json(again.stdout);
    expect(prepared).toMatchObject({ built: true, envDir });
    expect(prepared.warnings).toEqual([`removing the incomplete environment \`${envDir}\` (an earlier build was interrupted) and building it again`]);
    const check = await execa(String(prepared.pythonPath), ['-c', 'import six; print(six.__version__)']);
    expect(check.stdout).toBe('1.17.0');
  });
});

describe('default manager without uv on PATH', () => {
  it('installs uv into MLF_HOME with pip, saying so, and builds with it', async () => {
    const home = temp('mlf-e2e-home-');
    // A PATH with python3 (for pip and discovery) and nothing else.
    const bin = temp('mlf-e2e-bin-');
    const python = (await execa('python3', ['-c', 'import sys; print(sys.executable)'])).stdout.trim();
    symlinkSync(python, path.join(bin, 'python3'));
    const result = await execa(process.execPath, [MLF, 'models', 'prepare-env', '-m', model(), '--json'], {
      reject: false,
      // The caller's settings (certificates, index URLs) stay; only PATH is replaced.
      env: { ...process.env, MLF_HOME: home, NO_COLOR: '1', PATH: bin },
      extendEnv: false,
    });
    expect(result.exitCode).toBe(0);
    const prepared = json(result.stdout);
    expect(prepared).toMatchObject({ manager: 'uv', built: true });
    expect(prepared.warnings).toEqual([`uv was not found on PATH; installing it into \`${path.join(home, 'tools-v1', 'uv')}\` with pip`]);
    expect(existsSync(path.join(home, 'tools-v1', 'uv', 'bin', 'uv'))).toBe(true);
  });
});

describe('mlf envs prune', () => {
  it('removes what it says: old entries with --older-than, then everything', async () => {
    const home = temp('mlf-e2e-home-');
    const dir = model();
    const fresh = json((await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'uv', '--json'], home)).stdout);
    const old = json((await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'uv', '-r', 'six==1.16.0', '--json'], home)).stdout);
    expect(old.envDir).not.toBe(fresh.envDir);
    // Make one look unused for 30 days.
    const markerFile = path.join(String(old.envDir), 'mlf-env.json');
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(markerFile, JSON.stringify({ ...marker, lastUsed: new Date(Date.now() - 30 * 86_400_000).toISOString() }));

    const pruned = await mlf(['envs', 'prune', '--older-than', '7d'], home);
    expect(pruned.exitCode).toBe(0);
    const size = String.raw`[\d.]+ (B|KiB|MiB)`;
    expect(pruned.stdout).toMatch(new RegExp(`^removed ${old.envDir} \\(complete, ${size} on disk \\(${size} not shared with other files\\)\\)$`));
    expect(pruned.stderr).toMatch(new RegExp(`^removed 1 environment: ${size} on disk, ${size} freed( \\(${size} is still linked from uv's cache or another environment\\))?$`));
    expect(existsSync(String(old.envDir))).toBe(false);
    expect(existsSync(String(fresh.envDir))).toBe(true);

    const all = json((await mlf(['envs', 'prune', '--json'], home)).stdout);
    expect(all.removed).toMatchObject([{ envDir: fresh.envDir, status: 'complete' }]);
    expect(existsSync(String(fresh.envDir))).toBe(false);
    expect(json((await mlf(['envs', 'list', '--json'], home)).stdout).environments).toEqual([]);
  });

  it('leaves alone an environment a predict is running in, and removes it afterwards', async () => {
    const home = temp('mlf-e2e-home-');
    // models-from-code whose load waits for a file: a predict that runs as long as the test wants.
    const dir = path.join(temp('mlf-e2e-model-'), 'model');
    cpSync(path.join(ROOT, 'fixtures', 'models', 'models-from-code'), dir, { recursive: true });
    const gate = path.join(temp('mlf-e2e-gate-'), 'go');
    const code = readFileSync(path.join(dir, 'code_model.py'), 'utf8');
    writeFileSync(
      path.join(dir, 'code_model.py'),
      code.replace('from mlflow.models import set_model\n', `import os, time\n\nfrom mlflow.models import set_model\n\nwhile not os.path.exists(${JSON.stringify(gate)}):\n    time.sleep(0.1)\n`),
    );
    const input = path.join(temp('mlf-e2e-input-'), 'in.json');
    writeFileSync(input, '{"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 2.0]]}}');
    const prepared = json((await mlf(['models', 'prepare-env', '-m', dir, '--env-manager', 'uv', '--json'], home)).stdout);
    const envDir = String(prepared.envDir);

    const running = mlf(['models', 'predict', '-m', dir, '-i', input, '--env-manager', 'uv'], home);
    const inUse = path.join(envDir, 'mlf-in-use');
    for (let waited = 0; !(existsSync(inUse) && readdirSync(inUse).length > 0); waited += 100) {
      if (waited > 60_000) throw new Error('the predict never marked its environment');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const during = json((await mlf(['envs', 'prune', '--json'], home)).stdout);
    expect(during.removed).toEqual([]);
    expect(during.skipped).toMatchObject([{ envDir }]);
    expect(existsSync(envDir)).toBe(true);

    writeFileSync(gate, '');
    const predicted = await running;
    expect(predicted.exitCode).toBe(0);
    expect(predicted.stdout).toBe('{"predictions": [4.0]}');
    const after = json((await mlf(['envs', 'prune', '--json'], home)).stdout);
    expect(after.removed).toMatchObject([{ envDir }]);
    expect(existsSync(envDir)).toBe(false);
  }, 300_000);

  it('rejects a malformed duration with exit 2', async () => {
    const result = await mlf(['envs', 'prune', '--older-than', '7 days'], temp('mlf-e2e-home-'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('error: invalid duration `7 days`; give a number followed by s, m, h, d or w, e.g. `7d`, `12h` or `1d12h`');
  });
});
