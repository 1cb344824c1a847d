/**
 * tracking/log-model.ts against a stub of the tracking server's REST API: the order and bodies of
 * the calls (the real server is in test/e2e/log.test.ts), and what it does on the way out of a
 * failure (logged model UPLOAD_FAILED, the run it created FAILED).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTrackingClient, type TrackingClient } from '../../src/tracking/client.js';
import { readTrackingConfig } from '../../src/tracking/config.js';
import { loggedMlmodel, logModelToServer, type LogModelRequest } from '../../src/tracking/log-model.js';
import { sendJson, startHttpStub, stopHttpStubs, type SeenRequest } from '../support/http-stub.js';
import { tempDir } from '../support/temp.js';

const MODEL_ID = 'm-0123456789abcdef0123456789abcdef';
const RUN_ID = 'f'.repeat(32);
const MLMODEL = 'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\nmlflow_version: 3.17.2\nmodel_uuid: abc\n';

type Route = (seen: SeenRequest) => [number, unknown];

/** A stub MLflow: the first route whose `METHOD path` prefix matches answers. */
async function stubMlflow(routes: Record<string, Route>) {
  return startHttpStub((_req, res, seen) => {
    const key = Object.keys(routes).find((route) => `${seen.method} ${seen.url}`.startsWith(route));
    const [status, body] = key ? routes[key]!(seen) : [404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no route' }];
    sendJson(res, status, body);
  });
}

const clients: TrackingClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await stopHttpStubs();
});

