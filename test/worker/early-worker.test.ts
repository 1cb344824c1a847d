/**
 * The early start (worker/early-worker.ts): which command lines qualify, what the launch record
 * holds, when a worker is started before the CLI loads, and when predict may adopt it. The worker
 * is the protocol-speaking fake (node), so no Python is needed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bucketDir } from '../../src/config/cache-layout.js';
import {
  commandShape,
  discardEarlyWorker,
  fileSignature,
  launchKey,
  rememberLaunch,
  startEarlyWorker,
  takeEarlyWorker,
  type WorkerLaunch,
} from '../../src/worker/early-worker.js';
import { WorkerClient } from '../../src/worker/worker-client.js';
import { tempDir } from '../support/cli.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake', 'fake-worker.mjs');

afterEach(() => discardEarlyWorker());

describe('commandShape', () => {
  it('keeps the command line but the input and output paths, in every spelling commander accepts', () => {
    const shapes = [
      ['models', 'predict', '-m', 'm', '-i', 'a.json', '-o', 'out.json'],
      ['models', 'predict', '-m', 'm', '--input-path', 'b.json', '--output-path', 'x/out.json'],
      ['models', 'predict', '-m', 'm', '--input-path=c.json', '--output-path=y.json'],
    ].map(commandShape);
    expect(shapes[0]).toEqual({ keyArgs: ['models', 'predict', '-m', 'm'], input: 'a.json', output: 'out.json' });
    expect(shapes[1]).toEqual({ keyArgs: ['models', 'predict', '-m', 'm'], input: 'b.json', output: 'x/out.json' });
    expect(shapes[2]).toEqual({ keyArgs: ['models', 'predict', '-m', 'm'], input: 'c.json', output: 'y.json' });
    expect(commandShape(['models', 'predict', '-m', 'm'])).toEqual({ keyArgs: ['models', 'predict', '-m', 'm'] });
  });

  it('leaves out what changes only the printing (format, --json, -q, -v, --strict-json), keeps what decides the worker', () => {
    const printing = commandShape(['models', 'predict', '-m', 'm', '-t', 'csv', '--json', '-q', '-v', '--strict-json', '--content-type=json']);
    expect(printing).toEqual({ keyArgs: ['models', 'predict', '-m', 'm'] });
    const worker = commandShape(['models', 'predict', '-m', 'm', '--env-manager', 'uv', '--runtime', 'mlflow', '--install-mlflow', '-r', 'six']);
    expect(worker?.keyArgs).toEqual(['models', 'predict', '-m', 'm', '--env-manager', 'uv', '--runtime', 'mlflow', '--install-mlflow', '-r', 'six']);
  });

  it('leaves out other commands, help, --env (its values would be written to disk) and a flag without its value', () => {
    expect(commandShape(['models', 'validate', 'm'])).toBeUndefined();
    expect(commandShape(['envs', 'list'])).toBeUndefined();
    expect(commandShape(['models', 'predict', '--help'])).toBeUndefined();
    expect(commandShape(['models', 'predict', '-m', 'm', '--env', 'TOKEN=x'])).toBeUndefined();
    expect(commandShape(['models', 'predict', '-m', 'm', '--env=TOKEN=x'])).toBeUndefined();
    expect(commandShape(['models', 'predict', '-m', 'm', '-i'])).toBeUndefined();
    expect(commandShape(['models', 'predict', '-m', 'm', '-t'])).toBeUndefined();
  });
});

describe('launchKey', () => {
  it('depends on the command line and the directory', () => {
    const args = ['models', 'predict', '-m', 'm'];
    expect(launchKey(args, '/a')).toMatch(/^[0-9a-f]{32}$/);
    expect(launchKey(args, '/a')).toBe(launchKey([...args], '/a'));
    expect(launchKey(args, '/a')).not.toBe(launchKey(args, '/b'));
    expect(launchKey(args, '/a')).not.toBe(launchKey([...args, '--env-manager', 'uv'], '/a'));
  });
});

describe('fileSignature', () => {
  it('changes when a file is rewritten and says `absent` for a missing one', () => {
    const dir = tempDir();
    const file = path.join(dir, 'MLmodel');
    writeFileSync(file, 'a: 1\n');
    const before = fileSignature(file);
    writeFileSync(file, 'a: 12\n');
    expect(fileSignature(file)).not.toBe(before);
    expect(fileSignature(path.join(dir, 'nope'))).toBe('absent');
  });
});

/** A model directory, an input, an MLF_HOME and the launch of a fake worker for them. */
function setUp() {
  const root = tempDir();
  const cwd = path.join(root, 'work');
  const model = path.join(cwd, 'model');
  const home = path.join(root, 'home');
  const marker = path.join(home, 'envs-v1', 'uv-1', 'mlf-env.json');
  mkdirSync(model, { recursive: true });
  mkdirSync(path.dirname(marker), { recursive: true });
  writeFileSync(path.join(model, 'MLmodel'), 'flavors: {}\n');
  writeFileSync(path.join(model, 'requirements.txt'), 'scikit-learn==1.9.1\n');
  writeFileSync(path.join(cwd, 'in.json'), '{"inputs": [1]}');
  writeFileSync(marker, '{}\n');
  const env = { PATH: process.env.PATH ?? '', FAKE_MODE: 'ok' };
  const launch: WorkerLaunch = { file: process.execPath, args: [FAKE, '--model-dir', model, '--runtime', 'auto'], cwd, env };
  const argv = ['node', 'mlf', 'models', 'predict', '-m', 'model', '-i', 'in.json'];
  const dependsOn = { unchanged: ['MLmodel', 'requirements.txt', 'python_env.yaml'].map((f) => path.join(model, f)), present: [marker] };
  return { cwd, model, home, marker, env, launch, argv, dependsOn };
}

