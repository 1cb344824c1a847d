/**
 * The HTTP client every remote-URI feature speaks to an MLflow tracking server with (REST calls,
 * artifact downloads and uploads through the server's proxy). Built on undici (Node's own HTTP
 * engine, as a pinned dependency for its dispatcher options: TLS, timeouts, redirects).
 *
 * The retry policy is MLflow's (mlflow/utils/rest_utils.py `http_request` →
 * mlflow/utils/request_utils.py `_get_request_session`, a urllib3 `Retry` with `allowed_methods=None`):
 * every method is retried, up to `maxRetries` times, on a connection failure or timeout and on the
 * statuses 408/429/500/502/503/504; the wait before retry n (n ≥ 2) is
 * `min(120, backoffFactor × 2^(n-1) + random × backoffJitter)`, none before the first; a 429/503
 * with `Retry-After` waits that long instead (`respectRetryAfter`). GETs carry their fields in the
 * query string (`call_endpoint`).
 *
 * Credentials go only to the tracking and registry servers' origins, and never into a message:
 * every URL shown has its user-info removed and its query dropped, and a server's error text has
 * any credential in it masked.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { usageError } from '../errors.js';
import { ENV } from '../config/env-vars.js';
import type { TrackingAuth, TrackingConfig } from './config.js';
import { TrackingError } from './errors.js';

/** urllib3's `Retry.DEFAULT_BACKOFF_MAX`. */
const BACKOFF_MAX_SECONDS = 120;
/** request_utils.py `_TRANSIENT_FAILURE_RESPONSE_CODES`. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
/** urllib3's `Retry.RETRY_AFTER_STATUS_CODES` that are also retried. */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);
/** How much of an error answer's text is kept for the message. */
const ERROR_TEXT_LIMIT = 500;

export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

/** A request body that can be sent again on a retry: bytes, or a function opening a new stream. */
export type BodySource = Uint8Array | string | (() => Readable | AsyncIterable<Uint8Array>);

export interface StreamResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Content-Length, when the server sent one. */
  contentLength: number | undefined;
  body: Readable & AsyncIterable<Uint8Array>;
}

export interface PutOptions {
  contentLength?: number;
  headers?: Readonly<Record<string, string>>;
  /** Who answers, as failures name it (default `the tracking server`): a presigned part URL is the artifact store's. */
  peer?: string;
}

export interface TrackingClient {
  /** The tracking server's base URL, without user-info (for building URIs, never with credentials). */
  readonly baseUrl: string;
  /** `path` is appended to the base URL (`/api/2.0/mlflow/runs/get`). */
  getJson<T = unknown>(path: string, query?: Query): Promise<T>;
  postJson<T = unknown>(path: string, body: unknown): Promise<T>;
  patchJson<T = unknown>(path: string, body: unknown): Promise<T>;
  deleteJson<T = unknown>(path: string, body?: unknown): Promise<T>;
  /** `url`: absolute (http(s)) or a path on the server. Non-2xx answers are thrown as `TrackingError`. */
  getStream(url: string, options?: { headers?: Readonly<Record<string, string>> }): Promise<StreamResponse>;
  /** Uploads `body` (a factory is called again for each retry); returns the answer's JSON, `{}` when empty. */
  putStream<T = unknown>(url: string, body: BodySource, options?: PutOptions): Promise<T>;
  /** The same without a content type of its own, answering with the headers (an upload part's ETag). */
  putForHeaders(url: string, body: BodySource, options?: PutOptions): Promise<Readonly<Record<string, string | string[] | undefined>>>;
  close(): Promise<void>;
}

export interface TrackingClientOptions {
  /** Which server: the tracking server (default) or the model registry (`MLFLOW_REGISTRY_URI`). */
  server?: 'tracking' | 'registry';
  /** For tests: how to wait (default: a timer), and the random source of the jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

interface Attempt {
  method: Method;
  url: URL;
  headers: Record<string, string>;
  body?: BodySource;
  /** Who answers, for messages: `the tracking server` unless told. */
  peer?: string;
}

