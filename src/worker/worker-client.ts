/**
 * Starts src/worker/worker.py with an environment's interpreter and speaks its protocol
 * (protocol.ts): hello and version check, model load, then predict requests. Every line the
 * worker writes is validated; every worker error becomes an `MlfError` of the right category.
 *
 * The worker's own warnings and notes arrive as protocol `log` messages and go to `onWorkerLog`;
 * its stderr (MLflow's logging, the model's own prints) goes to `onLog` line by line, and its last
 * lines are kept for the message when the worker dies unexpectedly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
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
  type WorkerLog,
  type WorkerMessage,
  type WorkerRequest,
} from './protocol.js';

/** The worker script shipped with mlf (package.json `files` lists it). */
export const WORKER_SCRIPT_PATH = fileURLToPath(new URL('../../src/worker/worker.py', import.meta.url));

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
   * Where the worker keeps pickles of skops models it has loaded (mlf_worker/cache/skops.py), so
   * that later starts skip importing skops. Never inside the model directory; none: no cache.
   */
  modelCacheDir?: string;
  /** Each line the worker writes on stderr. */
  onLog?: (line: string) => void;
  /** Each `log` message of the worker's (a warning, or a note shown under --verbose). */
  onWorkerLog?: (log: WorkerLog) => void;
  /** How the commands in a missing-module hint name the model and input (the user's own words). */
  fixContext?: FixCommandsInput;
  /** How messages name the model directory (the user's own words; default: its absolute path). */
  modelLabel?: string;
  /** Replaces `[pythonPath, worker.py]` (tests start a fake worker this way). */
  command?: { file: string; args: string[] };
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
      if (message && message.ok === false) {
        throw workerErrorToMlfError(message, 'load', options.fixContext, { modelDir: options.modelDir, ...(options.modelLabel !== undefined ? { modelLabel: options.modelLabel } : {}) });
      }
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
    if (reply.ok === false) {
      const { modelDir, modelLabel } = this.state.options;
      throw workerErrorToMlfError(reply, 'predict', this.state.options.fixContext, {
        modelDir,
        ...(modelLabel !== undefined ? { modelLabel } : {}),
        ...(input.inputPath !== undefined ? { inputPath: input.inputPath } : {}),
        ...(input.inputLabel !== undefined ? { inputLabel: input.inputLabel } : {}),
        ...(input.outputPath !== undefined ? { outputPath: input.outputPath } : {}),
        ...(input.outputLabel !== undefined ? { outputLabel: input.outputLabel } : {}),
      });
    }
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
                new MlfError('internal', 'WORKER_TIMEOUT', `the worker did not say ${what} within ${Math.round(timeoutMs / 1000)}s`, this.stderrSummary(10)),
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
          hint: 'this is a bug in mlf (or a foreign worker.py): --verbose shows the line; please report it',
          cause: new WorkerErrorDetails(`the line:\n${line.length > 2_000 ? `${line.slice(0, 2_000)}… (${line.length - 2_000} more characters)` : line}`),
        }),
      );
      this.child?.kill();
      return;
    }
    const message = parsed.message;
    if ('type' in message && message.type === 'log') {
      this.options.onWorkerLog?.({ level: message.level, message: message.message });
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
    return new MlfError('model', 'WORKER_EXITED', `the model worker ${description}`, this.stderrSummary(15));
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

/** How the files a worker error names are shown: as the user typed them where mlf knows that. */
export interface WorkerFileNames {
  /** Absolute path of the model directory, and how the user named it. */
  modelDir?: string;
  modelLabel?: string;
  /** Absolute path of the input file the worker was given, and how the user named it. */
  inputPath?: string;
  inputLabel?: string;
  outputPath?: string;
  outputLabel?: string;
}

/**
 * The worker's full message (when its line was cut) and its Python traceback, as the `cause` of
 * the MlfError: the CLI shows a cause under --verbose only, so the error itself stays one line.
 */
export class WorkerErrorDetails extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'WorkerErrorDetails';
    // What --verbose prints is the stack: the worker's text, not Node's frames.
    this.stack = text;
  }

  static of(reply: Pick<ErrorReply, 'message' | 'detail' | 'traceback'>): WorkerErrorDetails | undefined {
    const parts: string[] = [];
    if (reply.detail !== undefined) parts.push(`the worker's full message:\n${reply.detail.trimEnd()}`);
    if (reply.traceback) parts.push(`the Python traceback:\n${reply.traceback.trimEnd()}`);
    return parts.length > 0 ? new WorkerErrorDetails(parts.join('\n\n')) : undefined;
  }
}

/** At most this many characters of a worker's text reach the error line (the worker cuts too). */
const MAX_LINE = 300;
const CUT_MARKER = /… \(\d+ more characters; --verbose shows all\)$/;

/**
 * One line of readable length: line breaks and runs of blanks become one space, and anything past
 * MAX_LINE characters is cut with a marker. The worker already does this (mlf_worker/errors.py, cut_message);
 * this covers text from elsewhere (a worker's stderr, an older or foreign worker).
 */
