/**
 * Starts src/runtime/worker.py with an environment's interpreter and speaks its protocol
 * (protocol.ts): hello and version check, model load, then predict requests. Every line the
 * worker writes is validated; every worker error becomes an `MlfError` of the right category.
 *
 * The worker's stderr (its logs, MLflow's warnings, the model's own prints) goes to `onLog`
 * line by line; its last lines are kept for the message when the worker dies unexpectedly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { definedVariables } from '../config/env-vars.js';
import { MlfError, inputError, modelError, environmentError, type MlfErrorOptions } from '../errors.js';
import type { EarlyStartOutcome, WorkerLaunch } from './early-worker.js';
import { distributionForModule, missingModuleFixCommands, type FixCommandsInput } from './missing-module.js';
import {
  PROTOCOL_VERSION,
  parseWorkerLine,
  type ContentType,
  type ErrorReply,
  type HelloMessage,
  type PredictionReply,
  type ReadyMessage,
  type RuntimeChoice,
  type WorkerMessage,
  type WorkerRequest,
} from './protocol.js';

/** The worker script shipped with mlf (package.json `files` lists it). */
export const WORKER_SCRIPT_PATH = fileURLToPath(new URL('../../src/runtime/worker.py', import.meta.url));

const STDERR_TAIL_LINES = 40;

