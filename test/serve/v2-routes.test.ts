/**
 * serve/v2-routes.ts with a fake invoke: which requests reach the worker and how, and what the
 * routes answer themselves (MLServer 1.7.1's statuses and messages, recorded in
 * test/serve/v2-golden/server-sklearn-iris.json).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MLF_VERSION } from '../../src/version.js';
import { DEFAULT_V2_MODEL_NAME, v2ModelIdentity, v2Routes, type V2InvokeItem, type V2Route, type V2RoutesOptions } from '../../src/serve/v2-routes.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'v2-golden', 'server-sklearn-iris.json');

interface GoldenCase {
  case: string;
  method: string;
  path: string;
  status: number;
  json?: unknown;
}

function goldenCase(name: string): GoldenCase {
  const recorded = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { cases: GoldenCase[] };
  const found = recorded.cases.find((c) => c.case === name);
  if (!found) throw new Error(`no golden case ${name}`);
  return found;
}

/** The routes over a fake invoke that records its items and answers 200 with a fixed body. */
function setUp(overrides: Partial<V2RoutesOptions> = {}) {
  const items: V2InvokeItem[] = [];
  let ready = true;
  const routes = v2Routes({
    invoke: async (item) => {
      items.push(item);
      return { status: 200, contentType: 'application/json', body: '{"from":"worker"}' };
    },
    modelName: 'mlflow-model',
    ready: () => ready,
    ...overrides,
  });
  const call = async (method: string, urlPath: string, body: string | Buffer = '', headers: Record<string, string> = {}) => {
    const route = routes.find((r: V2Route) => r.method === method && (typeof r.path === 'string' ? r.path === urlPath : r.path.test(urlPath)));
    if (!route) return undefined;
    const answer = await route.handle({ method, path: urlPath, headers, body });
    return { status: answer.status, contentType: answer.headers['content-type'], json: JSON.parse(answer.body.toString()) as unknown };
  };
  return { items, call, setReady: (value: boolean) => (ready = value) };
}

describe('v2Routes', () => {
  it('answers server metadata, liveness and readiness itself', async () => {
    const { call, setReady, items } = setUp();
    expect(await call('GET', '/v2')).toEqual({ status: 200, contentType: 'application/json', json: { name: 'mlf', version: MLF_VERSION, extensions: [] } });
    expect(await call('GET', '/v2/health/live')).toEqual({ status: 200, contentType: 'application/json', json: { live: true } });
    expect(await call('GET', '/v2/health/ready')).toEqual({ status: 200, contentType: 'application/json', json: { ready: true } });
    expect(await call('GET', '/v2/models/mlflow-model/ready')).toEqual({ status: 200, contentType: 'application/json', json: { name: 'mlflow-model', ready: true } });
    setReady(false);
    expect(await call('GET', '/v2/health/ready')).toEqual({ status: 400, contentType: 'application/json', json: { ready: false } });
    expect(await call('GET', '/v2/models/mlflow-model/ready')).toEqual({ status: 400, contentType: 'application/json', json: { name: 'mlflow-model', ready: false } });
    expect(items).toEqual([]);
  });

  it("sends infer and the model's metadata to the worker and passes its reply on", async () => {
    const { call, items } = setUp({ modelVersion: '3' });
    const body = '{"inputs":[]}';
    expect(await call('POST', '/v2/models/mlflow-model/infer', body, { 'content-type': 'application/json' })).toEqual({
      status: 200,
      contentType: 'application/json',
      json: { from: 'worker' },
    });
    await call('POST', '/v2/models/mlflow-model/versions/3/infer', body);
    await call('GET', '/v2/models/mlflow-model');
    await call('GET', '/v2/models/mlflow-model/versions/3');
    expect(items).toEqual([
      { protocol: 'v2', path: '/v2/models/mlflow-model/infer', contentType: 'application/json', body, modelName: 'mlflow-model', modelVersion: '3' },
      { protocol: 'v2', path: '/v2/models/mlflow-model/versions/3/infer', contentType: null, body, modelName: 'mlflow-model', modelVersion: '3' },
      { protocol: 'v2', path: '/v2/models/mlflow-model', contentType: null, body: '', modelName: 'mlflow-model', modelVersion: '3' },
      { protocol: 'v2', path: '/v2/models/mlflow-model/versions/3', contentType: null, body: '', modelName: 'mlflow-model', modelVersion: '3' },
    ]);
  });

  it('passes a body of bytes on as it came (the worker client decides how it travels)', async () => {
    const { call, items } = setUp();
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
    await call('POST', '/v2/models/mlflow-model/infer', bytes, { 'content-type': 'application/json' });
    expect(items.map((i) => i.body)).toEqual([bytes]);
  });

  it("passes the worker's error replies on with their status", async () => {
    const { call } = setUp({ invoke: async () => ({ status: 400, contentType: 'application/json', body: '{"error":"ValueError: boom"}' }) });
    expect(await call('POST', '/v2/models/mlflow-model/infer', '{}')).toEqual({ status: 400, contentType: 'application/json', json: { error: 'ValueError: boom' } });
  });

  it("answers another model's name or version with MLServer's 404, without the worker", async () => {
    const { call, items } = setUp();
    const cases: [string, string, GoldenCase][] = [
      ['POST', '/v2/models/nope/infer', goldenCase('unknown-model')],
      ['GET', '/v2/models/nope', goldenCase('unknown-model-metadata')],
      ['GET', '/v2/models/nope/ready', goldenCase('unknown-model-ready')],
      ['POST', '/v2/models/mlflow-model/versions/1/infer', goldenCase('with-version')],
    ];
    for (const [method, urlPath, golden] of cases) {
      const answer = await call(method, urlPath, '{}');
      expect(answer, urlPath).toEqual({ status: golden.status, contentType: 'application/json', json: golden.json });
    }
    expect(await call('GET', '/v2/models/my%20model')).toEqual({ status: 404, contentType: 'application/json', json: { error: 'Model my model not found' } });
    expect(items).toEqual([]);
  });

  it('matches no other path', async () => {
    const { call } = setUp();
    for (const [method, urlPath] of [['GET', '/v2/models'], ['GET', '/v2/models/mlflow-model/versions'], ['POST', '/v2/models/mlflow-model'], ['GET', '/v2/models/mlflow-model/infer'], ['GET', '/v3']]) {
      expect(await call(method!, urlPath!), `${method} ${urlPath}`).toBeUndefined();
    }
  });
});

describe('v2ModelIdentity', () => {
  it("is mlflow-model without a version by default, MLSERVER_MODEL_NAME / _VERSION's when set", () => {
    expect(DEFAULT_V2_MODEL_NAME).toBe('mlflow-model');
    expect(v2ModelIdentity({})).toEqual({ modelName: 'mlflow-model' });
    expect(v2ModelIdentity({ MLSERVER_MODEL_NAME: '', MLSERVER_MODEL_VERSION: '' })).toEqual({ modelName: 'mlflow-model' });
    expect(v2ModelIdentity({ MLSERVER_MODEL_NAME: 'iris', MLSERVER_MODEL_VERSION: '2' })).toEqual({ modelName: 'iris', modelVersion: '2' });
  });
});
