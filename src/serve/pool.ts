/**
 * The worker pool of `mlf models serve`: N workers (each a model loaded once in its own process),
 * requests dispatched to an idle one, a bounded queue in front, a timeout per request, and
 * replacement of a worker that dies or is killed.
 *
 * What the pool answers itself, always as an HTTP response (never a thrown error):
 * - the queue is full (or the pool is closing): 503 with `Retry-After`, JSON body;
 * - a request over `timeoutMs` once a worker has it: 504, JSON body (MLflow's 504 body is the bare
 *   text "Request processing time exceeded limit"; mlf's is JSON, a deliberate difference); its
 *   worker is killed and replaced, the other workers' requests go on;
 * - a request waiting in the queue longer than `timeoutMs` (no worker came free): 504 too, no kill;
 * - the worker holding a request dies (OOM, segfault, `os._exit`): that request alone gets 500;
 *   the worker is replaced at once, and with backoff only when its replacements keep failing or
 *   dying young (a crash loop must not spin).
 *
 * `ready` is true while at least one worker is up. Every response is the worker's otherwise.
 */
import type { InvokeInput } from '../worker/worker-client.js';

/** One HTTP request for a worker: what WorkerClient.invoke takes. */
export type InvokeItem = InvokeInput;

/** What the HTTP server sends back. */
export interface HttpResult {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** Rows predicted together with this request's (the batcher sets it; 1 without batching). */
  batchSize?: number;
}

/** What the pool needs of a worker process (worker-client.ts's WorkerClient has it). */
export interface PoolWorker {
  readonly pid: number;
  invoke(item: InvokeItem): Promise<{ status: number; content_type: string; body: string }>;
  /** Items answered together (adaptive batching): one reply per item, in order. */
  invokeBatch(items: InvokeItem[]): Promise<{ replies: { status: number; content_type: string; body: string }[]; batched_rows: number }>;
  /** Kills the process at once; requests pending on it fail. */
  kill(): void;
  /** Asks the worker to exit (and kills it after a while). */
  close(): Promise<void>;
  /** Settles once the process has exited. */
  readonly exit: Promise<void>;
}

export type PoolEvent =
  /** `startMs`: for a replacement, how long its start took (a start is most of a replacement's time). */
  | { type: 'worker-started'; slot: number; pid: number; restart: boolean; startMs?: number }
  | { type: 'worker-exited'; slot: number; pid: number; expected: boolean; inFlight: boolean }
  | { type: 'worker-start-failed'; slot: number; error: Error; retryInMs: number }
  | { type: 'timeout'; slot: number; pid: number }
  | { type: 'queue-full' };

export interface PoolOptions {
  /** How many workers (default 1, like MLflow). */
  workers: number;
  /** Requests waiting for a worker at most (beyond: 503). */
  maxQueue: number;
  /** Milliseconds a request may take once a worker holds it (and may wait in the queue). */
  timeoutMs: number;
  /** Starts one worker, resolving once its model is loaded. */
  startWorker: (slot: number) => Promise<PoolWorker>;
  /**
   * Backoff between restarts of a slot: the first restart is immediate; while starts fail or the
   * replacements die young, the wait goes `initialMs`, then doubles up to `maxMs`.
   */
  backoff?: { initialMs: number; maxMs: number };
  /** Seconds a client is told to wait in `Retry-After` (default 1). */
  retryAfterSeconds?: number;
  onEvent?: (event: PoolEvent) => void;
}

interface Job<T> {
  run: (worker: PoolWorker) => Promise<T>;
  resolve: (value: T | HttpResult) => void;
  queueTimer?: NodeJS.Timeout;
}

interface Slot {
  index: number;
  worker?: PoolWorker;
  busy: boolean;
  /** When the current worker started (a worker that dies young makes the next start wait longer). */
  startedAt: number;
  /** How long the next restart waits: 0 until a restart fails or its worker dies young. */
  nextBackoffMs: number;
  /** The current worker was killed or closed on purpose. */
  expectedExit: boolean;
  restartTimer?: NodeJS.Timeout;
}

/** A worker that lived this long resets the backoff of its slot. */
const HEALTHY_LIFETIME_MS = 10_000;

export function jsonError(status: number, errorCode: string, message: string, headers?: Record<string, string>): HttpResult {
  return { status, contentType: 'application/json', body: JSON.stringify({ error_code: errorCode, message }), ...(headers ? { headers } : {}) };
}

