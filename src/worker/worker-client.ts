/**
 * Starts src/worker/worker.py with an environment's interpreter and speaks its protocol
 * (protocol.ts): hello and version check, model load, then predict requests. Every line the
 * worker writes is validated; every failure is thrown as a `WorkerFailureError` (failure.ts): an
 * `MlfError` of the right category that holds the failure as data.
 *
 * The worker's own warnings and notes arrive as protocol `log` messages and go to `onLog`;
 * its stderr (MLflow's logging, the model's own prints) goes to `onStderr` line by line, and its last
 * lines are kept for the message when the worker dies unexpectedly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { definedVariables } from '../config/env-vars.js';
import { MlfError, type MlfErrorOptions } from '../errors.js';
import type { EarlyStartOutcome, WorkerLaunch } from './early-worker.js';
import { killOnExit } from './exit-hook.js';
import { failureOfReply, interpreterMissingError, oneLine, replyFailureError, WorkerErrorDetails, WorkerFailureError, type WorkerFailureKind, type WorkerStage } from './failure.js';
import { workerFiles } from './files.js';
import {
  PROTOCOL_VERSION,
  parseWorkerLine,
  type BatchFormat,
  type BatchInspectReply,
  type BatchPartReply,
  type BatchPartRequest,
  type ContentType,
  type ErrorReply,
  type HelloMessage,
  type HttpBatchReply,
  type HttpReply,
  type InvokeRequest,
  type InvokeProtocol,
  type PredictionReply,
  type ReadyMessage,
  type RuntimeChoice,
  type WorkerLog,
  type WorkerMessage,
  type WorkerRequest,
} from './protocol.js';

const STDERR_TAIL_LINES = 40;

/** What a worker says besides its replies; ops/ and the session pass these through unchanged. */
export interface WorkerOutputHandlers {
  /** Each line the worker writes on stderr (MLflow's logging, the model's prints). */
  onStderr?: (line: string) => void;
  /** Each `log` message of the worker (a warning, or a note shown under --verbose). */
  onLog?: (log: WorkerLog) => void;
}

export interface StartWorkerOptions extends WorkerOutputHandlers {
  /** The environment's interpreter. */
  pythonPath: string;
  /** Absolute path of the model directory. */
  modelDir: string;
  /** `auto` (fast paths where sound) or `mlflow` (always mlflow.pyfunc.load_model). */
  runtime?: RuntimeChoice;
  /** The environment mlf runs in; the worker gets exactly this plus `extraEnv`. */
  env: Record<string, string | undefined>;
  /** The user's `--env KEY=VALUE` pairs, on top of `env`. */
  extraEnv?: Record<string, string>;
  cwd: string;
  /** Where the worker writes bytecode caches, so that nothing is written into the model directory. */
  pycachePrefix?: string;
  /**
   * Where the worker keeps pickles of skops models it has loaded (mlf_worker/cache/skops.py), so
   * that later starts skip importing skops. Never inside the model directory; none: no cache.
   */
  modelCacheDir?: string;
  /** How messages name the model directory (the user's own words; default: its absolute path). */
  modelLabel?: string;
  /** Replaces `[pythonPath, worker.py]` (tests start a fake worker this way). */
  command?: { file: string; args: string[] };
  /** The worker ignores SIGINT (serve: Ctrl-C reaches the process group; mlf stops its workers itself). */
  ignoreSigint?: boolean;
  /** The worker answers one request of its own before it is ready (serve: mlf_worker/warm_up.py). */
  warmUp?: boolean;
  /** How long to wait for `hello` (the model load itself has no limit). Default 60 s. */
  helloTimeoutMs?: number;
  /**
   * Offered the launch before spawning: returns a worker already started exactly so (bin/mlf.js's
   * early start, worker/early-worker.ts) to use instead of a new one.
   */
  adopt?: (launch: WorkerLaunch) => { child?: ChildProcess; outcome: EarlyStartOutcome };
}

export interface PredictInput {
  contentType: ContentType;
  /** A file the worker reads itself... */
  inputPath?: string;
  /** ...or the input text (stdin). */
  data?: string;
  /** The worker writes the output here itself; otherwise the reply carries it. */
  outputPath?: string;
  /** NaN and infinities as null instead of MLflow's bare `NaN` (mlflow-format.md §13). */
  strictJson?: boolean;
  /** How messages name the input and output files (the user's own words; default: the paths). */
  inputLabel?: string;
  outputLabel?: string;
}