export interface StartWorkerOptions {
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
   * Where the worker keeps pickles of skops models it has loaded (mlf_worker.py, `load_skops`), so
   * that later starts skip importing skops. Never inside the model directory; none: no cache.
   */
  modelCacheDir?: string;
  /** Each line the worker writes on stderr. */
  onLog?: (line: string) => void;
  /** How the commands in a missing-module hint name the model and input (the user's own words). */
  fixContext?: FixCommandsInput;
  /** Replaces `[pythonPath, worker.py]` (tests start a fake worker this way). */
  command?: { file: string; args: string[] };
  /** How long to wait for `hello` (the model load itself has no limit). Default 60 s. */
  helloTimeoutMs?: number;
  /**
   * Offered the launch before spawning: returns a worker already started exactly so (bin/mlf.js's
   * early start, runtime/early-worker.ts) to use instead of a new one.
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
}

interface Pending {
  resolve: (message: WorkerMessage) => void;
  reject: (error: Error) => void;
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
    const file = options.command?.file ?? options.pythonPath;
    const fullArgs = options.command ? [...options.command.args, ...args] : [WORKER_SCRIPT_PATH, ...args];
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
      if (message && message.ok === false) throw workerErrorToMlfError(message, 'load', options.fixContext);
      throw new MlfError('internal', 'WORKER_PROTOCOL', `the worker sent \`${JSON.stringify(message)}\` where it should have said hello`);
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
      throw new MlfError(
        'internal',
        'WORKER_PROTOCOL_MISMATCH',
        `the worker speaks protocol ${hello.protocol}, this mlf speaks ${PROTOCOL_VERSION}`,
        { hint: `\`${WORKER_SCRIPT_PATH}\` does not belong to this mlf; reinstall mlf` },
      );
    }
    let ready: WorkerMessage;
    try {
      ready = await state.nextStartupMessage(undefined, 'ready');
    } catch (error) {
      return startupFailure(undefined, error as Error);
    }
    if (ready.ok !== true || !('type' in ready) || ready.type !== 'ready') return startupFailure(ready);
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
    if (reply.ok === false) throw workerErrorToMlfError(reply, 'predict', this.state.options.fixContext);
    if (!('type' in reply) || reply.type !== 'prediction') {
      throw new MlfError('internal', 'WORKER_PROTOCOL', `the worker answered a predict request with \`${reply.type}\``);
    }
    return reply;
  }

  async ping(): Promise<void> {
    const reply = await this.send({ id: this.nextId++, type: 'ping' });
    if (reply.ok === false) throw workerErrorToMlfError(reply, 'predict', this.state.options.fixContext);
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
      this.options.onLog?.(line);
    });
    // Writing to a worker that has died raises EPIPE on stdin; the exit handler reports it.
    child.stdin?.on('error', () => undefined);
    // Should mlf end while the worker runs (an error path that skipped close()), the worker goes
    // with it. (Killed by a signal, mlf runs no handler; the worker then sees its stdin close and
    // exits once its load is done; Ctrl-C reaches it directly, as it is in the same group.)
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      // 'close' does not follow an 'error' from a process that never started.
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      process.removeListener('exit', killOnExit);
      // Let the readline interfaces drain the last lines before deciding what went wrong.
      setImmediate(() => {
        if (spawnError && child.pid === undefined) {
          // Never ran: no such interpreter (an environment removed while in use?).
          const executable = this.options.command?.file ?? this.options.pythonPath;
          this.exited = true;
          this.fail(interpreterMissingError(executable, spawnError.message));
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
                new MlfError('internal', 'WORKER_TIMEOUT', `the worker did not say ${what} within ${Math.round(timeoutMs / 1000)}s`, {
                  detail: this.stderrTail.slice(-10).join('\n') || undefined,
                }),
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
        new MlfError('internal', 'WORKER_PROTOCOL', `the worker wrote a line that is not a protocol message: ${parsed.problem}`, {
          detail: line.length > 300 ? `${line.slice(0, 300)}...` : line,
        }),
      );
      this.child?.kill();
      return;
    }
    const message = parsed.message;
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
    const tail = this.stderrTail.slice(-15).join('\n');
    return new MlfError('model', 'WORKER_EXITED', `the model worker ${description}`, {
      ...(tail ? { detail: tail } : {}),
      hint: 'its last lines on stderr are shown below; run with --verbose to see all of them',
    });
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

/**
 * A worker error as the user sees it. Exit codes follow the categories: a missing module or the
 * model's own exception is 1 (model), malformed input or a signature mismatch is 2 (input).
 */
export function workerErrorToMlfError(reply: ErrorReply, stage: 'load' | 'predict', fix?: FixCommandsInput): MlfError {
  const tracebackTail = reply.traceback ? lastLines(reply.traceback, 12) : undefined;
  switch (reply.kind) {
    case 'missing_module': {
      const module = reply.module ?? 'unknown';
      const missing = distributionForModule(module);
      const lines: string[] = [];
      if (fix) {
        lines.push('Try, in order:', ...missingModuleFixCommands(missing, fix).map((c) => `  ${c}`));
        if (fix.version) {
          lines.push(`(${missing.distribution} ${fix.version} is the version an install would pick today; pin the one you tested if it differs)`);
        } else {
          lines.push(
            `(no version pinned: mlf cannot tell which \`${missing.distribution}\` the model was built with; write \`${missing.distribution}==VERSION\` to pin the one you tested)`,
          );
        }
      }
      if (missing.distribution === 'mlflow') lines.push('This model needs mlflow itself to load: add --install-mlflow to install it into the environment.');
      const options: MlfErrorOptions = {
        hint: missing.known
          ? `\`${module}\` is provided by the distribution \`${missing.distribution}\`, which is not installed in the model's environment`
          : `\`${module}\` is most likely provided by the distribution \`${missing.distribution}\` (a guess from the module name), which is not installed in the model's environment`,
        data: { module, distribution: missing.distribution, known: missing.known, pythonMessage: reply.message, stage },
        ...(lines.length > 0 ? { detail: lines.join('\n') } : {}),
      };
      return modelError('MISSING_MODULE', `the model ${stage === 'load' ? 'could not be loaded' : 'failed while predicting'}: ${reply.message}`, options);
    }
    case 'bad_input':
      return inputError('BAD_INPUT', reply.message);
    case 'schema':
      return inputError('SCHEMA_MISMATCH', reply.message, { hint: 'the input does not match the model signature (MLmodel `signature.inputs`)' });
    case 'model_error':
      return modelError('MODEL_PREDICT_FAILED', `the model raised an exception while predicting: ${reply.message}`, {
        ...(tracebackTail ? { detail: tracebackTail } : {}),
      });
    case 'load_error':
      return modelError('MODEL_LOAD_FAILED', `the model could not be loaded: ${reply.message}`, {
        ...(tracebackTail ? { detail: tracebackTail } : {}),
      });
    case 'bad_request':
    case 'internal':
      return new MlfError('internal', 'WORKER_INTERNAL', `the model worker failed: ${reply.message}`, {
        ...(tracebackTail ? { detail: tracebackTail } : {}),
      });
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** A worker that could not even be started (no such interpreter): an environment problem. */
export function interpreterMissingError(pythonPath: string, cause: unknown): MlfError {
  return environmentError('PYTHON_NOT_FOUND', `cannot start the environment's interpreter \`${pythonPath}\``, {
    cause,
    hint: 'the environment may have been removed while in use; run again to rebuild it',
  });
}