export function oneLine(text: string, limit = MAX_LINE): string {
  const flat = text.split(/\s+/).filter(Boolean).join(' ');
  // Already cut by the worker: its marker counts what it left out.
  const uncut = flat.replace(CUT_MARKER, '');
  if (uncut.length <= limit) return flat;
  const shown = flat.slice(0, limit).trimEnd();
  return `${shown}… (${flat.length - shown.length} more characters; --verbose shows all)`;
}

function shownFile(file: string | undefined, names: WorkerFileNames): string | undefined {
  if (file === undefined) return undefined;
  if (names.inputPath !== undefined && file === names.inputPath) return names.inputLabel ?? file;
  if (names.outputPath !== undefined && file === names.outputPath) return names.outputLabel ?? file;
  if (names.modelDir !== undefined) {
    const relative = path.relative(names.modelDir, file);
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) return path.join(names.modelLabel ?? names.modelDir, relative);
  }
  return file;
}

/** A problem of the input names the input file (as the user typed it) when the worker named none. */
function withInputFile(location: MlfErrorOptions, names: WorkerFileNames): MlfErrorOptions {
  if (location.file !== undefined || names.inputPath === undefined) return location;
  return { ...location, file: names.inputLabel ?? names.inputPath };
}

const TRACEBACK_HINT = '--verbose shows the Python traceback';

/**
 * A worker error as the user sees it: one line (the worker's message, the file it names, a hint),
 * and the worker's full text and traceback as the cause, for --verbose. Exit codes follow the
 * categories: malformed input, a signature mismatch or a damaged model file is 2 (input); the
 * model's own exception or a missing module is 1 (model); a failure of the worker itself is 1.
 */
export function workerErrorToMlfError(reply: ErrorReply, stage: 'load' | 'predict', fix?: FixCommandsInput, names: WorkerFileNames = {}): MlfError {
  const message = oneLine(reply.message);
  // Cut here rather than by the worker: the worker's text itself is the full message.
  const details = WorkerErrorDetails.of({ ...reply, detail: reply.detail ?? (message === reply.message ? undefined : reply.message) });
  const cause = details ? { cause: details } : {};
  const file = shownFile(reply.file, names);
  const location: MlfErrorOptions = {
    ...(file !== undefined ? { file } : {}),
    ...(reply.line !== undefined ? { line: reply.line } : {}),
    ...(reply.column !== undefined ? { column: reply.column } : {}),
    ...(reply.field !== undefined ? { field: reply.field } : {}),
  };
  const data = { workerKind: reply.kind, stage };
  switch (reply.kind) {
    case 'missing_module': {
      const module = reply.module ?? 'unknown';
      const missing = distributionForModule(module);
      const lines: string[] = [];
      // A distribution is named only when a table vouches for it: a guess from the module name is
      // how dependency confusion starts (ops/missing-module-hint.ts asks the index before naming one).
      if (fix && missing.known) {
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
          : `\`${module}\` is not installed in the model's environment, and no table of mlf's says which distribution provides it: if it is the model's own code, re-save the model with it as a code path`,
        data: { module, distribution: missing.distribution, known: missing.known, pythonMessage: reply.message, stage },
        ...(lines.length > 0 ? { detail: lines.join('\n') } : {}),
        ...cause,
      };
      return modelError('MISSING_MODULE', `the model ${stage === 'load' ? 'could not be loaded' : 'failed while predicting'}: ${message}`, options);
    }
    case 'bad_input':
      return inputError('BAD_INPUT', message, {
        ...withInputFile(location, names),
        ...(reply.input_looks_like === 'csv' ? { hint: 'the input looks like CSV: pass `-t csv`' } : reply.hint ? { hint: reply.hint } : {}),
        data,
        ...cause,
      });
    case 'schema':
      return inputError('SCHEMA_MISMATCH', `the input does not match the model signature: ${message}`, {
        ...withInputFile(location, names),
        hint: 'MLmodel `signature.inputs` lists the columns and types the model takes; --verbose shows MLflow\'s full message',
        data,
        ...cause,
      });
    case 'bad_model_file':
      return inputError('BAD_MODEL_FILE', message, { ...location, ...(reply.hint ? { hint: reply.hint } : {}), data, ...cause });
    case 'model_error':
      return modelError('MODEL_PREDICT_FAILED', `the model raised an exception while predicting: ${message}`, { ...location, hint: TRACEBACK_HINT, data, ...cause });
    case 'load_error':
      return modelError('MODEL_LOAD_FAILED', `the model could not be loaded: ${message}`, { ...location, hint: reply.hint ?? TRACEBACK_HINT, data, ...cause });
    case 'bad_request':
    case 'internal':
      return new MlfError('internal', 'WORKER_INTERNAL', `the model worker failed: ${message}`, {
        ...location,
        hint: `this is a bug in mlf: ${TRACEBACK_HINT}; please report it`,
        data,
        ...cause,
      });
  }
}

/** A worker that could not even be started (no such interpreter): an environment problem. */
export function interpreterMissingError(pythonPath: string, cause: unknown): MlfError {
  return environmentError('PYTHON_NOT_FOUND', `cannot start the environment's interpreter \`${pythonPath}\``, {
    cause,
    hint: 'the environment may have been removed while in use; run again to rebuild it',
  });
}