/** One HTTP request for the worker to answer (`mlf models serve`, protocol 4's `invoke`). */
export interface InvokeInput {
  protocol: InvokeProtocol;
  path: string;
  /** The Content-Type header as sent; null when there was none. */
  contentType: string | null;
  /** The body as received. */
  body: Buffer | string;
  /** The model name of a V2 path. */
  modelName?: string;
  /** The model version a V2 response names. */
  modelVersion?: string;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface Pending {
  resolve: (message: WorkerMessage) => void;
  reject: (error: Error) => void;
}

/** An invoke request's fields: the body as text when it is valid UTF-8, else its bytes in base64. */
function invokeFields(input: InvokeInput): Omit<InvokeRequest, 'id' | 'type'> {
  let text: string | undefined;
  if (typeof input.body === 'string') text = input.body;
  else {
    try {
      text = STRICT_UTF8.decode(input.body);
    } catch {
      text = undefined;
    }
  }
  return {
    protocol: input.protocol,
    path: input.path,
    content_type: input.contentType,
    ...(text !== undefined ? { body: text } : { body_base64: (input.body as Buffer).toString('base64') }),
    ...(input.modelName !== undefined ? { model_name: input.modelName } : {}),
    ...(input.modelVersion !== undefined ? { model_version: input.modelVersion } : {}),
  };
}

export class WorkerClient {
  readonly hello: HelloMessage;
  readonly ready: ReadyMessage;
  /** How the worker was started, for a launch record (early-worker.ts). */
  readonly launch: WorkerLaunch;
  /** Whether an early-started worker was used. */
  readonly earlyStart: EarlyStartOutcome;
  private readonly process: ChildProcess;
  private readonly state: ChannelState;
  private nextId = 1;

  private constructor(process: ChildProcess, state: ChannelState, hello: HelloMessage, ready: ReadyMessage, launch: WorkerLaunch, earlyStart: EarlyStartOutcome) {
    this.launch = launch;
    this.earlyStart = earlyStart;
    this.process = process;
    this.state = state;
    this.hello = hello;
    this.ready = ready;
  }