/** Runs a predict-shaped sequence once, as the first run of a command does: no early worker, a record after. */
function firstRun(s: ReturnType<typeof setUp>): void {
  startEarlyWorker(s.argv, s.env, s.cwd, s.home);
  expect(takeEarlyWorker(s.launch).outcome).toBe('none');
  rememberLaunch(s.launch, s.dependsOn);
}

describe('startEarlyWorker and takeEarlyWorker', () => {
  it('starts nothing the first time, records the launch without its environment, and starts it the next time', async () => {
    const s = setUp();
    firstRun(s);
    const records = readdirSync(bucketDir(s.home, 'launch'));
    expect(records).toHaveLength(1);
    const record = JSON.parse(readFileSync(path.join(bucketDir(s.home, 'launch'), records[0]!), 'utf8'));
    expect(record.worker).toEqual({ file: s.launch.file, args: s.launch.args, cwd: s.cwd });
    expect(JSON.stringify(record)).not.toContain('FAKE_MODE');
    expect(record.files.map((f: { signature: string }) => f.signature)).toEqual([
      fileSignature(path.join(s.model, 'MLmodel')),
      fileSignature(path.join(s.model, 'requirements.txt')),
      'absent',
      'present',
    ]);

    // The next run, with another input file: the same worker, started before the CLI loads.
    writeFileSync(path.join(s.cwd, 'other.json'), '{"inputs": [2]}');
    startEarlyWorker([...s.argv.slice(0, -1), 'other.json'], s.env, s.cwd, s.home);
    const client = await WorkerClient.start({
      pythonPath: s.launch.file,
      modelDir: s.model,
      env: s.env,
      cwd: s.cwd,
      command: { file: process.execPath, args: [FAKE] },
      adopt: takeEarlyWorker,
    });
    expect(client.earlyStart).toBe('adopted');
    const reply = await client.predict({ contentType: 'json', inputPath: path.join(s.cwd, 'other.json') });
    expect(JSON.parse(reply.output!).echo.input_path).toBe(path.join(s.cwd, 'other.json'));
    await client.close();
  });

  it('kills an early worker whose launch differs from the one predict works out, and starts its own', async () => {
    const s = setUp();
    firstRun(s);
    startEarlyWorker(s.argv, s.env, s.cwd, s.home);
    const client = await WorkerClient.start({
      pythonPath: s.launch.file,
      modelDir: s.model,
      env: s.env,
      extraEnv: { FOO: 'bar' },
      cwd: s.cwd,
      command: { file: process.execPath, args: [FAKE] },
      adopt: takeEarlyWorker,
    });
    expect(client.earlyStart).toBe('discarded');
    await client.close();
  });

  it('does not adopt a worker that has already exited', async () => {
    const s = setUp();
    firstRun(s);
    startEarlyWorker(s.argv, { ...s.env, FAKE_MODE: 'die-at-start' }, s.cwd, s.home);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(takeEarlyWorker({ ...s.launch, env: { ...s.env, FAKE_MODE: 'die-at-start' } }).outcome).toBe('discarded');
  });

  it.each([
    ['an edited MLmodel', (s: ReturnType<typeof setUp>) => writeFileSync(path.join(s.model, 'MLmodel'), 'flavors: {x: 1}\n')],
    ['a new python_env.yaml', (s: ReturnType<typeof setUp>) => writeFileSync(path.join(s.model, 'python_env.yaml'), 'python: 3.11.7\n')],
    ['a removed environment marker (the environment is being rebuilt)', (s: ReturnType<typeof setUp>) => rmSync(s.marker)],
  ])('starts nothing after %s', (_what, change) => {
    const s = setUp();
    firstRun(s);
    change(s);
    startEarlyWorker(s.argv, s.env, s.cwd, s.home);
    expect(takeEarlyWorker(s.launch).outcome).toBe('none');
  });

  it('still starts after the environment marker was rewritten (every use rewrites it)', () => {
    const s = setUp();
    firstRun(s);
    rmSync(s.marker);
    writeFileSync(s.marker, '{"lastUsed": "now"}\n');
    startEarlyWorker(s.argv, s.env, s.cwd, s.home);
    expect(takeEarlyWorker(s.launch).outcome).toBe('adopted');
  });

  it('starts nothing for a missing input file or output directory, under MLF_EARLY_START=0, or for another command', () => {
    const s = setUp();
    firstRun(s);
    const startsAfter = (argv: string[], env: Record<string, string> = s.env): string => {
      startEarlyWorker(argv, env, s.cwd, s.home);
      return takeEarlyWorker(s.launch).outcome;
    };
    expect(startsAfter([...s.argv.slice(0, -1), 'missing.json'])).toBe('none');
    expect(startsAfter([...s.argv, '-o', 'nowhere/out.json'])).toBe('none');
    expect(startsAfter(s.argv, { ...s.env, MLF_EARLY_START: '0' })).toBe('none');
    expect(startsAfter(['node', 'mlf', 'models', 'validate', 'model'])).toBe('none');
    expect(startsAfter(s.argv)).toBe('adopted');
  });

  it('ignores a record that is not one, and an unwritable MLF_HOME only costs the record', () => {
    const s = setUp();
    firstRun(s);
    const [record] = readdirSync(bucketDir(s.home, 'launch'));
    writeFileSync(path.join(bucketDir(s.home, 'launch'), record!), '{"version": 1, "worker": {"file": 3}}');
    startEarlyWorker(s.argv, s.env, s.cwd, s.home);
    expect(takeEarlyWorker(s.launch).outcome).toBe('none');

    writeFileSync(path.join(s.home, 'file-not-dir'), '');
    startEarlyWorker(s.argv, s.env, s.cwd, path.join(s.home, 'file-not-dir'));
    expect(() => rememberLaunch(s.launch, s.dependsOn)).not.toThrow();
  });

  it('does nothing in a process that made no early-start lookup (mlf run in-process)', () => {
    const s = setUp();
    startEarlyWorker(['node', 'mlf', 'envs', 'list'], s.env, s.cwd, s.home);
    rememberLaunch(s.launch, s.dependsOn);
    expect(() => readdirSync(bucketDir(s.home, 'launch'))).toThrow();
  });
});
