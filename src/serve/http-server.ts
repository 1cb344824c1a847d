/**
 * The HTTP server of `mlf models serve`, on node:http: measured faster than fastify 5 for this
 * server's work (read the whole body, answer a small JSON; autocannon, 5 s, Node 20): 28.6k vs
 * 21.9k req/s at 1 connection, 27.8k vs 18.5k at 64 (p99 6 ms vs 17 ms), and no dependency. Routes are data (`Route`); the server reads the whole body (up to a limit),
 * finds the route, and writes what its handler returns. Unknown paths and wrong methods are
 * answered as MLflow's FastAPI app answers them: 404 `{"detail":"Not Found"}` and 405
 * `{"detail":"Method Not Allowed"}` (with `Allow`).
 *
 * Limits: the body (default 100 MB, as MLflow's container's nginx: beyond, 413), the time to
 * receive the headers, keep-alive idle time. `close(graceMs)` stops accepting, lets requests in
 * flight finish for up to `graceMs`, then cuts the remaining connections.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessRecord } from './access-log.js';

/** How long `close()` lets requests in flight finish by default: `mlf models serve`'s drain on SIGTERM (generate-k8s sizes the pod's grace period on it). */
export const DRAIN_GRACE_MS = 30_000;

export interface RouteContext {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** The capture groups of a RegExp path, in order. */
  params: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RouteResponse {
  status: number;
  /** Content-Type and any other headers. */
  headers: Record<string, string>;
  body: string | Buffer;
  /** Requests predicted together with this one, for the access log and metrics. */
  batchSize?: number;
}

export interface Route {
  method: string;
  /** An exact path, or a RegExp matched against the whole path (anchor it). */
  path: string | RegExp;
  /** The metrics label (default: the path, or the RegExp's source). */
  name?: string;
  handle(ctx: RouteContext): Promise<RouteResponse>;
}

export interface HttpServerOptions {
  routes: readonly Route[];
  host: string;
  /** 0: any free port. */
  port: number;
  /** Default 100 MB. */
  bodyLimitBytes?: number;
  /** Time to receive a request's headers (default 30 s). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (default 5 min). */
  requestTimeoutMs?: number;
  /** Idle time of a kept-alive connection (default 75 s, as MLflow's container's nginx). */
  keepAliveTimeoutMs?: number;
  /** Called once per answered request (access log, metrics). */
  onResponse?: (record: AccessRecord) => void;
  /** A handler that threw: the server answers 500 and reports it here. */
  onError?: (error: Error) => void;
}

export interface HttpServerHandle {
  url: string;
  host: string;
  port: number;
  /** Requests being answered. */
  readonly inFlight: number;
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_BODY_LIMIT = 100 * 1024 * 1024;

const JSON_TYPE = 'application/json';

function detail(status: number, text: string, headers: Record<string, string> = {}): RouteResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify({ detail: text }) };
}

function matches(route: Route, path: string): string[] | undefined {
  if (typeof route.path === 'string') return route.path === path ? [] : undefined;
  const match = route.path.exec(path);
  return match && match[0] === path ? match.slice(1).map((group) => (group === undefined ? '' : decodeURIComponent(group))) : undefined;
}

function routeName(route: Route): string {
  return route.name ?? (typeof route.path === 'string' ? route.path : route.path.source);
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const answer = async (req: IncomingMessage): Promise<{ response: RouteResponse; route: string }> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = options.routes.map((route) => ({ route, params: matches(route, url.pathname) })).filter((c) => c.params !== undefined);
    if (candidates.length === 0) {
      req.resume();
      return { response: detail(404, 'Not Found'), route: 'unmatched' };
    }
    const chosen = candidates.find((c) => c.route.method === method);
    if (!chosen) {
      req.resume();
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
      return { response: detail(405, 'Method Not Allowed', { Allow: allow }), route: routeName(candidates[0]!.route) };
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > bodyLimit) {
      req.resume();
      return { response: tooLarge(bodyLimit), route: routeName(chosen.route) };
    }
    const body = await readBody(req, bodyLimit);
    if (body === undefined) return { response: tooLarge(bodyLimit), route: routeName(chosen.route) };
    const response = await chosen.route.handle({ method, path: url.pathname, query: url.searchParams, params: chosen.params!, headers: req.headers, body });
    return { response, route: routeName(chosen.route) };
  };

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    inFlight += 1;
    const done = (response: RouteResponse, route: string): void => {
      const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
      if (!res.headersSent) {
        res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
      }
      res.end(body);
      inFlight -= 1;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const path = (req.url ?? '/').split('?')[0]!;
      options.onResponse?.({ method: req.method ?? 'GET', path, status: response.status, durationMs, route, ...(response.batchSize !== undefined ? { batchSize: response.batchSize } : {}) });
      if (drained && inFlight === 0) drained();
    };
    answer(req).then(
      ({ response, route }) => done(response, route),
      (error: Error) => {
        options.onError?.(error);
        // Starlette's answer to an exception no handler caught.
        done({ status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Internal Server Error' }, 'error');
      },
    );
  });
  server.headersTimeout = options.headersTimeoutMs ?? 30_000;
  server.requestTimeout = options.requestTimeoutMs ?? 300_000;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 75_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    host: address.address,
    port: address.port,
    get inFlight() {
      return inFlight;
    },
    async close(graceMs = DRAIN_GRACE_MS) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      // Connections kept alive after their last response, and any still busy past the grace.
      server.closeAllConnections();
      await closed;
    },
  };
}

function tooLarge(limit: number): RouteResponse {
  return {
    status: 413,
    headers: { 'Content-Type': JSON_TYPE, Connection: 'close' },
    body: JSON.stringify({ error_code: 'RESOURCE_EXHAUSTED', message: `The request body is larger than the limit of ${limit} bytes` }),
  };
}

/** The whole body, or undefined once it passes `limit` bytes (the rest is drained). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
