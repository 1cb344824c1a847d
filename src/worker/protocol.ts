/**
 * The worker protocol (src/worker/mlf_worker/protocol.py), as zod schemas: every line the worker
 * writes is validated against `WorkerMessage` before anything reads it (style.md, practice 8).
 *
 * Framing: newline-delimited JSON on the worker's stdin/stdout, one object per line. The worker
 * writes `hello` at once, then `ready` (or an error) when the model is loaded; after that each
 * request line gets exactly one reply line carrying the request's `id`. At any time it may write
 * a `log` message (no id), which answers nothing.
 *
 * Protocol 4 adds `invoke` (`mlf models serve`): one HTTP request in, one `http` reply out with the
 * status, content type and body to send. Whatever the HTTP request holds (bad JSON, a schema
 * mismatch, the model's own exception), the answer is an `http` reply; an error reply means mlf
 * itself sent something the worker does not understand.
 *
 * `batch_inspect` and `batch_part` (`mlf models batch-predict`, mlf_worker/batch/requests.py) were
 * added to protocol 4 without a bump: no existing message changed, and the worker ships with mlf.
 */
import { z } from 'zod';
import { CONTENT_TYPES, RUNTIME_CHOICES, type ContentType, type RuntimeChoice } from './choices.js';

export { CONTENT_TYPES, RUNTIME_CHOICES, type ContentType, type RuntimeChoice };

/** Bumped whenever a message changes shape; the client refuses any other version. */
export const PROTOCOL_VERSION = 4;

// ---- requests (client -> worker) ------------------------------------------------------------

const PredictFromFile = z.object({
  id: z.number().int(),
  type: z.literal('predict'),
  content_type: z.enum(CONTENT_TYPES),
  /** The worker opens this file itself, so a large input never passes through Node. */
  input_path: z.string().min(1),
  /** Written by the worker itself; without it the reply carries the output text. */
  output_path: z.string().min(1).optional(),
  /** NaN and infinities as null (valid JSON) instead of MLflow's bare NaN. */
  strict_json: z.boolean().optional(),
});

const PredictInline = z.object({
  id: z.number().int(),
  type: z.literal('predict'),
  content_type: z.enum(CONTENT_TYPES),
  /** The input text itself (stdin input). */
  data: z.string(),
  output_path: z.string().min(1).optional(),
  strict_json: z.boolean().optional(),
});

export const PredictRequest = z.union([PredictFromFile, PredictInline]);
export type PredictRequest = z.infer<typeof PredictRequest>;

export const PingRequest = z.object({ id: z.number().int(), type: z.literal('ping') });
export const ShutdownRequest = z.object({ id: z.number().int(), type: z.literal('shutdown') });

/** The HTTP protocols a worker answers `invoke` requests of. */
export const INVOKE_PROTOCOLS = ['mlflow', 'v2'] as const;
export type InvokeProtocol = (typeof INVOKE_PROTOCOLS)[number];

export const InvokeRequest = z.object({
  id: z.number().int(),
  type: z.literal('invoke'),
  protocol: z.enum(INVOKE_PROTOCOLS),
  /** The request path, e.g. `/invocations` (the worker answers by protocol, the path is for v2's routes). */
  path: z.string(),
  /** The request's Content-Type header as sent; null when it had none. */
  content_type: z.string().nullable(),
  /** The body as text (it was valid UTF-8)... */
  body: z.string().optional(),
  /** ...or, when it was not, its bytes in base64 (the worker answers as MLflow does to such bytes). */
  body_base64: z.string().optional(),
  /** The model name of a V2 path. */
  model_name: z.string().optional(),
  /** The model version a V2 response names (MLSERVER_MODEL_VERSION); none by default. */
  model_version: z.string().optional(),
});
export type InvokeRequest = z.infer<typeof InvokeRequest>;

/** Adaptive batching (mlf_worker/http/batch.py): MLflow /invocations requests answered together. */
export const InvokeBatchRequest = z.object({
  id: z.number().int(),
  type: z.literal('invoke_batch'),
  items: z.array(InvokeRequest.omit({ id: true, type: true })),
});
export type InvokeBatchRequest = z.infer<typeof InvokeBatchRequest>;

/** The formats batch-predict's worker reads and writes (mlf_worker/batch/parts.py). */
export const BATCH_FORMATS = ['parquet', 'csv', 'json'] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];

/** Part of an input file: Parquet row groups, or the lines in a byte range of a CSV / JSON-lines file. */
export const BatchSlice = z.union([
  z.object({ path: z.string().min(1), row_groups: z.array(z.number().int().nonnegative()) }).strict(),
  z.object({ path: z.string().min(1), start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }).strict(),
]);
export type BatchSlice = z.infer<typeof BatchSlice>;