function request(url: string, overrides: Partial<LogModelRequest> = {}): LogModelRequest {
  const client = createTrackingClient(readTrackingConfig({ MLFLOW_TRACKING_URI: url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' }, tempDir()));
  clients.push(client);
  const dir = tempDir();
  writeFileSync(path.join(dir, 'model.skops'), 'weights');
  return {
    tracking: client,
    registry: client,
    mlmodelText: MLMODEL,
    files: [
      { relative: 'MLmodel', absolute: path.join(dir, 'MLmodel'), size: MLMODEL.length },
      { relative: 'model.skops', absolute: path.join(dir, 'model.skops'), size: 7 },
    ],
    name: 'model',
    tags: { team: 'ml' },
    context: { user: 'alice', sourceName: 'mlf' },
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    sleep: async () => undefined,
    ...overrides,
  };
}

const ok = (body: unknown): Route => () => [200, body];
const baseRoutes = (): Record<string, Route> => ({
  'POST /api/2.0/mlflow/runs/create': ok({ run: { info: { run_id: RUN_ID, experiment_id: '0' } } }),
  'POST /api/2.0/mlflow/logged-models': ok({ model: { info: { model_id: MODEL_ID, artifact_uri: `mlflow-artifacts:/0/models/${MODEL_ID}/artifacts` } } }),
  'POST /api/2.0/mlflow/runs/outputs': ok({}),
  'PUT /api/2.0/mlflow-artifacts/artifacts/': ok({}),
  'PATCH /api/2.0/mlflow/logged-models/': ok({}),
  'POST /api/2.0/mlflow/runs/update': ok({}),
});

describe('logModelToServer', () => {
  it('makes Model.log\'s calls in its order, registering into an existing model and waiting for READY', async () => {
    let polls = 0;
    const { url, seen } = await stubMlflow({
      ...baseRoutes(),
      'POST /api/2.0/mlflow/registered-models/create': () => [400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=n) already exists.' }],
      'POST /api/2.0/mlflow/model-versions/create': ok({ model_version: { version: '2', status: 'PENDING_REGISTRATION' } }),
      'GET /api/2.0/mlflow/model-versions/get': () => [200, { model_version: { status: polls++ === 0 ? 'PENDING_REGISTRATION' : 'READY' } }],
      'GET /api/2.0/mlflow/logged-models/': ok({ model: { info: { model_id: MODEL_ID, tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "n", "version": 2}]' }] } } }),
      'POST /api/2.0/mlflow/registered-models/alias': ok({}),
    });
    const result = await logModelToServer(request(url, { registeredModelName: 'n', alias: 'champion' }));

    expect(result.uris).toEqual({ model: `models:/${MODEL_ID}`, run: `runs:/${RUN_ID}/model`, version: 'models:/n/2', alias: 'models:/n@champion' });
    const calls = seen.map((s) => `${s.method} ${s.url.replace(/\?.*/, '')}`);
    const artifacts = `/api/2.0/mlflow-artifacts/artifacts/0/models/${MODEL_ID}/artifacts`;
    expect(calls.filter((c) => !c.startsWith('PUT'))).toEqual([
      'POST /api/2.0/mlflow/runs/create',
      'POST /api/2.0/mlflow/logged-models',
      'POST /api/2.0/mlflow/runs/outputs',
      `PATCH /api/2.0/mlflow/logged-models/${MODEL_ID}`,
      'POST /api/2.0/mlflow/registered-models/create',
      'POST /api/2.0/mlflow/model-versions/create',
      'GET /api/2.0/mlflow/model-versions/get',
      'GET /api/2.0/mlflow/model-versions/get',
      `GET /api/2.0/mlflow/logged-models/${MODEL_ID}`,
      `PATCH /api/2.0/mlflow/logged-models/${MODEL_ID}/tags`,
      'POST /api/2.0/mlflow/registered-models/alias',
      'POST /api/2.0/mlflow/runs/update',
    ]);
    expect(calls.filter((c) => c.startsWith('PUT')).sort()).toEqual([`PUT ${artifacts}/MLmodel`, `PUT ${artifacts}/model.skops`]);
    const body = (call: string) => JSON.parse(seen[calls.indexOf(call)]!.body) as Record<string, unknown>;
    expect(body('POST /api/2.0/mlflow/runs/create')).toEqual({
      experiment_id: '0',
      user_id: 'alice',
      start_time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      tags: [{ key: 'mlflow.user', value: 'alice' }, { key: 'mlflow.source.name', value: 'mlf' }, { key: 'mlflow.source.type', value: 'LOCAL' }],
    });
    expect(body('POST /api/2.0/mlflow/logged-models')).toMatchObject({ experiment_id: '0', name: 'model', source_run_id: RUN_ID, params: [] });
    expect(body('POST /api/2.0/mlflow/model-versions/create')).toEqual({ name: 'n', source: `models:/${MODEL_ID}`, model_id: MODEL_ID, tags: [{ key: 'team', value: 'ml' }] });
    expect(body(`PATCH /api/2.0/mlflow/logged-models/${MODEL_ID}/tags`)).toEqual({
      model_id: MODEL_ID,
      tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "n", "version": 2}, {"name": "n", "version": "2"}]' }],
    });
    expect(body('POST /api/2.0/mlflow/runs/update')).toMatchObject({ run_id: RUN_ID, status: 'FINISHED' });
    const uploaded = seen.find((s) => s.url.endsWith('/MLmodel'))!.body;
    expect(uploaded).toBe(loggedMlmodel(MLMODEL, { artifactUri: `mlflow-artifacts:/0/models/${MODEL_ID}/artifacts`, modelId: MODEL_ID, runId: RUN_ID, created: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) }));
    expect(seen.find((s) => s.url.endsWith('/model.skops'))!.body).toBe('weights');
  });

  it('marks the logged model UPLOAD_FAILED and its new run FAILED when an upload fails, and goes on with the error', async () => {
    const { url, seen } = await stubMlflow({ ...baseRoutes(), 'PUT /api/2.0/mlflow-artifacts/artifacts/': () => [400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'no' }] });
    await expect(logModelToServer(request(url))).rejects.toMatchObject({ kind: 'bad-request' });
    const patch = seen.find((s) => s.method === 'PATCH')!;
    expect(JSON.parse(patch.body)).toEqual({ model_id: MODEL_ID, status: 'LOGGED_MODEL_UPLOAD_FAILED' });
    expect(JSON.parse(seen.at(-1)!.body)).toMatchObject({ run_id: RUN_ID, status: 'FAILED' });
  });

  it('logs into a given run with its params and leaves it open; an unknown run is the user\'s error (exit 2)', async () => {
    const { url, seen } = await stubMlflow({
      ...baseRoutes(),
      'GET /api/2.0/mlflow/runs/get?run_id=known': ok({ run: { info: { run_id: 'known', experiment_id: '7' }, data: { params: [{ key: 'lr', value: '0.1' }] } } }),
      'GET /api/2.0/mlflow/runs/get': () => [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=nope not found' }],
    });
    const result = await logModelToServer(request(url, { runId: 'known' }));
    expect(result).toMatchObject({ runId: 'known', runCreated: false, experimentId: '7' });
    expect(JSON.parse(seen.find((s) => s.url === '/api/2.0/mlflow/logged-models')!.body)).toMatchObject({ experiment_id: '7', params: [{ key: 'lr', value: '0.1' }] });
    expect(seen.some((s) => s.url.includes('runs/create') || s.url.includes('runs/update'))).toBe(false);
    await expect(logModelToServer(request(url, { runId: 'nope' }))).rejects.toMatchObject({ code: 'RUN_NOT_FOUND', exitCode: 2 });
  });

  it('creates an experiment named by --experiment-name when there is none, as mlflow.set_experiment does', async () => {
    const { url, seen } = await stubMlflow({
      ...baseRoutes(),
      'GET /api/2.0/mlflow/experiments/get-by-name': () => [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Could not find experiment with name 'ci'" }],
      'POST /api/2.0/mlflow/experiments/create': ok({ experiment_id: '12' }),
    });
    await logModelToServer(request(url, { experimentName: 'ci' }));
    expect(JSON.parse(seen.find((s) => s.url.endsWith('experiments/create'))!.body)).toEqual({ name: 'ci' });
    expect(JSON.parse(seen.find((s) => s.url.endsWith('runs/create'))!.body)).toMatchObject({ experiment_id: '12' });
  });

  it('refuses MLFLOW_EXPERIMENT_NAME and MLFLOW_EXPERIMENT_ID that name two experiments, as MLflow does', async () => {
    const { url, seen } = await stubMlflow({ ...baseRoutes(), 'GET /api/2.0/mlflow/experiments/get-by-name': ok({ experiment: { experiment_id: '3' } }) });
    await expect(logModelToServer(request(url, { experimentName: 'ci', experimentId: '4', experimentFromEnv: true }))).rejects.toMatchObject({ code: 'EXPERIMENT_MISMATCH', exitCode: 2 });
    expect(seen.some((s) => s.url.includes('runs/create'))).toBe(false);
    await logModelToServer(request(url, { experimentName: 'ci', experimentId: '3', experimentFromEnv: true }));
    expect(JSON.parse(seen.find((s) => s.url.endsWith('runs/create'))!.body)).toMatchObject({ experiment_id: '3' });
  });
});

describe('loggedMlmodel', () => {
  it('adds what Model.log writes: artifact_path, model_id, model_uuid, run_id, a new utc_time_created', () => {
    const text = loggedMlmodel(MLMODEL, { artifactUri: 'mlflow-artifacts:/0/models/m-1/artifacts', modelId: 'm-1', runId: 'r1', created: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) });
    expect(text).toBe(
      'artifact_path: mlflow-artifacts:/0/models/m-1/artifacts\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\nmlflow_version: 3.17.2\nmodel_id: m-1\nmodel_uuid: m-1\nrun_id: r1\nutc_time_created: \'2026-01-02 03:04:05.006000\'\n',
    );
  });
});
