/**
 * The Open Inference Protocol (KServe V2) routes of `mlf models serve`, as Seldon MLServer answers
 * them for an MLflow model (MLServer 1.7.1, `mlserver/rest/app.py`, `handlers/dataplane.py`).
 *
 * Health, readiness, server metadata and unknown model names are answered here; the model's
 * metadata and infer go to a worker as an `invoke` request with protocol `v2`
 * (src/worker/mlf_worker/http/v2.py), whose HTTP reply is passed on as it is.
 *
 *   GET  /v2                                        {"name": "mlf", "version", "extensions": []}
 *   GET  /v2/health/live                            200 {"live": true}
 *   GET  /v2/health/ready                           200 {"ready": true} or 400 {"ready": false}
 *   GET  /v2/models/{name}[/versions/{v}]           the model's metadata (worker)
 *   GET  /v2/models/{name}[/versions/{v}]/ready     200 / 400 {"name", "ready"}
 *   POST /v2/models/{name}[/versions/{v}]/infer     the inference (worker)
 *
 * The spec's readiness answer is the status alone; MLServer's is 200 or 400 with an empty body;
 * the newer OIP text has JSON bodies. These routes give MLServer's statuses with the JSON bodies.
 * A name other than the model's is 404 {"error": "Model X not found"}, a version other than the
 * model's 404 {"error": "Model X with version V not found"} (MLServer's ModelNotFound; a model
 * without a version has none that matches, as in MLServer).
 *
 * The model's name: `mlflow-model` unless MLSERVER_MODEL_NAME says otherwise, and its version
 * MLSERVER_MODEL_VERSION (none by default), as `mlflow models serve --enable-mlserver` sets them
 * for MLServer, so that clients written against that keep their URLs (v2ModelIdentity).
 */
import { ENV, type EnvRecord } from '../config/env-vars.js';
import { MLF_VERSION } from '../version.js';

/** What a worker answers an `invoke` request with (the `http` reply of protocol 4). */
export interface V2HttpReply {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/** One `invoke` request, as the pool (or the batcher in front of it) takes it. */
export interface V2InvokeItem {
  protocol: 'v2';
  /** The request's path: `/v2/models/{name}[/versions/{v}]/infer` or `/v2/models/{name}[/versions/{v}]`. */
  path: string;
  contentType: string | null;
  /** The body as received (the worker client sends bytes that are not UTF-8 as base64). */
  body: string | Buffer;
  modelName: string;
  /** The worker request's `model_version` (the V2 response's `model_version`). */
  modelVersion?: string;
}

/** What a route is handed: the request as the HTTP server read it. */
export interface V2RouteContext {
  method: string;
  /** The URL's path, without the query string, not yet percent-decoded. */
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string | Buffer;
}

export interface V2RouteResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface V2Route {
  method: 'GET' | 'POST';
  path: string | RegExp;
  handle(ctx: V2RouteContext): Promise<V2RouteResponse>;
}

export interface V2RoutesOptions {
  invoke(item: V2InvokeItem): Promise<V2HttpReply>;
  /** The name the model answers to (v2ModelIdentity). */
  modelName: string;
  modelVersion?: string;
  /** Whether the server can take inferences now (the pool has a ready worker). */
  ready(): boolean;
}

export const DEFAULT_V2_MODEL_NAME = 'mlflow-model';

/** The model's V2 name and version: MLSERVER_MODEL_NAME / MLSERVER_MODEL_VERSION, else `mlflow-model` and none. */
export function v2ModelIdentity(env: EnvRecord): { modelName: string; modelVersion?: string } {
  const name = env[ENV.MLSERVER_MODEL_NAME];
  const version = env[ENV.MLSERVER_MODEL_VERSION];
  return { modelName: name ? name : DEFAULT_V2_MODEL_NAME, ...(version ? { modelVersion: version } : {}) };
}

const JSON_TYPE = 'application/json';
// /v2/models/{name}[/versions/{v}] then nothing, /ready or /infer. A name has no slash.
const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/ready|\/infer)?\/?$/;

function json(status: number, value: unknown): V2RouteResponse {
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(value) };
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The model named by a path, or the 404 MLServer answers for another name or version. */
function notThisModel(ctx: V2RouteContext, options: V2RoutesOptions): V2RouteResponse | null {
  const match = MODEL_PATH.exec(ctx.path);
  if (!match) return json(404, { error: 'Not Found' });
  const name = decoded(match[1]!);
  const version = match[2] === undefined ? undefined : decoded(match[2]);
  if (name !== options.modelName) return json(404, { error: `Model ${name} not found` });
  if (version !== undefined && version !== options.modelVersion) return json(404, { error: `Model ${name} with version ${version} not found` });
  return null;
}

async function passOn(options: V2RoutesOptions, ctx: V2RouteContext, contentType: string | null, body: string | Buffer): Promise<V2RouteResponse> {
  const reply = await options.invoke({
    protocol: 'v2',
    path: ctx.path,
    contentType,
    body,
    modelName: options.modelName,
    ...(options.modelVersion !== undefined ? { modelVersion: options.modelVersion } : {}),
  });
  return { status: reply.status, headers: { ...reply.headers, 'content-type': reply.contentType }, body: reply.body };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

export function v2Routes(options: V2RoutesOptions): V2Route[] {
  const modelGet = /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/?$/;
  const modelReady = /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/ready\/?$/;
  const modelInfer = /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/infer\/?$/;
  return [
    { method: 'GET', path: '/v2', handle: async () => json(200, { name: 'mlf', version: MLF_VERSION, extensions: [] }) },
    { method: 'GET', path: '/v2/health/live', handle: async () => json(200, { live: true }) },
    {
      method: 'GET',
      path: '/v2/health/ready',
      handle: async () => {
        const ready = options.ready();
        return json(ready ? 200 : 400, { ready });
      },
    },
    {
      method: 'GET',
      path: modelReady,
      handle: async (ctx) => {
        const refused = notThisModel(ctx, options);
        if (refused) return refused;
        const ready = options.ready();
        return json(ready ? 200 : 400, { name: options.modelName, ready });
      },
    },
    {
      method: 'GET',
      path: modelGet,
      handle: async (ctx) => {
        const refused = notThisModel(ctx, options);
        if (refused) return refused;
        return passOn(options, ctx, null, '');
      },
    },
    {
      method: 'POST',
      path: modelInfer,
      handle: async (ctx) => {
        const refused = notThisModel(ctx, options);
        if (refused) return refused;
        return passOn(options, ctx, headerValue(ctx.headers['content-type']), ctx.body);
      },
    },
  ];
}
