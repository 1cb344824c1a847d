/**
 * Adaptive batching for `mlf models serve` (`--max-batch-size`, `--max-batch-delay-ms`; off by
 * default, like MLServer and BentoML).
 *
 * `createBatcher(invoke, options)` returns an `invoke` with the pool's signature. MLflow
 * `/invocations` requests with a JSON or CSV body that arrive within `maxDelayMs` of the first one
 * waiting are sent to one worker as one `invoke_batch` (worker protocol 4: each item parsed and
 * checked against the schema on its own, the good DataFrames predicted together, each reply
 * byte-identical to the one the request alone gets: src/worker/mlf_worker/http/batch.py). A batch is
 * sent as soon as it holds `maxBatchSize` requests, else when the delay runs out — or, when
 * `concurrency` dispatches (one per worker) are still out by then, as soon as one of them is
 * answered: under load a batch grows while the workers are busy; a batch of one is a plain `invoke`. Anything else (other paths, other content types, the V2 protocol) goes straight
 * to `invoke`.
 *
 * Each reply gets `batchSize`: how many requests went out together with it (1 alone), for the
 * access log and the metrics; `onBatch` also gets the rows the worker predicted in combined calls.
 *
 * Batch size counts requests, not rows (as MLServer's `max_batch_size` does): a request's row count
 * is not known without parsing its body, which is the worker's job. `sizeOf` can weigh requests
 * otherwise.
 *
 * The trade-off: a request waits up to `maxDelayMs` for company, and when a batch fails as a whole
 * (its worker dies or times out) every request in it fails.
 */

/**
 * What the batcher needs of a request: the fields of the pool's InvokeItem it reads (the worker
 * client's InvokeInput fits). The body is never read here: the pool's invokeBatch
 * sends it as invoke does (a body that is not UTF-8 travels as base64 and the worker answers that
 * item as a lone request).
 */
export interface InvokeItem {
  protocol: string;
  path: string;
  contentType: string | null;
  body: string | Uint8Array;
}

/** What `invoke_batch` gives back: one reply per item, in order, and the rows predicted together. */
export interface BatchResult<R> {
  replies: R[];
  batchedRows: number;
}

/** One dispatch, for the metrics (`mlf_batch_size` and friends). */
export interface BatchEvent {
  /** Requests sent together (1: a lone request, sent as a plain invoke). */
  requests: number;
  /** Rows the worker predicted in combined calls (0 for a lone request or a batch that fell back). */
  batchedRows: number;
}

export interface BatcherOptions<I extends InvokeItem, R> {
  /** Requests per batch at most; 1 or less (the default): batching off. */
  maxBatchSize?: number;
  /** How long the first request of a batch waits for others (0: those of the same event-loop turn). */
  maxDelayMs?: number;
  /**
   * Sends items to one worker as one `invoke_batch`; without it batching is off. It may resolve
   * with a single reply instead (the pool's own answer, e.g. its 503 or 504, as Pool.run does):
   * then every request of the batch gets that reply.
   */
  invokeBatch?: (items: I[]) => Promise<BatchResult<R> | R>;
  /**
   * How many dispatches may be out at once before a batch waits past `maxDelayMs` (the pool's
   * worker count; default: no limit). While every worker holds one, a new batch gathers until one
   * of them answers (or the batch is full) instead of queueing in the pool behind them: under load
   * batches grow to what the workers can take, and no request waits longer than it would have in
   * the pool's queue.
   */
  concurrency?: number;
  /** How much of `maxBatchSize` a request takes (default 1: the batch size counts requests). */
  sizeOf?: (item: I) => number;
  /** Called once per dispatch of a batchable request group. */
  onBatch?: (event: BatchEvent) => void;
  /**
   * The reply a caller gets, told how many requests went out with its own (default: an object
   * reply gets `batchSize: requests`, what the access log and `mlf_batch_size` show).
   */
  withBatchSize?: (reply: R, requests: number) => R;
}

function setBatchSize<R>(reply: R, requests: number): R {
  return reply !== null && typeof reply === 'object' ? { ...reply, batchSize: requests } : reply;
}

