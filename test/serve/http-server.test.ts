import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/serve/access-log.js';
import { formatAccessLine } from '../../src/serve/access-log.js';
import { startHttpServer, type HttpServerHandle, type Route } from '../../src/serve/http-server.js';
import { mlflowRoutes, starletteContentType } from '../../src/serve/mlflow-routes.js';
import type { InvokeItem } from '../../src/serve/pool.js';

const servers: HttpServerHandle[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close(0)));
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function serve(routes: Route[], extra: { bodyLimitBytes?: number; onResponse?: (r: AccessRecord) => void } = {}): Promise<HttpServerHandle> {
  const server = await startHttpServer({ routes, host: '127.0.0.1', port: 0, ...extra });
  servers.push(server);
  return server;
}

describe('the HTTP server', () => {
  it('answers unknown paths and wrong methods as FastAPI does', async () => {
    const server = await serve([{ method: 'GET', path: '/ping', handle: async () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '\n' }) }]);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const missing = await send(server.url, 'GET', '/nope?x=1');
    expect([missing.status, missing.headers['content-type'], missing.body]).toEqual([404, 'application/json', '{"detail":"Not Found"}']);
    const wrong = await send(server.url, 'POST', '/ping', '{}');
    expect([wrong.status, wrong.headers['content-type'], wrong.headers.allow, wrong.body]).toEqual([405, 'application/json', 'GET', '{"detail":"Method Not Allowed"}']);
  });

  it('matches RegExp routes with their groups and reports each response once', async () => {
    const records: AccessRecord[] = [];
    const server = await serve(
      [{ method: 'GET', path: /\/v2\/models\/([^/]+)/, name: '/v2/models/{name}', handle: async (ctx) => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: ctx.params.join('|') }) }],
      { onResponse: (r) => records.push(r) },
    );
    const answer = await send(server.url, 'GET', '/v2/models/iris%20x');
    expect([answer.status, answer.body]).toEqual([200, 'iris x']);
    expect((await send(server.url, 'GET', '/v2/models/a/b')).status).toBe(404);
    expect(records.map((r) => [r.method, r.path, r.status, r.route])).toEqual([
      ['GET', '/v2/models/iris%20x', 200, '/v2/models/{name}'],
      ['GET', '/v2/models/a/b', 404, 'unmatched'],
    ]);
    expect(formatAccessLine({ ...records[0]!, durationMs: 1.25, batchSize: 3 })).toBe('GET /v2/models/iris%20x 200 1.3ms batch=3');
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const seen: number[] = [];
    const server = await serve([{ method: 'POST', path: '/in', handle: async (ctx) => (seen.push(ctx.body.length), { status: 200, headers: {}, body: 'ok' }) }], { bodyLimitBytes: 10 });
    expect((await send(server.url, 'POST', '/in', '0123456789')).status).toBe(200);
    const declared = await send(server.url, 'POST', '/in', '0123456789ab');
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({ error_code: 'RESOURCE_EXHAUSTED', message: 'The request body is larger than the limit of 10 bytes' });
    const chunked = await send(server.url, 'POST', '/in', Buffer.alloc(50, 'x'), { 'Transfer-Encoding': 'chunked' });
    expect(chunked.status).toBe(413);
    expect(seen).toEqual([10]);
  });

  it('a handler that throws is a 500 Internal Server Error', async () => {
    const server = await serve([{ method: 'GET', path: '/boom', handle: async () => { throw new Error('boom'); } }]);
    const answer = await send(server.url, 'GET', '/boom');
    expect([answer.status, answer.headers['content-type'], answer.body]).toEqual([500, 'text/plain; charset=utf-8', 'Internal Server Error']);
  });

  it('close() waits for the requests in flight and then stops', async () => {
    let release!: () => void;
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      routes: [{ method: 'GET', path: '/slow', handle: () => new Promise((resolve) => (release = () => resolve({ status: 200, headers: {}, body: 'done' }))) }],
    });
    const pending = send(server.url, 'GET', '/slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.inFlight).toBe(1);
    const closed = server.close(5_000);
    setTimeout(() => release(), 100);
    expect((await pending).body).toBe('done');
    await closed;
    await expect(send(server.url, 'GET', '/slow')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("MLflow's routes", () => {
  it('/ping, /health and /version as MLflow answers them; /invocations hands the request to invoke', async () => {
    const items: InvokeItem[] = [];
    let ready = true;
    const server = await serve(
      mlflowRoutes({
        ready: () => ready,
        version: '3.17.2',
        invoke: async (item) => (items.push(item), { status: 415, contentType: 'text/plain', body: 'The scoring server only supports UTF-8' }),
      }),
    );
    for (const path of ['/ping', '/health']) {
      const answer = await send(server.url, 'GET', path);
      expect([answer.status, answer.headers['content-type'], answer.body]).toEqual([200, 'application/json', '\n']);
    }
    const version = await send(server.url, 'GET', '/version');
    expect([version.status, version.headers['content-type'], version.body]).toEqual([200, 'application/json', '3.17.2']);
    const invoked = await send(server.url, 'POST', '/invocations', '{"inputs": [1]}', { 'Content-Type': 'application/json; charset=latin-1' });
    expect([invoked.status, invoked.headers['content-type'], invoked.body]).toEqual([415, 'text/plain; charset=utf-8', 'The scoring server only supports UTF-8']);
    expect(items).toEqual([{ protocol: 'mlflow', path: '/invocations', contentType: 'application/json; charset=latin-1', body: Buffer.from('{"inputs": [1]}') }]);
    await send(server.url, 'POST', '/invocations', 'x');
    expect(items[1]!.contentType).toBeNull();
    ready = false;
    const down = await send(server.url, 'GET', '/ping');
    expect([down.status, JSON.parse(down.body)]).toEqual([503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'No model worker is up' }]);
  });

  it('writes content types as Starlette does', () => {
    expect(starletteContentType('text/plain')).toBe('text/plain; charset=utf-8');
    expect(starletteContentType('application/json')).toBe('application/json');
    expect(starletteContentType('text/csv; charset=utf-8')).toBe('text/csv; charset=utf-8');
  });
});
