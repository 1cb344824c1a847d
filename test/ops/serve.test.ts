import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serve, servedVersion } from '../../src/ops/serve.js';
import { MLF_VERSION } from '../../src/version.js';
import { isProcessAlive } from '../../src/process-alive.js';
import { tempDir } from '../support/temp.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'fake', 'fake-worker.mjs');
const MODEL = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'models', 'sklearn-iris');

function send(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('servedVersion', () => {
  it("is the version of mlflow in the environment, else mlf's", () => {
    const env = tempDir('mlf-served-version-');
    expect(servedVersion(env)).toEqual({ text: MLF_VERSION, source: 'mlf' });
    const site = path.join(env, 'lib', 'python3.11', 'site-packages');
    mkdirSync(path.join(site, 'mlflow_skinny-3.1.0.dist-info'), { recursive: true });
    expect(servedVersion(env).source).toBe('mlf');
    mkdirSync(path.join(site, 'mlflow-3.17.2.dist-info'));
    writeFileSync(path.join(site, 'mlflow-3.17.2.dist-info', 'METADATA'), 'Metadata-Version: 2.1\nName: mlflow\nVersion: 3.17.2\n');
    expect(servedVersion(env)).toEqual({ text: '3.17.2', source: 'mlflow' });
  });
});

describe('ops serve (fake workers)', () => {
  it('prepares the environment, starts the pool and the server, and close() stops them', async () => {
    const home = tempDir('mlf-serve-home-');
    const accessed: string[] = [];
    const handle = await serve({
      modelUri: MODEL,
      manager: 'local',
      host: '127.0.0.1',
      port: 0,
      workers: 2,
      timeoutSeconds: 10,
      maxQueue: 8,
      protocols: ['mlflow', 'v2'],
      mlfHome: home,
      env: { PATH: process.env.PATH, FAKE_MODE: 'ok', MLF_HOME: home },
      cwd: process.cwd(),
      workerCommand: { file: process.execPath, args: [FAKE] },
      onAccess: (r) => accessed.push(`${r.method} ${r.path} ${r.status}`),
    });
    try {
      expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`);
      expect(handle.workers).toBe(2);
      expect((await send(`${handle.url}/ping`, 'GET')).status).toBe(200);
      const invoked = await send(`${handle.url}/invocations`, 'POST', '{"inputs": [1]}', { 'Content-Type': 'application/json' });
      expect(invoked.status).toBe(200);
      expect(JSON.parse(invoked.body).request).toMatchObject({ type: 'invoke', protocol: 'mlflow', path: '/invocations', content_type: 'application/json', body: '{"inputs": [1]}' });
      // The Open Inference routes: health answered by mlf, infer by a worker, under MLflow's --enable-mlserver name.
      expect(await send(`${handle.url}/v2/health/ready`, 'GET')).toMatchObject({ status: 200, body: '{"ready":true}' });
      const inferred = await send(`${handle.url}/v2/models/mlflow-model/infer`, 'POST', '{"inputs": []}', { 'Content-Type': 'application/json' });
      expect(JSON.parse(inferred.body).request).toMatchObject({ type: 'invoke', protocol: 'v2', path: '/v2/models/mlflow-model/infer', model_name: 'mlflow-model' });
      const metrics = await send(`${handle.url}/metrics`, 'GET');
      expect(metrics.body).toMatch(/^mlf_workers_live 2$/m);
      expect(accessed).toEqual(['GET /ping 200', 'POST /invocations 200', 'GET /v2/health/ready 200', 'POST /v2/models/mlflow-model/infer 200', 'GET /metrics 200']);
    } finally {
      const pids = handle.workerPids() as number[];
      await handle.close();
      expect(pids.map((pid) => isProcessAlive(pid))).toEqual([false, false]);
    }
  }, 60_000);

  it('with --max-batch-size, requests that arrive together are one invoke_batch, each answered on its own', async () => {
    const home = tempDir('mlf-serve-home-');
    const handle = await serve({
      modelUri: MODEL,
      manager: 'local',
      host: '127.0.0.1',
      port: 0,
      workers: 1,
      timeoutSeconds: 10,
      maxQueue: 8,
      maxBatchSize: 4,
      maxBatchDelayMs: 200,
      protocols: ['mlflow'],
      mlfHome: home,
      env: { PATH: process.env.PATH, FAKE_MODE: 'ok', MLF_HOME: home },
      cwd: process.cwd(),
      workerCommand: { file: process.execPath, args: [FAKE] },
    });
    try {
      const bodies = ['{"inputs": [1]}', '{"inputs": [2]}', '{"inputs": [3]}'];
      const answers = await Promise.all(bodies.map((body) => send(`${handle.url}/invocations`, 'POST', body, { 'Content-Type': 'application/json' })));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      // In order, each its own item, all three sent in one batch.
      expect(answers.map((a) => JSON.parse(a.body).item.body)).toEqual(bodies);
      expect(answers.map((a) => JSON.parse(a.body).together)).toEqual([3, 3, 3]);
      const metrics = await send(`${handle.url}/metrics`, 'GET');
      expect(metrics.body).toMatch(/^mlf_batch_size_count 3$/m);
    } finally {
      await handle.close();
    }
  }, 60_000);
});
