import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureContext } from './capture.js';

const home = mkdtempSync(path.join(tmpdir(), 'mlf-cli-main-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
afterEach(() => {
  vi.doUnmock('../../src/ops/envs.js');
  vi.doUnmock('../../src/ops/validate.js');
});

const missing = path.join(home, 'no-such-model');

async function run(args: string[]) {
  const { ctx, stdout, stderr } = captureContext({ MLF_HOME: home });
  const code = await main(['node', 'mlf', ...args], { ctx });
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Failing invocations of every command; each is run with --json appended. */
const failing: Array<[string, string[], number]> = [
  ['no command', [], 2],
  ['an unknown command', ['models', 'predcit'], 2],
  ['predict: an MLflow-ish flag', ['models', 'predict', '--input', 'x.json', '-m', missing], 2],
  ['predict: no model', ['models', 'predict', '-i', 'x.json'], 2],
  ['predict: a missing model', ['models', 'predict', '-m', missing, '-i', 'x.json'], 2],
  ['predict: a bad --env', ['models', 'predict', '-m', missing, '--env', 'NOEQUALS'], 2],
  ['predict: a flag without its value', ['models', 'predict', '-m', missing, '-t'], 2],
  ['update-pip-requirements: no requirements', ['models', 'update-pip-requirements', '-m', missing, 'add'], 2],
  ['update-pip-requirements: a missing model', ['models', 'update-pip-requirements', '-m', missing, 'add', 'six'], 2],
  ['prepare-env: a bad manager', ['models', 'prepare-env', '-m', missing, '--env-manager', 'pip'], 2],
  ['prepare-env: a missing model', ['models', 'prepare-env', '-m', missing], 2],
  ['validate: no model', ['models', 'validate'], 2],
  ['validate: a bad format', ['models', 'validate', missing, '--format', 'yaml'], 2],
  ['validate: a bad rule setting', ['models', 'validate', missing, '--rule', 'MLF100=loud'], 2],
  ['package: no output', ['models', 'package', '--flavor', 'sklearn'], 2],
  ['package: no model source', ['models', 'package', '-o', path.join(home, 'out')], 2],
  ['envs list: an extra argument', ['envs', 'list', 'extra'], 2],
  ['envs prune: a bad duration', ['envs', 'prune', '--older-than', 'banana'], 2],
  ['envs path: an unknown flag', ['envs', 'path', '--model', missing], 2],
];

describe('--json: stdout is exactly one JSON object', () => {
  it.each(failing)('%s', async (_name, args, exitCode) => {
    const result = await run([...args, '--json']);
    expect(result.code).toBe(exitCode);
    const parsed = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; message: string; exitCode: number } };
    expect(parsed.ok).toBe(false);
    expect(parsed.error.exitCode).toBe(exitCode);
    expect(parsed.error.message).not.toContain('\n');
    expect(result.stderr).toBe('');
  });

  it('on an internal error (not an MlfError) thrown by the command', async () => {
    vi.doMock('../../src/ops/envs.js', () => ({
      listEnvs: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    }));
    const result = await run(['envs', 'list', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: { code: 'INTERNAL_ERROR', category: 'internal', message: "Cannot read properties of undefined (reading 'x')", exitCode: 1 },
    });
  });

  it('drops what a command wrote before it failed', async () => {
    // validate streams its report; a failure midway must not leave half of it before the error.
    vi.doMock('../../src/ops/validate.js', () => ({
      async *validateModels() {
        yield { model: 'm', path: '/m', readable: true, counts: { error: 0, warning: 0, info: 0 }, fixes: [], diagnostics: [] };
        throw new RangeError('Invalid string length');
      },
    }));
    const result = await run(['models', 'validate', 'm', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'Invalid string length' } });
  });

  it('prints the command result as it was written when the command succeeds', async () => {
    const result = await run(['envs', 'list', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, bucket: path.join(home, 'envs-v1'), environments: [], onDiskBytes: 0, unsharedBytes: 0, models: { bucket: path.join(home, 'models-v1'), entries: [] } });
  });
});

describe('commander usage errors', () => {
  it.each([
    [['models', 'predict', '--input', 'x.json', '-m', 'm'], 'unknown option `--input`; did you mean `-i/--input-path`? `mlf models predict --help` lists the options'],
    [['models', 'predict', '-i', 'x.json', '--output', 'o.json', '-m', 'm'], 'unknown option `--output`; did you mean `-o/--output-path`? `mlf models predict --help` lists the options'],
    // commander would say "-m not specified": the user gave a model, under MLflow's Python name.
    [['models', 'predict', '--model', 'm', '-i', 'x.json'], 'unknown option `--model`; did you mean `-m/--model-uri`? `mlf models predict --help` lists the options'],
    [['models', 'prepare-env', '--model-path', 'm'], 'unknown option `--model-path`; did you mean `-m/--model-uri`? `mlf models prepare-env --help` lists the options'],
    [['models', 'predict', '-m', 'm', '--outptu', 'o'], 'unknown option `--outptu`; did you mean `-o/--output-path`? `mlf models predict --help` lists the options'],
    [['envs', 'prune', '--older', '7d'], 'unknown option `--older`; did you mean `--older-than`? `mlf envs prune --help` lists the options'],
    [['models', 'predict', '-m', 'm', '--frobnicate'], 'unknown option `--frobnicate`; `mlf models predict --help` lists the options'],
    [['models', 'predcit'], "unknown command 'predcit'; did you mean `predict`? `mlf models --help` shows the usage"],
  ])('%j: exit 2, one line', async (args, line) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${line}\n`);
  });

  it('--help and --version still exit 0 and print to stdout', async () => {
    const help = await run(['models', 'predict', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--input-path');
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