/** `mlf models batch-predict`: what the input files hold (columns; a Parquet file's row groups). */
export const BatchInspectRequest = z.object({
  id: z.number().int(),
  type: z.literal('batch_inspect'),
  format: z.enum(BATCH_FORMATS),
  paths: z.array(z.string().min(1)),
});

/** One output part, written by the worker itself from these slices, in order. */
export const BatchPartRequest = z.object({
  id: z.number().int(),
  type: z.literal('batch_part'),
  format: z.enum(BATCH_FORMATS),
  slices: z.array(BatchSlice),
  output_path: z.string().min(1),
  /** The input columns the model gets (null: all of them). */
  columns: z.array(z.string()).nullable(),
  result_column: z.string().min(1),
  /** Rows read, scored and written at a time (the worker's memory bound). */
  batch_rows: z.number().int().positive().optional(),
});

export type BatchPartRequest = z.infer<typeof BatchPartRequest>;

export const WorkerRequest = z.union([PredictRequest, PingRequest, ShutdownRequest, InvokeRequest, InvokeBatchRequest, BatchInspectRequest, BatchPartRequest]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;

// ---- messages (worker -> client) ------------------------------------------------------------

export const HelloMessage = z.object({
  ok: z.literal(true),
  type: z.literal('hello'),
  protocol: z.number().int(),
  worker_version: z.string(),
  /** X.Y.Z of the interpreter running the worker. */
  python: z.string(),
  executable: z.string(),
  pid: z.number().int(),
});
export type HelloMessage = z.infer<typeof HelloMessage>;

/** Which loader the worker used: a fast path that skips mlflow, or mlflow.pyfunc. */
export const LoadedRuntime = z.enum(['sklearn', 'xgboost', 'lightgbm', 'catboost', 'statsmodels', 'onnx', 'keras', 'pytorch', 'tensorflow', 'code-model', 'mlflow']);
export type LoadedRuntime = z.infer<typeof LoadedRuntime>;

export const ReadyMessage = z.object({
  ok: z.literal(true),
  type: z.literal('ready'),
  runtime: LoadedRuntime,
  load_ms: z.number().nonnegative(),
  /** Why `--runtime auto` used mlflow (absent when a fast path was taken). */
  fallback_reason: z.string().optional(),
});
export type ReadyMessage = z.infer<typeof ReadyMessage>;

export const PredictTimings = z.object({
  parse_ms: z.number().nonnegative(),
  predict_ms: z.number().nonnegative(),
  encode_ms: z.number().nonnegative(),
});
export type PredictTimings = z.infer<typeof PredictTimings>;

export const PredictionReply = z.object({
  ok: z.literal(true),
  id: z.number().int(),
  type: z.literal('prediction'),
  timings: PredictTimings,
  /** The exact bytes `mlflow models predict` would write (may contain bare NaN: not JSON). */
  output: z.string().optional(),
  output_path: z.string().optional(),
  bytes: z.number().int().nonnegative().optional(),
  /** The worker's peak resident memory so far, in KiB (absent where the platform cannot tell). */
  max_rss_kb: z.number().int().nonnegative().optional(),
});
export type PredictionReply = z.infer<typeof PredictionReply>;

export const HttpReply = z.object({
  ok: z.literal(true),
  id: z.number().int(),
  type: z.literal('http'),
  status: z.number().int().min(100).max(599),
  content_type: z.string(),
  /** The response body (MLflow's JSON may hold bare NaN: sent as is). */
  body: z.string(),
  /** Milliseconds per phase (parse_ms, predict_ms, encode_ms, or invoke_ms when MLflow's own code answered). */
  timings: z.record(z.string(), z.number().nonnegative()),
});
export type HttpReply = z.infer<typeof HttpReply>;

/** One reply per item of an `invoke_batch`, in order, each byte-equal to what the item alone gets. */
export const HttpBatchReply = z.object({
  ok: z.literal(true),
  id: z.number().int(),
  type: z.literal('http_batch'),
  replies: z.array(z.object({ status: z.number().int().min(100).max(599), content_type: z.string(), body: z.string() })),
  /** Rows predicted in combined calls (0 when every item was answered alone). */
  batched_rows: z.number().int().nonnegative(),
});
export type HttpBatchReply = z.infer<typeof HttpBatchReply>;

export const BatchInspectReply = z.object({
  ok: z.literal(true),
  id: z.number().int(),
  type: z.literal('batch_inspect'),
  files: z.array(
    z.object({
      path: z.string(),
      /** Parquet and CSV: the file's columns. */
      columns: z.array(z.string()).optional(),
      /** Parquet: each row group's row count. */
      row_groups: z.array(z.number().int().nonnegative()).optional(),
    }),
  ),
});
export type BatchInspectReply = z.infer<typeof BatchInspectReply>;

export const BatchPartReply = z.object({
  ok: z.literal(true),
  id: z.number().int(),
  type: z.literal('batch_part'),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  timings: z.record(z.string(), z.number().nonnegative()),
  max_rss_kb: z.number().int().nonnegative().optional(),
});
export type BatchPartReply = z.infer<typeof BatchPartReply>;

export const PongReply = z.object({ ok: z.literal(true), id: z.number().int(), type: z.literal('pong') });
export const ByeReply = z.object({ ok: z.literal(true), id: z.number().int(), type: z.literal('bye') });

/**
 * What went wrong, as the worker classifies it:
 * - `missing_module`: ModuleNotFoundError/ImportError at load or predict (`module` names it);
 * - `bad_input`: the input is malformed (bad JSON, not UTF-8, two input keys, a CSV that does not parse);
 * - `schema`: the input does not satisfy the model's signature (a missing column, an unsafe type);
 * - `bad_model_file`: a file of the model directory is damaged (MLmodel not UTF-8 or not YAML, a
 *   signature that is not valid JSON, a model code file that is not Python, a missing model file);
 * - `model_error` / `load_error`: the model's own code (or MLflow's loader) raised;
 * - `bad_request`: the client sent something the worker does not understand (a bug in mlf);
 * - `internal`: anything else inside the worker.
 */
export const ErrorKind = z.enum(['missing_module', 'bad_input', 'schema', 'bad_model_file', 'model_error', 'load_error', 'bad_request', 'internal']);
export type ErrorKind = z.infer<typeof ErrorKind>;

export const ErrorReply = z.object({
  ok: z.literal(false),
  /** Absent for errors during start-up (before any request). */
  id: z.number().int().nullable().optional(),
  kind: ErrorKind,
  /** One line of at most ~300 characters (the worker cuts longer text, with a marker). */
  message: z.string(),
  /** The full text when `message` was cut or flattened (shown under --verbose only). */
  detail: z.string().optional(),
  /** The Python traceback (shown under --verbose only). */
  traceback: z.string().optional(),
  /** The file at fault, as the worker opened it: the input, the output, or a file of the model. */
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  /** A dotted field of MLmodel, e.g. `signature.inputs`. */
  field: z.string().optional(),
  /** What to do about it, when the worker knows. */
  hint: z.string().optional(),
  module: z.string().nullable().optional(),
  /** Input that failed to parse as JSON but looks like CSV (the content type was forgotten). */
  input_looks_like: z.literal('csv').optional(),
});
export type ErrorReply = z.infer<typeof ErrorReply>;

/** A warning (MLflow would print it too: extra columns dropped, params ignored) or a note of the worker's own. */
export const LogMessage = z.object({
  ok: z.literal(true),
  type: z.literal('log'),
  level: z.enum(['warning', 'info']),
  message: z.string(),
});
export type LogMessage = z.infer<typeof LogMessage>;
export type WorkerLog = Pick<LogMessage, 'level' | 'message'>;

/** Anything the worker may write on its protocol channel. */
export const WorkerMessage = z.union([HelloMessage, ReadyMessage, PredictionReply, HttpReply, HttpBatchReply, BatchInspectReply, BatchPartReply, PongReply, ByeReply, ErrorReply, LogMessage]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;

const MESSAGE_BY_TYPE: Record<string, z.ZodType> = {
  hello: HelloMessage,
  ready: ReadyMessage,
  prediction: PredictionReply,
  http: HttpReply,
  http_batch: HttpBatchReply,
  batch_inspect: BatchInspectReply,
  batch_part: BatchPartReply,
  pong: PongReply,
  bye: ByeReply,
  log: LogMessage,
};

/** Parses one protocol line; `undefined` plus the reason when it is not a valid message. */
export function parseWorkerLine(line: string): { message: WorkerMessage } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` };
  }
  // Pick the schema by the tags first, so that a problem is reported against the right shape.
  const tagged = (value ?? {}) as { ok?: unknown; type?: unknown };
  const schema =
    typeof value !== 'object' || value === null || Array.isArray(value)
      ? WorkerMessage
      : tagged.ok === false
        ? ErrorReply
        : (MESSAGE_BY_TYPE[String(tagged.type)] ?? WorkerMessage);
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { problem: `unexpected message shape${issue ? ` (${issue.path.join('.') || 'message'}: ${issue.message})` : ''}` };
  }
  return { message: result.data as WorkerMessage };
}