  /** Starts the worker and waits until the model is loaded; throws the load error as MlfError. */
  static async start(options: StartWorkerOptions): Promise<WorkerClient> {
    const args = ['--model-dir', options.modelDir, '--runtime', options.runtime ?? 'auto'];
    if (options.pycachePrefix) args.push('--pycache-prefix', options.pycachePrefix);
    if (options.modelCacheDir) args.push('--model-cache-dir', options.modelCacheDir);
    if (options.ignoreSigint) args.push('--ignore-sigint');
    if (options.warmUp) args.push('--warm-up');
    const file = options.command?.file ?? options.pythonPath;
    const fullArgs = options.command ? [...options.command.args, ...args] : [workerFiles().launcher, ...args];
    const launch: WorkerLaunch = { file, args: fullArgs, cwd: options.cwd, env: { ...definedVariables(options.env), ...(options.extraEnv ?? {}) } };
    const early = options.adopt?.(launch) ?? { outcome: 'none' as const };
    // node:child_process rather than execa (env/exec.ts): the worker is one long-lived duplex
    // channel, not a command whose output is collected, and execa's import alone is ~80 ms of a
    // warm predict.
    const child = early.child ?? spawn(file, fullArgs, { cwd: launch.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const state = new ChannelState(options);
    state.attach(child);
    const startupFailure = (message: WorkerMessage | undefined, error?: Error): never => {
      child.kill();
      if (error) throw error;
      if (message && message.ok === false) {
        throw replyFailureError(failureOfReply(message, 'load'), { modelDir: options.modelDir, ...(options.modelLabel !== undefined ? { modelLabel: options.modelLabel } : {}) });
      }
      throw workerFailure('protocol', 'load', 'internal', 'WORKER_PROTOCOL', `the worker sent \`${JSON.stringify(message)}\` where it should have said hello`);
    };

    let hello: WorkerMessage;
    try {
      hello = await state.nextStartupMessage(options.helloTimeoutMs ?? 60_000, 'hello');
    } catch (error) {
      return startupFailure(undefined, error as Error);
    }
    if (hello.ok !== true || !('type' in hello) || hello.type !== 'hello') return startupFailure(hello);
    if (hello.protocol !== PROTOCOL_VERSION) {
      child.kill();
      throw workerFailure(
        'protocol',
        'load',
        'internal',
        'WORKER_PROTOCOL_MISMATCH',
        `the worker speaks protocol ${hello.protocol}, this mlf speaks ${PROTOCOL_VERSION}`,
        { hint: `\`${workerFiles().launcher}\` does not belong to this mlf; reinstall mlf` },
      );
    }
    let ready: WorkerMessage;
    try {
      ready = await state.nextStartupMessage(undefined, 'ready');
    } catch (error) {
      return startupFailure(undefined, error as Error);
    }
    if (ready.ok !== true || !('type' in ready) || ready.type !== 'ready') return startupFailure(ready);
    state.stage = 'predict';
    return new WorkerClient(child, state, hello, ready, launch, early.outcome);
  }

  /** Which loader the worker used, and why it fell back to mlflow under `auto`. */
  get runtime(): { name: ReadyMessage['runtime']; fallbackReason?: string; loadMs: number } {
    return {
      name: this.ready.runtime,
      loadMs: this.ready.load_ms,
      ...(this.ready.fallback_reason ? { fallbackReason: this.ready.fallback_reason } : {}),
    };
  }

  async predict(input: PredictInput): Promise<PredictionReply> {
    if ((input.inputPath === undefined) === (input.data === undefined)) {
      throw new MlfError('internal', 'WORKER_BAD_REQUEST', 'predict needs exactly one of inputPath and data');
    }
    const id = this.nextId++;
    const request: WorkerRequest = {
      id,
      type: 'predict',
      content_type: input.contentType,
      ...(input.inputPath !== undefined ? { input_path: input.inputPath } : { data: input.data! }),
      ...(input.outputPath !== undefined ? { output_path: input.outputPath } : {}),
      ...(input.strictJson ? { strict_json: true } : {}),
    };
    const reply = await this.send(request);
    if (reply.ok === false) {
      const { modelDir, modelLabel } = this.state.options;
      throw replyFailureError(failureOfReply(reply, 'predict'), {
        modelDir,
        ...(modelLabel !== undefined ? { modelLabel } : {}),
        ...(input.inputPath !== undefined ? { inputPath: input.inputPath } : {}),
        ...(input.inputLabel !== undefined ? { inputLabel: input.inputLabel } : {}),
        ...(input.outputPath !== undefined ? { outputPath: input.outputPath } : {}),
        ...(input.outputLabel !== undefined ? { outputLabel: input.outputLabel } : {}),
      });
    }
    if (!('type' in reply) || reply.type !== 'prediction') {
      throw workerFailure('protocol', 'predict', 'internal', 'WORKER_PROTOCOL', `the worker answered a predict request with \`${reply.type}\``);
    }
    return reply;
  }

  /**
   * One HTTP request, answered with the HTTP response to send. Whatever the request holds, the
   * answer is a reply; this throws only when the worker failed (died, broke the protocol).
   */
  async invoke(input: InvokeInput): Promise<HttpReply> {
    const reply = await this.send({ id: this.nextId++, type: 'invoke', ...invokeFields(input) });
    if (reply.ok === false) throw replyFailureError(failureOfReply(reply, 'predict'));
    if (!('type' in reply) || reply.type !== 'http') {
      throw workerFailure('protocol', 'predict', 'internal', 'WORKER_PROTOCOL', `the worker answered an invoke request with \`${reply.type}\``);
    }
    return reply;
  }

  /**
   * MLflow /invocations requests answered together (adaptive batching, mlf_worker/http/batch.py):
   * one reply per item, in order, each what the item alone would get.
   */
  async invokeBatch(inputs: InvokeInput[]): Promise<HttpBatchReply> {
    const reply = await this.send({ id: this.nextId++, type: 'invoke_batch', items: inputs.map(invokeFields) });
    if (reply.ok === false) throw replyFailureError(failureOfReply(reply, 'predict'));
    if (!('type' in reply) || reply.type !== 'http_batch' || reply.replies.length !== inputs.length) {
      throw workerFailure('protocol', 'predict', 'internal', 'WORKER_PROTOCOL', 'the worker answered an invoke_batch request with something else than one reply per item');
    }
    return reply;
  }

  /** What the input files of a batch hold (mlf_worker/batch/requests.py). */
  async batchInspect(format: BatchFormat, paths: string[]): Promise<BatchInspectReply> {
    const reply = await this.send({ id: this.nextId++, type: 'batch_inspect', format, paths });
    if (reply.ok === false) throw replyFailureError(failureOfReply(reply, 'predict'), this.labels());
    if (!('type' in reply) || reply.type !== 'batch_inspect' || reply.files.length !== paths.length) {
      throw workerFailure('protocol', 'predict', 'internal', 'WORKER_PROTOCOL', 'the worker answered a batch_inspect request with something else than one entry per file');
    }
    return reply;
  }

  /** One output part of a batch, written by the worker itself; its failure thrown as predict's would be. */
  async batchPart(request: Omit<BatchPartRequest, 'id' | 'type'>, labels: { inputPath?: string } = {}): Promise<BatchPartReply> {
    const reply = await this.send({ id: this.nextId++, type: 'batch_part', ...request });
    if (reply.ok === false) throw replyFailureError(failureOfReply(reply, 'predict'), { ...this.labels(), outputPath: request.output_path, ...labels });
    if (!('type' in reply) || reply.type !== 'batch_part') {
      throw workerFailure('protocol', 'predict', 'internal', 'WORKER_PROTOCOL', `the worker answered a batch_part request with \`${reply.type}\``);
    }
    return reply;
  }

  private labels(): { modelDir: string; modelLabel?: string } {
    const { modelDir, modelLabel } = this.state.options;
    return { modelDir, ...(modelLabel !== undefined ? { modelLabel } : {}) };
  }

  /** The worker's process id (from its hello). */
  get pid(): number {
    return this.hello.pid;
  }

  /** Whether the worker process has exited. */
  get exited(): boolean {
    return this.state.exited;
  }

  /** Settles once the worker process has exited (for whatever reason). */
  get exit(): Promise<void> {
    return this.state.exit;
  }

  /** Kills the worker at once (a request over its timeout); pending requests fail. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.state.exited) this.process.kill(signal);
  }

  async ping(): Promise<void> {
    const reply = await this.send({ id: this.nextId++, type: 'ping' });
    if (reply.ok === false) throw replyFailureError(failureOfReply(reply, 'predict'));
  }

  /** Asks the worker to exit, and kills it if it has not after `timeoutMs`. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (!this.state.exited) {
      try {
        await this.send({ id: this.nextId++, type: 'shutdown' });
      } catch {
        // It may already be gone; the kill below makes sure.
      }
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    try {
      await this.state.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  private send(request: WorkerRequest): Promise<WorkerMessage> {
    return this.state.request(request);
  }
}

/** The reading side of the channel: startup messages in order, then replies by id. */
class ChannelState {
  readonly options: StartWorkerOptions;
  readonly stderrTail: string[] = [];
  /** Loading until the worker is ready, then answering requests: what a failure happened during. */
  stage: WorkerStage = 'load';
  exited = false;
  /** Settles once the worker has exited (or could not be started) and its output is drained. */
  readonly exit: Promise<void>;
  private settleExit!: () => void;
  private child?: ChildProcess;
  private readonly queue: WorkerMessage[] = [];
  private waiter?: Pending;
  private readonly pending = new Map<number, Pending>();
  private failure?: Error;

  constructor(options: StartWorkerOptions) {
    this.options = options;
    this.exit = new Promise((resolve) => {
      this.settleExit = resolve;
    });
  }

  attach(child: ChildProcess): void {
    this.child = child;
    const stdout = createInterface({ input: child.stdout! });
    stdout.on('line', (line) => this.onLine(line));
    const stderr = createInterface({ input: child.stderr! });
    stderr.on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.options.onStderr?.(line);
    });
    // Writing to a worker that has died raises EPIPE on stdin; the exit handler reports it.
    child.stdin?.on('error', () => undefined);
    // Should mlf end while the worker runs, the worker goes with it (exit-hook.ts).
    const forget = killOnExit(child);
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      // 'close' does not follow an 'error' from a process that never started.
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      forget();
      // Let the readline interfaces drain the last lines before deciding what went wrong.
      setImmediate(() => {
        if (spawnError && child.pid === undefined) {
          // Never ran: no such interpreter (an environment removed while in use?).
          const executable = this.options.command?.file ?? this.options.pythonPath;
          this.exited = true;
          this.fail(interpreterMissingError(executable, spawnError.message, this.stage));
        } else {
          this.onExit(describeExit(code ?? undefined, signal ?? undefined, spawnError?.message));
        }
        this.settleExit();
      });
    };
    child.once('close', finish);
  }

