/**
 * A ModelSession over the fake worker: opening loads, `info` says how, `predict` answers,
 * failures come back as data, and the early start is offered the launch before a spawn.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isWorkerFailure } from '../../src/worker/failure.js';
import { openModelSession, type OpenModelSessionOptions } from '../../src/worker/session.js';
import type { WorkerLaunch } from '../../src/worker/early-worker.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake', 'fake-worker.mjs');

function options(env: Record<string, string> = {}, overrides: Partial<OpenModelSessionOptions> = {}): OpenModelSessionOptions {
  return {
    environment: { pythonPath: 'unused', caches: { pycacheDir: '/cache/pycache-v1', modelCacheDir: '/envs/uv-1/mlf-model-cache' } },
    modelDir: '/models/m',
    env: { PATH: process.env.PATH, FAKE_MODE: 'ok', ...env },
    cwd: process.cwd(),
    command: { file: process.execPath, args: [FAKE] },
    helloTimeoutMs: 10_000,
    ...overrides,
  };
}

describe('openModelSession', () => {
  it('loads, predicts and closes; the caches and the loader reach the worker', async () => {
    const logs: string[] = [];
    const session = await openModelSession(options({}, { loader: 'mlflow', onStderr: (line) => logs.push(line) }));
    expect(session.info).toMatchObject({ loader: 'sklearn', loadMs: 12.5, earlyStart: 'none' });
    expect(session.info.launch.args.slice(1)).toEqual(['--model-dir', '/models/m', '--runtime', 'mlflow', '--pycache-prefix', '/cache/pycache-v1', '--model-cache-dir', '/envs/uv-1/mlf-model-cache']);
    const prediction = await session.predict({ contentType: 'json', data: '{"inputs": [1]}' });
    expect(prediction.timings).toEqual({ parseMs: 1, predictMs: 2, encodeMs: 3 });
    expect(JSON.parse(prediction.output!)).toEqual({ echo: { id: 1, type: 'predict', content_type: 'json', data: '{"inputs": [1]}' } });
    await session.close();
    expect(logs[0]).toMatch(/^started with --model-dir \/models\/m --runtime mlflow/);
  });

  it('a failed predict is a WorkerFailureError whose failure says what happened', async () => {
    const session = await openModelSession(options({ FAKE_ERROR_KIND: 'schema', FAKE_ERROR_MESSAGE: "Model is missing inputs ['a']." }));
    const error = await session.predict({ contentType: 'json', inputPath: '/x.json', inputLabel: 'x.json' }).catch((e: unknown) => e);
    await session.close();
    expect(isWorkerFailure(error, 'schema')).toBe(true);
    expect(isWorkerFailure(error) && error.failure).toMatchObject({ kind: 'schema', stage: 'predict', message: "Model is missing inputs ['a']." });
    expect(isWorkerFailure(error) && error.location.file).toBe('x.json');
  });

  it('offers the launch to the early start before spawning, and reports what it answered', async () => {
    const offered: WorkerLaunch[] = [];
    const session = await openModelSession(options({}, { earlyStart: { offer: (launch) => (offered.push(launch), { outcome: 'discarded' }) } }));
    await session.close();
    expect(offered).toHaveLength(1);
    expect(offered[0]).toEqual(session.info.launch);
    expect(session.info.earlyStart).toBe('discarded');
  });
});
