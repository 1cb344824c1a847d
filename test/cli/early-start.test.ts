/**
 * The early start (cli/early-start.ts over worker/early-worker.ts): which command lines qualify,
 * what the launch record holds, when a worker is started before the CLI loads, and when predict
 * may adopt it. The worker is the protocol-speaking fake (node), so no Python is needed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { commandShape, startEarly, type EarlyStart } from '../../src/cli/early-start.js';
import { PREDICT_FLAGS } from '../../src/cli/predict-flags.js';
import { fileSignature, LAUNCH_BUCKET, type WorkerLaunch } from '../../src/worker/early-worker.js';
import { WorkerClient } from '../../src/worker/worker-client.js';
import { tempDir } from '../support/cli.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'fake', 'fake-worker.mjs');

/** Every handle a test made, discarded after it (as bin/mlf.js does after main). */
const handles: EarlyStart[] = [];
afterEach(() => {
  for (const handle of handles.splice(0)) handle.discard();
});

function start(argv: string[], env: NodeJS.ProcessEnv, cwd: string): EarlyStart {
  const handle = startEarly(argv, env, cwd);
  handles.push(handle);
  return handle;
}

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

  it('drops every spelling of every flag the table says does not decide the worker, and keeps the others', () => {
    for (const row of PREDICT_FLAGS) {
      for (const spelling of row.spellings) {
        const given = row.argument === undefined ? [spelling] : [spelling, 'x'];
        const shape = commandShape(['models', 'predict', '-m', 'm', ...given]);
        if (row.keepOffDisk) expect(shape).toBeUndefined();
        else expect(shape?.keyArgs).toEqual(['models', 'predict', '-m', 'm', ...(row.decidesWorker ? given : [])]);
      }
    }
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
  const env = { PATH: process.env.PATH ?? '', FAKE_MODE: 'ok', MLF_HOME: home };
  const launch: WorkerLaunch = { file: process.execPath, args: [FAKE, '--model-dir', model, '--runtime', 'auto'], cwd, env };
  const argv = ['node', 'mlf', 'models', 'predict', '-m', 'model', '-i', 'in.json'];
  const dependsOn = { unchanged: ['MLmodel', 'requirements.txt', 'python_env.yaml'].map((f) => path.join(model, f)), present: [marker] };
  return { cwd, model, home, marker, env, launch, argv, dependsOn };
}

/** Runs a predict-shaped sequence once, as the first run of a command does: no early worker, a record after. */
function firstRun(s: ReturnType<typeof setUp>): void {
  const early = start(s.argv, s.env, s.cwd);
  expect(early.offer(s.launch).outcome).toBe('none');
  early.remember(s.launch, s.dependsOn);
}

describe('startEarly, offer and remember', () => {
  it('starts nothing the first time, records the launch without its environment, and starts it the next time', async () => {
    const s = setUp();
    firstRun(s);
    const records = readdirSync(path.join(s.home, LAUNCH_BUCKET));
    expect(records).toHaveLength(1);
    const record = JSON.parse(readFileSync(path.join(s.home, LAUNCH_BUCKET, records[0]!), 'utf8'));
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
    const early = start([...s.argv.slice(0, -1), 'other.json'], s.env, s.cwd);
    const client = await WorkerClient.start({
      pythonPath: s.launch.file,
      modelDir: s.model,
      env: s.env,
      cwd: s.cwd,
      command: { file: process.execPath, args: [FAKE] },
      adopt: early.offer,
    });
    expect(client.earlyStart).toBe('adopted');
    const reply = await client.predict({ contentType: 'json', inputPath: path.join(s.cwd, 'other.json') });
    expect(JSON.parse(reply.output!).echo.input_path).toBe(path.join(s.cwd, 'other.json'));
    await client.close();
  });

  it('kills an early worker whose launch differs from the one predict works out, and starts its own', async () => {
    const s = setUp();
    firstRun(s);
    const early = start(s.argv, s.env, s.cwd);
    const client = await WorkerClient.start({
      pythonPath: s.launch.file,
      modelDir: s.model,
      env: s.env,
      extraEnv: { FOO: 'bar' },
      cwd: s.cwd,
      command: { file: process.execPath, args: [FAKE] },
      adopt: early.offer,
    });
    expect(client.earlyStart).toBe('discarded');
    await client.close();
  });

  it('keeps each early worker in its own handle: discard kills it, and then there is nothing to offer', () => {
    const s = setUp();
    firstRun(s);
    const discarded = start(s.argv, s.env, s.cwd);
    const kept = start(s.argv, s.env, s.cwd);
    discarded.discard();
    expect(discarded.offer(s.launch).outcome).toBe('none');
    const adopted = kept.offer(s.launch);
    expect(adopted.outcome).toBe('adopted');
    adopted.child?.kill();
  });

  it('does not adopt a worker that has already exited', async () => {
    const s = setUp();
    firstRun(s);
    const early = start(s.argv, { ...s.env, FAKE_MODE: 'die-at-start' }, s.cwd);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(early.offer({ ...s.launch, env: { ...s.env, FAKE_MODE: 'die-at-start' } }).outcome).toBe('discarded');
  });

  it.each([
    ['an edited MLmodel', (s: ReturnType<typeof setUp>) => writeFileSync(path.join(s.model, 'MLmodel'), 'flavors: {x: 1}\n')],
    ['a new python_env.yaml', (s: ReturnType<typeof setUp>) => writeFileSync(path.join(s.model, 'python_env.yaml'), 'python: 3.11.7\n')],
    ['a removed environment marker (the environment is being rebuilt)', (s: ReturnType<typeof setUp>) => rmSync(s.marker)],
  ])('starts nothing after %s', (_what, change) => {
    const s = setUp();
    firstRun(s);
    change(s);
    expect(start(s.argv, s.env, s.cwd).offer(s.launch).outcome).toBe('none');
  });

  it('still starts after the environment marker was rewritten (every use rewrites it)', () => {
    const s = setUp();
    firstRun(s);
    rmSync(s.marker);
    writeFileSync(s.marker, '{"lastUsed": "now"}\n');
    expect(start(s.argv, s.env, s.cwd).offer(s.launch).outcome).toBe('adopted');
  });

  it('starts nothing for a missing input file or output directory, under MLF_EARLY_START=0, or for another command', () => {
    const s = setUp();
    firstRun(s);
    const startsAfter = (argv: string[], env: Record<string, string> = s.env): string => start(argv, env, s.cwd).offer(s.launch).outcome;
    expect(startsAfter([...s.argv.slice(0, -1), 'missing.json'])).toBe('none');
    expect(startsAfter([...s.argv, '-o', 'nowhere/out.json'])).toBe('none');
    expect(startsAfter(s.argv, { ...s.env, MLF_EARLY_START: '0' })).toBe('none');
    expect(startsAfter(['node', 'mlf', 'models', 'validate', 'model'])).toBe('none');
    expect(startsAfter(s.argv)).toBe('adopted');
  });

  it('ignores a record that is not one, and an unwritable MLF_HOME only costs the record', () => {
    const s = setUp();
    firstRun(s);
    const [record] = readdirSync(path.join(s.home, LAUNCH_BUCKET));
    writeFileSync(path.join(s.home, LAUNCH_BUCKET, record!), '{"version": 1, "worker": {"file": 3}}');
    expect(start(s.argv, s.env, s.cwd).offer(s.launch).outcome).toBe('none');

    writeFileSync(path.join(s.home, 'file-not-dir'), '');
    const unwritable = start(s.argv, { ...s.env, MLF_HOME: path.join(s.home, 'file-not-dir') }, s.cwd);
    expect(() => unwritable.remember(s.launch, s.dependsOn)).not.toThrow();
  });

  it('remembers nothing for a command line that is not eligible', () => {
    const s = setUp();
    start(['node', 'mlf', 'envs', 'list'], s.env, s.cwd).remember(s.launch, s.dependsOn);
    start([...s.argv, '--env', 'TOKEN=x'], s.env, s.cwd).remember(s.launch, s.dependsOn);
    start(s.argv, { ...s.env, MLF_EARLY_START: 'false' }, s.cwd).remember(s.launch, s.dependsOn);
    expect(() => readdirSync(path.join(s.home, LAUNCH_BUCKET))).toThrow();
  });
});

describe('the early-start bundle entry', () => {
  it('loads only Node\'s modules, env-paths and a few small modules of mlf (bin/mlf.js runs it before the CLI)', () => {
    const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // Type-only imports are erased; every other `from '...'` is loaded.
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/^(?:import|export) (?!type )[^;]*? from '([^']+)'/gms)) {
        if (specifier!.startsWith('.')) visit(path.resolve(path.dirname(file), specifier!.replace(/\.js$/, '.ts')));
        else packages.add(specifier!);
      }
    };
    visit(path.join(src, 'cli', 'early-start.ts'));
    expect([...packages].filter((name) => !name.startsWith('node:'))).toEqual(['env-paths']);
    expect([...seen].map((file) => path.relative(src, file)).sort()).toEqual([
      'cli/early-start.ts',
      'cli/flag-table.ts',
      'cli/options.ts',
      'cli/predict-flags.ts',
      'config/env-vars.ts',
      'env/home.ts',
      'version.ts',
      'worker/early-worker.ts',
    ]);
  });
});