  nextStartupMessage(timeoutMs: number | undefined, what: string): Promise<WorkerMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiter = undefined;
              reject(
                workerFailure('timeout', this.stage, 'internal', 'WORKER_TIMEOUT', `the worker did not say ${what} within ${Math.round(timeoutMs / 1000)}s`, this.stderrSummary(10)),
              );
            }, timeoutMs);
      this.waiter = {
        resolve: (message) => {
          if (timer) clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          if (timer) clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  request(request: WorkerRequest): Promise<WorkerMessage> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.child!.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const parsed = parseWorkerLine(line);
    if ('problem' in parsed) {
      this.fail(
        workerFailure('protocol', this.stage, 'internal', 'WORKER_PROTOCOL', `the worker wrote a line that is not a protocol message: ${parsed.problem}`, {
          hint: 'this is a bug in mlf (or a foreign worker.py): --verbose shows the line; please report it',
          cause: new WorkerErrorDetails(`the line:\n${line.length > 2_000 ? `${line.slice(0, 2_000)}… (${line.length - 2_000} more characters)` : line}`),
        }),
      );
      this.child?.kill();
      return;
    }
    const message = parsed.message;
    if ('type' in message && message.type === 'log') {
      this.options.onLog?.({ level: message.level, message: message.message });
      return;
    }
    const id = 'id' in message && typeof message.id === 'number' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (pending) {
      this.pending.delete(id!);
      pending.resolve(message);
      return;
    }
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve(message);
      return;
    }
    this.queue.push(message);
  }

  private onExit(description: string): void {
    this.exited = true;
    if (this.pending.size === 0 && !this.waiter) {
      this.failure ??= this.exitError(description);
      return;
    }
    this.fail(this.exitError(description));
  }

  private exitError(description: string): MlfError {
    const summary = this.stderrSummary(15);
    const stderrTail = this.stderrTail.slice(-15).join('\n').trimEnd();
    return new WorkerFailureError(
      { kind: 'crashed', stage: this.stage, message: `the model worker ${description}`, ...(stderrTail ? { stderrTail } : {}) },
      'model',
      'WORKER_EXITED',
      `the model worker ${description}`,
      summary,
    );
  }

  /**
   * The worker's stderr for an error that has no reply to go by: its last line in the hint (the
   * one that usually says what happened), the last `count` lines as the cause (--verbose).
   */
  stderrSummary(count: number): MlfErrorOptions {
    const tail = this.stderrTail.slice(-count).join('\n').trimEnd();
    if (!tail) return { hint: 'it wrote nothing on stderr' };
    const last = tail.split('\n').filter((line) => line.trim() !== '').pop() ?? '';
    return {
      hint: `its last line on stderr: \`${oneLine(last, 200)}\`; --verbose shows all it wrote`,
      cause: new WorkerErrorDetails(`the worker's last lines on stderr:\n${tail}`),
    };
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.reject(error);
    }
  }
}

function describeExit(exitCode: number | undefined, signal: string | undefined, failure: string | undefined): string {
  if (signal) return `was killed by ${signal}`;
  if (exitCode !== undefined) return `exited with code ${exitCode} before answering`;
  return `could not be started: ${failure ?? 'unknown error'}`;
}

/** A failure of the worker itself (no error reply to go by): its text is the error's message. */
function workerFailure(kind: WorkerFailureKind, stage: WorkerStage, category: 'internal' | 'model', code: string, message: string, options?: MlfErrorOptions): WorkerFailureError {
  return new WorkerFailureError({ kind, stage, message }, category, code, message, options);
}
