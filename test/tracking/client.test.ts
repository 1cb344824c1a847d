import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTrackingClient, type TrackingClient } from '../../src/tracking/client.js';
import { readTrackingConfig, type TrackingConfig } from '../../src/tracking/config.js';
import { TrackingError } from '../../src/tracking/errors.js';
import { sendJson, startHttpStub, stopHttpStubs, type SeenRequest } from '../support/http-stub.js';
import { tempDir } from '../support/temp.js';

/** A stub answering the n-th request with the n-th handler (the last one repeats). */
async function serve(handlers: Handler[], make?: (listener: http.RequestListener) => http.Server) {
  return startHttpStub((req, res, seen, index) => handlers[Math.min(index, handlers.length - 1)]!(req, res, seen), make);
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void;

const clients: TrackingClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await stopHttpStubs();
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => sendJson(res, status, body, headers);

function configFor(uri: string, env: Record<string, string> = {}): TrackingConfig {
  return readTrackingConfig({ MLFLOW_TRACKING_URI: uri, ...env }, tempDir());
}

function clientFor(config: TrackingConfig, waits: number[] = []): TrackingClient {
  const client = createTrackingClient(config, { sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<TrackingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrackingError);
  return error as TrackingError;
}

describe('createTrackingClient', () => {
  it('sends GET fields in the query string and other bodies as JSON, with basic auth', async () => {
    const { port, seen } = await serve([json(200, { run: { info: { run_id: 'r1' } } }), json(200, { ok: true })]);
    const client = clientFor(configFor(`http://127.0.0.1:${port}/prefix/`, { MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 's3cret' }));
    expect(await client.getJson('/api/2.0/mlflow/runs/get', { run_id: 'r1', ids: ['a', 'b'], absent: undefined })).toEqual({ run: { info: { run_id: 'r1' } } });
    expect(await client.postJson('/api/2.0/mlflow/runs/create', { experiment_id: '0' })).toEqual({ ok: true });
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['GET', '/prefix/api/2.0/mlflow/runs/get?run_id=r1&ids=a&ids=b', ''],
      ['POST', '/prefix/api/2.0/mlflow/runs/create', '{"experiment_id":"0"}'],
    ]);
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  });

  it('sends a bearer token when no username and password are set', async () => {
    const { port, seen } = await serve([json(200, {})]);
    await clientFor(configFor(`http://127.0.0.1:${port}`, { MLFLOW_TRACKING_TOKEN: 'tok-123' })).deleteJson('/x', { id: 1 });
    expect(seen[0]).toMatchObject({ method: 'DELETE', authorization: 'Bearer tok-123', body: '{"id":1}' });
  });

  it('retries the retryable statuses with MLflow\'s backoff: none, then factor × 2^(n-1) plus jitter', async () => {
    const { port, seen } = await serve([json(503, {}), json(500, {}), json(429, {}), json(200, { done: 1 })]);
    const waits: number[] = [];
    const client = clientFor(configFor(`http://127.0.0.1:${port}`), waits);
    expect(await client.patchJson('/p', { a: 1 })).toEqual({ done: 1 });
    expect(seen).toHaveLength(4);
    expect(waits).toEqual([0, (2 * 2 + 0.5) * 1000, (2 * 4 + 0.5) * 1000]);
  });

  it('waits what Retry-After says on a 429 or 503, unless told not to', async () => {
    const waits: number[] = [];
    const first = await serve([json(429, {}, { 'retry-after': '3' }), json(200, {})]);
    await clientFor(configFor(`http://127.0.0.1:${first.port}`), waits).getJson('/a');
    const second = await serve([json(429, {}, { 'retry-after': '3' }), json(200, {})]);
    await clientFor(configFor(`http://127.0.0.1:${second.port}`, { MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: 'false' }), waits).getJson('/a');
    expect(waits).toEqual([3000, 0]);
  });

  it('gives up after MLFLOW_HTTP_REQUEST_MAX_RETRIES retries with a server error (exit 3)', async () => {
    const { port, seen } = await serve([json(502, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' })]);
    const error = await failure(clientFor(configFor(`http://127.0.0.1:${port}`, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' })).getJson('/api/2.0/mlflow/runs/get'));
    expect(seen).toHaveLength(3);
    expect(error).toMatchObject({ kind: 'server', status: 502, errorCode: 'TEMPORARILY_UNAVAILABLE', exitCode: 3 });
    expect(error.message).toBe(`the tracking server failed GET http://127.0.0.1:${port}/api/2.0/mlflow/runs/get (502 TEMPORARILY_UNAVAILABLE): busy (after 2 retries)`);
  });

  it('does not retry a 404 or 400, and keeps MLflow\'s error code and message', async () => {
    const { port, seen } = await serve([
      json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=abc not found' }),
      json(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias x not found.' }),
    ]);
    const client = clientFor(configFor(`http://127.0.0.1:${port}`));
    const notFound = await failure(client.getJson('/api/2.0/mlflow/runs/get', { run_id: 'abc' }));
    expect(notFound).toMatchObject({ kind: 'not-found', errorCode: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=abc not found', exitCode: 2 });
    const bad = await failure(client.getJson('/alias'));
    expect(bad).toMatchObject({ kind: 'bad-request', status: 400, errorCode: 'INVALID_PARAMETER_VALUE', exitCode: 2 });
    expect(seen).toHaveLength(2);
  });

  it('turns 401 and 403 into auth errors naming the credential variables, never the credentials', async () => {
    const { port } = await serve([
      (_req, res) => {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('You are not authenticated. Got password hunter22 for user alice');
      },
    ]);
    const client = clientFor(configFor(`http://alice:urlpass@127.0.0.1:${port}`, { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'hunter22' }));
    const error = await failure(client.getJson('/api/2.0/mlflow/experiments/search'));
    expect(error).toMatchObject({ kind: 'auth', status: 401, exitCode: 2 });
    expect(error.hint).toContain('MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN');
    const shown = JSON.stringify(error.toJSON());
    expect(shown).not.toContain('urlpass');
    expect(shown).not.toContain('hunter22');
    expect(shown).not.toContain(`alice:`);
    expect(client.baseUrl).toBe(`http://127.0.0.1:${port}`);
  });

  it('takes user-info in the tracking URI as basic auth, as requests does', async () => {
    const { port, seen } = await serve([json(200, {})]);
    await clientFor(configFor(`http://u%40x:p@127.0.0.1:${port}`, { MLFLOW_TRACKING_TOKEN: 'tok' })).getJson('/a');
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from('u@x:p').toString('base64')}`);
  });

  it('sends credentials only to the tracking and registry servers\' origins', async () => {
    const other = await serve([(_req, res) => res.end('bytes')]);
    const { port } = await serve([json(200, {})]);
    const client = clientFor(configFor(`http://127.0.0.1:${port}`, { MLFLOW_TRACKING_TOKEN: 'tok' }));
    const response = await client.getStream(`http://localhost:${other.port}/file`);
    expect(await text(response.body)).toBe('bytes');
    expect(other.seen[0]!.authorization).toBeUndefined();
  });

  it('retries a connection failure, then says the server is unreachable (exit 3)', async () => {
    const { port } = await serve([json(200, {})]);
    await stopHttpStubs();
    const waits: number[] = [];
    const error = await failure(clientFor(configFor(`http://127.0.0.1:${port}`, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3' }), waits).getJson('/a'));
    expect(error).toMatchObject({ kind: 'unreachable', exitCode: 3 });
    expect(error.message).toContain('ECONNREFUSED');
    expect(waits).toHaveLength(3);
  });

  it('times out a server that does not answer within MLFLOW_HTTP_REQUEST_TIMEOUT', async () => {
    const { port } = await serve([() => undefined]);
    const started = Date.now();
    const error = await failure(clientFor(configFor(`http://127.0.0.1:${port}`, { MLFLOW_HTTP_REQUEST_TIMEOUT: '1', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' })).getJson('/a'));
    expect(error.kind).toBe('unreachable');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('streams downloads, and opens an upload body again for each retry', async () => {
    const { port, seen } = await serve([(_req, res) => res.end('0123456789'), json(503, {}), json(200, {})]);
    const client = clientFor(configFor(`http://127.0.0.1:${port}`));
    const download = await client.getStream('/api/2.0/mlflow-artifacts/artifacts/0/a.bin');
    expect(download.contentLength).toBe(10);
    expect(await text(download.body)).toBe('0123456789');
    let opened = 0;
    const answer = await client.putStream('/api/2.0/mlflow-artifacts/artifacts/0/b.bin', () => {
      opened += 1;
      return Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    }, { contentLength: 6 });
    expect(answer).toEqual({});
    expect(opened).toBe(2);
    expect(seen.slice(1).map((s) => [s.method, s.body])).toEqual([['PUT', 'abcdef'], ['PUT', 'abcdef']]);
  });

  it('refuses a tracking URI that is missing or not http(s) (exit 2)', () => {
    expect(() => createTrackingClient(readTrackingConfig({}, tempDir()))).toThrow(/set MLFLOW_TRACKING_URI/);
    expect(() => createTrackingClient(configFor('sqlite:///mlflow.db'))).toThrow(/scheme 'sqlite'/);
    expect(() => createTrackingClient(configFor('http://t', { MLFLOW_REGISTRY_URI: 'databricks' }), { server: 'registry' })).toThrow(/MLFLOW_REGISTRY_URI/);
  });

  describe('TLS', () => {
    let pki: { dir: string; key: Buffer; cert: Buffer };
    beforeAll(() => {
      const dir = tempDir('mlf-tls-');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      pki = { dir, key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
    });

    const httpsServer = () => serve([json(200, { secure: true })], (listener) => https.createServer({ key: pki.key, cert: pki.cert }, listener));

    it('fails an unverifiable certificate as a TLS error naming the TLS variables (exit 2), without retrying', async () => {
      const { port, seen } = await httpsServer();
      const error = await failure(clientFor(configFor(`https://127.0.0.1:${port}`)).getJson('/a'));
      expect(error).toMatchObject({ kind: 'tls', exitCode: 2 });
      expect(error.hint).toContain('MLFLOW_TRACKING_SERVER_CERT_PATH');
      expect(error.hint).toContain('MLFLOW_TRACKING_INSECURE_TLS');
      expect(seen).toHaveLength(0);
    });

    it('verifies against MLFLOW_TRACKING_SERVER_CERT_PATH, or not at all with MLFLOW_TRACKING_INSECURE_TLS', async () => {
      const { port } = await httpsServer();
      const uri = `https://127.0.0.1:${port}`;
      expect(await clientFor(configFor(uri, { MLFLOW_TRACKING_SERVER_CERT_PATH: path.join(pki.dir, 'cert.pem') })).getJson('/a')).toEqual({ secure: true });
      expect(await clientFor(configFor(uri, { MLFLOW_TRACKING_INSECURE_TLS: 'true' })).getJson('/a')).toEqual({ secure: true });
    });
  });
});