function isBatchResult<R>(value: BatchResult<R> | R): value is BatchResult<R> {
  return value !== null && typeof value === 'object' && Array.isArray((value as BatchResult<R>).replies);
}

export type Invoke<I, R> = (item: I) => Promise<R>;

/** The batcher's invoke: `flush()`, when batching is on, sends what is waiting now (e.g. on shutdown). */
export type BatchingInvoke<I, R> = Invoke<I, R> & { flush?: () => void };

export const BATCHABLE_CONTENT_TYPES: readonly string[] = ['application/json', 'text/csv'];

/** Whether a request may join a batch: MLflow's /invocations with a JSON or CSV body. */
export function isBatchable(item: InvokeItem): boolean {
  if (item.protocol !== 'mlflow' || item.path !== '/invocations' || item.contentType === null) return false;
  // MLflow compares the media type before the first `;` exactly, after trimming.
  const mime = item.contentType.split(';')[0]!.trim();
  return BATCHABLE_CONTENT_TYPES.includes(mime);
}

/** `fn()`'s promise, with a synchronous throw as its rejection (flush may run from a timer). */
function settle<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

interface Waiting<I, R> {
  item: I;
  resolve: (reply: R) => void;
  reject: (error: unknown) => void;
}

export function createBatcher<I extends InvokeItem, R>(
  invoke: Invoke<I, R>,
  options: BatcherOptions<I, R>,
): BatchingInvoke<I, R> {
  const maxBatchSize = options.maxBatchSize ?? 1;
  const invokeBatch = options.invokeBatch;
  if (!(maxBatchSize > 1) || invokeBatch === undefined) return invoke;
  const maxDelayMs = Math.max(0, options.maxDelayMs ?? 0);
  const sizeOf = options.sizeOf ?? (() => 1);
  const onBatch = options.onBatch;
  const withBatchSize = options.withBatchSize ?? setBatchSize;
  const concurrency = options.concurrency ?? Infinity;

  let waiting: Waiting<I, R>[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Dispatches not answered yet. */
  let out = 0;
  /** The delay of the batch waiting ran out while `concurrency` dispatches were out. */
  let overdue = false;

  function dispatched(): () => void {
    out += 1;
    return () => {
      out -= 1;
      if (overdue && waiting.length > 0) flush();
    };
  }

  function delayOver(): void {
    timer = undefined;
    if (out >= concurrency) overdue = true;
    else flush();
  }

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    overdue = false;
    const batch = waiting;
    waiting = [];
    size = 0;
    if (batch.length === 0) return;
    const answered = dispatched();
    if (batch.length === 1) {
      const only = batch[0]!;
      onBatch?.({ requests: 1, batchedRows: 0 });
      settle(() => invoke(only.item))
        .finally(answered)
        .then((reply) => only.resolve(withBatchSize(reply, 1)), only.reject);
      return;
    }
    settle(() => invokeBatch!(batch.map((w) => w.item)))
      .finally(answered)
      .then(
        (result) => {
          if (!isBatchResult(result)) {
            onBatch?.({ requests: batch.length, batchedRows: 0 });
            for (const w of batch) w.resolve(withBatchSize(result, batch.length));
            return;
          }
          if (result.replies.length !== batch.length) {
            const error = new Error(`invoke_batch answered ${result.replies.length} replies for ${batch.length} requests`);
            for (const w of batch) w.reject(error);
            return;
          }
          onBatch?.({ requests: batch.length, batchedRows: result.batchedRows });
          batch.forEach((w, i) => w.resolve(withBatchSize(result.replies[i]!, batch.length)));
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      );
  }

  const batching = ((item: I): Promise<R> => {
    if (!isBatchable(item)) return invoke(item);
    return new Promise<R>((resolve, reject) => {
      const weight = Math.max(1, sizeOf(item));
      // A request that would overflow the batch waiting sends that one first.
      if (waiting.length > 0 && size + weight > maxBatchSize) flush();
      waiting.push({ item, resolve, reject });
      size += weight;
      if (size >= maxBatchSize) flush();
      else if (timer === undefined && !overdue) timer = setTimeout(delayOver, maxDelayMs);
    });
  }) as BatchingInvoke<I, R> & { flush: () => void };
  batching.flush = flush;
  return batching;
}
