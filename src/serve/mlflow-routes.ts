/**
 * MLflow's scoring protocol (serving-facts.md §1.2): GET /ping and /health, GET /version, POST
 * /invocations. What /invocations answers is the worker's (mlf_worker/http/mlflow.py); this
 * module only sets the headers as MLflow's FastAPI app (Starlette) writes them.
 *
 * One difference on purpose: /ping and /health answer 503 while no worker is up (MLflow's answer
 * 200 once its single process has loaded the model; mlf's pool may be replacing its workers).
 */
import type { HttpResult, InvokeItem } from './pool.js';
import type { Route, RouteResponse } from './http-server.js';

export interface MlflowRoutesOptions {
  /** The pool's invoke, or the batcher's around it. */
  invoke: (item: InvokeItem) => Promise<HttpResult>;
  ready: () => boolean;
  /** What GET /version answers (the bare version string). */
  version: string;
}

/** The Content-Type header Starlette writes for a `media_type`: text types get `; charset=utf-8`. */
export function starletteContentType(mediaType: string): string {
  return mediaType.startsWith('text/') && !/;\s*charset=/i.test(mediaType) ? `${mediaType}; charset=utf-8` : mediaType;
}

export function httpResultResponse(result: HttpResult): RouteResponse {
  return {
    status: result.status,
    headers: { 'Content-Type': starletteContentType(result.contentType), ...(result.headers ?? {}) },
    body: result.body,
    ...(result.batchSize !== undefined ? { batchSize: result.batchSize } : {}),
  };
}

export function mlflowRoutes(options: MlflowRoutesOptions): Route[] {
  const ping = async (): Promise<RouteResponse> =>
    options.ready()
      ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: '\n' }
      : { status: 503, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'No model worker is up' }) };
  return [
    { method: 'GET', path: '/ping', handle: ping },
    { method: 'GET', path: '/health', handle: ping },
    { method: 'GET', path: '/version', handle: async () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: options.version }) },
    {
      method: 'POST',
      path: '/invocations',
      async handle(ctx) {
        const header = ctx.headers['content-type'];
        const result = await options.invoke({ protocol: 'mlflow', path: ctx.path, contentType: header === undefined ? null : header, body: ctx.body });
        return httpResultResponse({ batchSize: 1, ...result });
      },
    },
  ];
}