export function createTrackingClient(config: TrackingConfig, options: TrackingClientOptions = {}): TrackingClient {
  const server = options.server ?? 'tracking';
  const variable = server === 'registry' && config.registryUri !== config.trackingUri ? ENV.MLFLOW_REGISTRY_URI : ENV.MLFLOW_TRACKING_URI;
  const base = parseServerUri(server === 'registry' ? config.registryUri : config.trackingUri, variable);
  const auth = base.auth ?? config.auth;
  const authHeader = authorizationHeader(auth);
  // Every credential configured is masked, also one that user-info in the URI overrode.
  const secrets = [...secretsOf(auth), ...(base.auth ? secretsOf(config.auth) : [])];
  const trustedOrigins = new Set([base.url.origin, ...otherOrigin(config)]);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const dispatcher = makeDispatcher(config);
  const baseUrl = base.url.href.replace(/\/+$/, '');

  const resolve = (target: string): URL => {
    if (/^https?:\/\//i.test(target)) return new URL(target);
    return new URL(baseUrl + (target.startsWith('/') ? target : `/${target}`));
  };

  const headersFor = (url: URL, extra: Readonly<Record<string, string>> = {}): Record<string, string> => {
    const headers: Record<string, string> = { 'user-agent': 'mlf', ...extra };
    if (authHeader && trustedOrigins.has(url.origin)) headers.authorization = authHeader;
    return headers;
  };

  /** One request with MLflow's retries; answers with a status outside 2xx are thrown. */
  const send = async (attempt: Attempt): Promise<Dispatcher.ResponseData> => {
    let failures = 0;
    for (;;) {
      let retryAfterMs: number | undefined;
      let failure: TrackingError;
      try {
        const response = await request(attempt.url, {
          method: attempt.method,
          headers: attempt.headers,
          body: openBody(attempt.body),
          dispatcher,
        });
        if (response.statusCode >= 200 && response.statusCode < 300) return response;
        failure = await answerError(attempt, response, secrets);
        if (!RETRYABLE_STATUSES.has(response.statusCode)) throw failure;
        if (config.respectRetryAfter && RETRY_AFTER_STATUSES.has(response.statusCode)) retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      } catch (error) {
        if (error instanceof TrackingError && !RETRYABLE_STATUSES.has(error.status ?? 0)) throw error;
        failure = error instanceof TrackingError ? error : transportError(attempt, error);
        if (failure.kind === 'tls') throw failure;
      }
      failures += 1;
      if (failures > config.maxRetries) throw afterRetries(failure, failures);
      await sleep(retryAfterMs ?? backoffMs(failures, config, random));
    }
  };

  const json = async <T>(method: Method, path: string, body: unknown, query?: Query): Promise<T> => {
    const url = resolve(path);
    if (query) appendQuery(url, query);
    const hasBody = body !== undefined && method !== 'GET';
    const headers = headersFor(url, hasBody ? { 'content-type': 'application/json' } : {});
    const response = await send({ method, url, headers, body: hasBody ? JSON.stringify(body) : undefined });
    return parseJsonAnswer<T>(await response.body.text(), method, url);
  };

  const put = (url: URL, body: BodySource, putOptions: PutOptions): Promise<Dispatcher.ResponseData> => {
    const extra: Record<string, string> = { ...putOptions.headers };
    if (putOptions.contentLength !== undefined) extra['content-length'] = String(putOptions.contentLength);
    return send({ method: 'PUT', url, headers: headersFor(url, extra), body, ...(putOptions.peer ? { peer: putOptions.peer } : {}) });
  };

  return {
    baseUrl,
    getJson: (path, query) => json('GET', path, undefined, query),
    postJson: (path, body) => json('POST', path, body),
    patchJson: (path, body) => json('PATCH', path, body),
    deleteJson: (path, body) => json('DELETE', path, body),
    async getStream(target, streamOptions = {}) {
      const url = resolve(target);
      const response = await send({ method: 'GET', url, headers: headersFor(url, streamOptions.headers) });
      const length = response.headers['content-length'];
      return {
        status: response.statusCode,
        headers: response.headers,
        contentLength: typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined,
        body: response.body,
      };
    },
    async putStream(target, body, putOptions = {}) {
      const url = resolve(target);
      const response = await put(url, body, { ...putOptions, headers: { 'content-type': 'application/octet-stream', ...putOptions.headers } });
      return parseJsonAnswer(await response.body.text(), 'PUT', url);
    },
    async putForHeaders(target, body, putOptions = {}) {
      const response = await put(resolve(target), body, putOptions);
      await response.body.dump();
      return response.headers;
    },
    close: () => dispatcher.close(),
  };
}

/** The URL as a message may show it: no user-info, no query (either may hold a secret). */
export function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function parseServerUri(uri: string | undefined, variable: string): { url: URL; auth?: TrackingAuth } {
  if (uri === undefined) {
    throw usageError('TRACKING_URI_MISSING', `no tracking server: set ${variable} to its http(s):// URL`);
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw usageError('TRACKING_URI_INVALID', `${variable} is not a URL mlf can talk to (expected http(s)://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(
      'TRACKING_URI_UNSUPPORTED',
      `${variable} has the scheme '${url.protocol.replace(/:$/, '')}': mlf talks only to an MLflow tracking server over http(s)://`,
    );
  }
  // requests takes user-info in the URL as basic auth, over any Authorization header.
  let auth: TrackingAuth | undefined;
  if (url.username !== '' || url.password !== '') {
    auth = { kind: 'basic', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
  }
  url.search = '';
  url.hash = '';
  return { url, auth };
}

function otherOrigin(config: TrackingConfig): string[] {
  const origins: string[] = [];
  for (const uri of [config.trackingUri, config.registryUri]) {
    try {
      if (uri) origins.push(new URL(uri).origin);
    } catch {
      // An unparsable URI is refused when a client is made for it.
    }
  }
  return origins;
}

function authorizationHeader(auth: TrackingAuth): string | undefined {
  if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`;
  return undefined;
}

function secretsOf(auth: TrackingAuth): string[] {
  const secrets = auth.kind === 'basic' ? [auth.password, auth.username, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')] : auth.kind === 'bearer' ? [auth.token] : [];
  return secrets.filter((secret) => secret.length >= 3);
}

function mask(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join('***');
  return masked;
}

function makeDispatcher(config: TrackingConfig): Dispatcher {
  const timeoutMs = config.timeoutSeconds * 1000;
  const connect: Record<string, unknown> = { timeout: timeoutMs, rejectUnauthorized: !config.insecureTls };
  if (config.caCertPath) connect.ca = readPem(config.caCertPath, ENV.MLFLOW_TRACKING_SERVER_CERT_PATH);
  if (config.clientCertPath) {
    const pem = readPem(config.clientCertPath, ENV.MLFLOW_TRACKING_CLIENT_CERT_PATH);
    connect.cert = pem;
    connect.key = pem;
  }
  return new Agent({ connect, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }).compose(interceptors.redirect({ maxRedirections: 10 }));
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw usageError('TRACKING_CONFIG_INVALID', `${variable} names a file mlf cannot read (${code}): ${file}`);
  }
}

function openBody(body: BodySource | undefined): Dispatcher.DispatchOptions['body'] {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
  return body() as Dispatcher.DispatchOptions['body'];
}

function appendQuery(url: URL, query: Query): void {
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
  }
}

function parseJsonAnswer<T>(text: string, method: Method, url: URL): T {
  if (text.trim() === '') return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new TrackingError('server', `${method} ${shownUrl(url)} answered with something that is not JSON`);
  }
}

/** The wait before retry `failures` (1-based), urllib3's `Retry.get_backoff_time`. */
export function backoffMs(failures: number, config: Pick<TrackingConfig, 'backoffFactor' | 'backoffJitter'>, random: () => number): number {
  if (failures <= 1) return 0;
  let seconds = config.backoffFactor * 2 ** (failures - 1);
  if (config.backoffJitter !== 0) seconds += random() * config.backoffJitter;
  return Math.max(0, Math.min(BACKOFF_MAX_SECONDS, seconds)) * 1000;
}

/** Seconds or an HTTP date, as urllib3's `parse_retry_after`; undefined when it is neither. */
function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function answerError(attempt: Attempt, response: Dispatcher.ResponseData, secrets: readonly string[]): Promise<TrackingError> {
  const status = response.statusCode;
  const text = mask(await response.body.text().catch(() => ''), secrets);
  let errorCode: string | undefined;
  let jsonMessage: string | undefined;
  let serverMessage = text.trim().slice(0, ERROR_TEXT_LIMIT);
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.error_code === 'string') errorCode = parsed.error_code;
    if (typeof parsed.message === 'string') {
      jsonMessage = parsed.message;
      serverMessage = parsed.message.slice(0, ERROR_TEXT_LIMIT);
    }
  } catch {
    // Not MLflow's JSON error (a proxy's page, the auth app's text): the text itself is kept.
  }
  const where = `${attempt.method} ${shownUrl(attempt.url)}`;
  const peer = attempt.peer ?? 'the tracking server';
  const said = serverMessage ? `: ${serverMessage.replace(/\s+/g, ' ')}` : '';
  if (status === 401 || status === 403) {
    const what = status === 401 ? 'not authenticated' : 'not allowed';
    return new TrackingError('auth', `${peer} answered ${status} (${what}) to ${where}${said}`, { status, errorCode, serverMessage: jsonMessage });
  }
  if (status === 404) return new TrackingError('not-found', serverMessage ? serverMessage : `${where}: not found (404)`, { status, errorCode, serverMessage: jsonMessage });
  if (status >= 400 && status < 500 && !RETRYABLE_STATUSES.has(status)) {
    return new TrackingError('bad-request', `${peer} refused ${where} (${status}${errorCode ? ` ${errorCode}` : ''})${said}`, { status, errorCode, serverMessage: jsonMessage });
  }
  return new TrackingError('server', `${peer} failed ${where} (${status}${errorCode ? ` ${errorCode}` : ''})${said}`, { status, errorCode, serverMessage: jsonMessage });
}

/** Node's TLS failures: the certificate codes and the `ERR_TLS_*`/`ERR_SSL_*` family. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO$)/;

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

function transportError(attempt: Attempt, error: unknown): TrackingError {
  const codes = errorCodes(error);
  const where = `${attempt.method} ${shownUrl(attempt.url)}`;
  const tlsCode = codes.find((code) => TLS_CODE.test(code));
  if (tlsCode) return new TrackingError('tls', `TLS failed for ${where} (${tlsCode})`, { cause: error });
  const code = codes[0] ?? (error instanceof Error ? error.name : 'error');
  return new TrackingError('unreachable', `could not reach ${attempt.peer ?? 'the tracking server'} for ${where} (${code})`, { cause: error });
}

function afterRetries(failure: TrackingError, failures: number): TrackingError {
  if (failures <= 1) return failure;
  return new TrackingError(failure.kind, `${failure.message} (after ${failures - 1} ${failures === 2 ? 'retry' : 'retries'})`, {
    status: failure.status,
    errorCode: failure.errorCode,
    cause: failure.cause,
  });
}