export class Pool {
  private readonly options: PoolOptions;
  private readonly slots: Slot[];
  private readonly queue: Job<unknown>[] = [];
  private closing = false;
  private inFlight = 0;
  private drained?: () => void;
  /** How many times a worker was replaced (after a death or a timeout). */
  restarts = 0;

  private constructor(options: PoolOptions) {
    this.options = options;
    this.slots = Array.from({ length: options.workers }, (_, index) => ({ index, busy: false, startedAt: 0, nextBackoffMs: 0, expectedExit: false }));
  }

  /** Starts every worker; resolves once all are loaded, or throws the first start failure (stopping the others). */
  static async start(options: PoolOptions): Promise<Pool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError('a pool needs at least one worker');
    const pool = new Pool(options);
    const started = await Promise.allSettled(pool.slots.map((slot) => options.startWorker(slot.index)));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.close().catch(() => undefined) : undefined)));
      throw failed.reason;
    }
    started.forEach((result, index) => pool.attach(pool.slots[index]!, (result as PromiseFulfilledResult<PoolWorker>).value, false));
    return pool;
  }

  /** True while at least one worker is up (and the pool is not closing). */
  get ready(): boolean {
    return !this.closing && this.slots.some((slot) => slot.worker !== undefined);
  }

  get liveWorkers(): number {
    return this.slots.filter((slot) => slot.worker !== undefined).length;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get busyWorkers(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  /** The worker pids, in slot order (a slot being restarted has none). */
  get pids(): (number | undefined)[] {
    return this.slots.map((slot) => slot.worker?.pid);
  }

  /** One HTTP request answered by a worker, or by the pool itself (503, 504, 500: see above). */
  invoke(item: InvokeItem): Promise<HttpResult> {
    return this.run(async (worker) => {
      const reply = await worker.invoke(item);
      return { status: reply.status, contentType: reply.content_type, body: reply.body };
    });
  }

  /**
   * MLflow /invocations requests answered by one worker together (serve/batcher.ts sends them):
   * one result per item, or the pool's own answer (503, 504, 500) for all of them.
   */
  invokeBatch(items: InvokeItem[]): Promise<{ replies: HttpResult[]; batchedRows: number } | HttpResult> {
    return this.run(async (worker) => {
      const reply = await worker.invokeBatch(items);
      return { replies: reply.replies.map((r) => ({ status: r.status, contentType: r.content_type, body: r.body })), batchedRows: reply.batched_rows };
    });
  }

  /**
   * Runs `run` on an idle worker (the batcher sends its batches this way). Resolves with its
   * result, or with the pool's own HTTP answer when the request could not be run or its worker
   * failed (then `run`'s result type is not what comes back: check for an HttpResult).
   */
  run<T>(run: (worker: PoolWorker) => Promise<T>): Promise<T | HttpResult> {
    return new Promise((resolve) => {
      const retryAfter = { 'Retry-After': String(this.options.retryAfterSeconds ?? 1) };
      if (this.closing) {
        resolve(jsonError(503, 'TEMPORARILY_UNAVAILABLE', 'The server is shutting down', retryAfter));
        return;
      }
      const job: Job<T> = { run, resolve };
      const idle = this.slots.find((slot) => slot.worker !== undefined && !slot.busy);
      if (idle && this.queue.length === 0) {
        this.dispatch(idle, job as Job<unknown>);
        return;
      }
      if (this.queue.length >= this.options.maxQueue) {
        this.options.onEvent?.({ type: 'queue-full' });
        resolve(jsonError(503, 'TEMPORARILY_UNAVAILABLE', `The server is at capacity: ${this.queue.length} requests are waiting for a worker; retry later`, retryAfter));
        return;
      }
      job.queueTimer = setTimeout(() => {
        const at = this.queue.indexOf(job as Job<unknown>);
        if (at >= 0) this.queue.splice(at, 1);
        this.settleIfDrained();
        resolve(jsonError(504, 'DEADLINE_EXCEEDED', `No worker became free within the request timeout (${this.timeoutText()})`));
      }, this.options.timeoutMs);
      this.queue.push(job as Job<unknown>);
    });
  }

  /**
   * Stops taking requests (503), lets queued and in-flight ones finish for up to `graceMs`, then
   * stops every worker (killing those still busy).
   */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.queueTimer);
      job.resolve(jsonError(503, 'TEMPORARILY_UNAVAILABLE', 'The server is shutting down'));
    }
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (!worker) return;
        slot.expectedExit = true;
        if (slot.busy) worker.kill();
        await worker.close().catch(() => undefined);
        await worker.exit;
      }),
    );
  }

  private timeoutText(): string {
    return `${Number((this.options.timeoutMs / 1000).toFixed(3))} s`;
  }

  private attach(slot: Slot, worker: PoolWorker, restart: boolean, startMs?: number): void {
    slot.worker = worker;
    slot.busy = false;
    slot.expectedExit = false;
    slot.startedAt = Date.now();
    this.options.onEvent?.({ type: 'worker-started', slot: slot.index, pid: worker.pid, restart, ...(startMs !== undefined ? { startMs } : {}) });
    void worker.exit.then(() => this.onWorkerExit(slot, worker));
    this.pump();
  }

  private onWorkerExit(slot: Slot, worker: PoolWorker): void {
    if (slot.worker !== worker) return;
    const expected = slot.expectedExit;
    this.options.onEvent?.({ type: 'worker-exited', slot: slot.index, pid: worker.pid, expected, inFlight: slot.busy });
    slot.worker = undefined;
    // The request it held (if any) is answered by dispatch()'s rejection handler.
    if (this.closing) return;
    // A worker that served a while (or was stopped on purpose) is replaced at once; one that died
    // young after a restart waits its slot's backoff (a model that crashes on load or on every
    // request must not make the pool spin).
    if (Date.now() - slot.startedAt >= HEALTHY_LIFETIME_MS || expected) slot.nextBackoffMs = 0;
    this.scheduleRestart(slot, expected ? 0 : this.takeBackoff(slot));
  }

  /** The wait before this restart of the slot; the next one (unless reset) waits longer. */
  private takeBackoff(slot: Slot): number {
    const delay = slot.nextBackoffMs;
    const initial = this.options.backoff?.initialMs ?? 200;
    const max = this.options.backoff?.maxMs ?? 5_000;
    slot.nextBackoffMs = delay === 0 ? initial : Math.min(max, delay * 2);
    return delay;
  }

  private scheduleRestart(slot: Slot, delayMs: number): void {
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.closing) return;
      const began = Date.now();
      this.options.startWorker(slot.index).then(
        (worker) => {
          if (this.closing) {
            void worker.close();
            return;
          }
          this.restarts += 1;
          this.attach(slot, worker, true, Date.now() - began);
        },
        (error: Error) => {
          const retryInMs = this.takeBackoff(slot);
          this.options.onEvent?.({ type: 'worker-start-failed', slot: slot.index, error, retryInMs });
          this.scheduleRestart(slot, retryInMs);
        },
      );
    }, delayMs);
  }

  private dispatch(slot: Slot, job: Job<unknown>): void {
    const worker = slot.worker!;
    slot.busy = true;
    this.inFlight += 1;
    let settled = false;
    const finish = (result: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.inFlight -= 1;
      if (slot.worker === worker) slot.busy = false;
      job.resolve(result);
      this.pump();
      this.settleIfDrained();
    };
    const timer = setTimeout(() => {
      this.options.onEvent?.({ type: 'timeout', slot: slot.index, pid: worker.pid });
      slot.expectedExit = true;
      // Answer first, so that the rejection the kill causes finds the request settled.
      finish(jsonError(504, 'DEADLINE_EXCEEDED', `Request processing time exceeded limit (${this.timeoutText()}); the worker that held it was stopped and is being replaced`));
      slot.busy = false;
      if (slot.worker === worker) slot.worker = undefined;
      worker.kill();
      // onWorkerExit would ignore this worker now (no longer the slot's): restart from here.
      void worker.exit.then(() => {
        this.options.onEvent?.({ type: 'worker-exited', slot: slot.index, pid: worker.pid, expected: true, inFlight: false });
        if (!this.closing) this.scheduleRestart(slot, 0);
      });
    }, this.options.timeoutMs);
    job.run(worker).then(finish, (error: Error) => {
      const how = (error?.message ?? 'failed').replace(/^the model worker /, '');
      const said = how.endsWith(' before answering') ? `${how} this request` : `${how} while answering this request`;
      finish(jsonError(500, 'INTERNAL_ERROR', `The model worker (pid ${worker.pid}) ${said}; it is being replaced`));
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const idle = this.slots.find((slot) => slot.worker !== undefined && !slot.busy);
      if (!idle) return;
      const job = this.queue.shift()!;
      clearTimeout(job.queueTimer);
      this.dispatch(idle, job);
    }
  }

  private settleIfDrained(): void {
    if (this.drained && this.inFlight === 0 && this.queue.length === 0) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }
}
