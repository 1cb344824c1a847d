/**
 * A model loaded in its environment, ready to predict: what ops/ (predict today, `serve` next)
 * holds instead of a worker process. Opening starts the worker (or adopts one started early,
 * early-worker.ts) and waits until the model is loaded; `predict` answers one request; `close`
 * stops the worker. Failures are thrown as `WorkerFailureError` (failure.ts), whose `failure`
 * says what went wrong as data.
 *
 * One worker per session today. `workers` is there so that a pool (for `serve`) can slot in
 * behind the same interface: `info` describes the session, not one process.
 */
import type { EarlyStart, EarlyStartOutcome, WorkerLaunch } from './early-worker.js';
import type { LoadedRuntime, RuntimeChoice } from './protocol.js';
import { WorkerClient, type PredictInput, type StartWorkerOptions, type WorkerOutputHandlers } from './worker-client.js';

/** What a session needs of a prepared environment (env/'s PreparedEnvironment has it). */
export interface SessionEnvironment {
  /** The environment's interpreter. */
  pythonPath: string;
  /** Where the worker writes bytecode, and keeps its transcoded-model cache; never inside the model directory. */
  caches: { pycacheDir: string; modelCacheDir: string };
}

export interface OpenModelSessionOptions extends WorkerOutputHandlers {
  environment: SessionEnvironment;
  /** Absolute path of the model directory. */
  modelDir: string;
  /** How messages name the model directory (the user's own words; default: its absolute path). */
  modelLabel?: string;
  /** `auto` (fast paths where sound) or `mlflow` (always mlflow.pyfunc.load_model). */
  loader?: RuntimeChoice;
  /** How many workers serve the session. One today; a pool for `serve` widens this. */
  workers?: 1;
  /** The environment mlf runs in; the worker gets exactly this plus `extraEnv`. */
  env: Record<string, string | undefined>;
  /** The user's `--env KEY=VALUE` pairs, on top of `env`. */
  extraEnv?: Record<string, string>;
  cwd: string;
  /** bin/mlf.js's early start, as far as opening a session goes: offered the launch, it hands back a matching worker. */
  earlyStart?: Pick<EarlyStart, 'offer'>;
  /** Replaces `[pythonPath, worker.py]` (tests start a fake worker this way). */
  command?: StartWorkerOptions['command'];
  helloTimeoutMs?: number;
}

export interface SessionInfo {
  /** Which loader the worker used (`sklearn` / `code-model` skip importing mlflow). */
  loader: LoadedRuntime;
  /** Why `auto` used mlflow's loader, when it did. */
  fallbackReason?: string;
  loadMs: number;
  /** Whether a worker started early was used. */
  earlyStart: EarlyStartOutcome;
  /** How the worker was started, for the early start's launch record. */
  launch: WorkerLaunch;
}

/** One predict request: the input (a file or text), its content type, where the output goes. */
export type PredictionRequest = PredictInput;

export interface Prediction {
  /** The output text, when no outputPath was given. */
  output?: string;
  timings: { parseMs: number; predictMs: number; encodeMs: number };
  /** The worker's peak resident memory in KiB, when the platform reports it. */
  maxRssKb?: number;
}

export interface ModelSession {
  readonly info: SessionInfo;
  predict(request: PredictionRequest): Promise<Prediction>;
  /** Stops the worker; safe to call once the worker has died. */
  close(): Promise<void>;
}

/**
 * One worker of a session, started in the prepared environment with the session's options: what
 * `openModelSession` holds, and what `mlf models serve`'s pool starts N of (`ignoreSigint`: Ctrl-C
 * reaches the whole process group, and a pool shuts its workers down itself; `warmUp`: a served
 * worker answers a request of its own before it counts as ready).
 */
export function startSessionWorker(options: OpenModelSessionOptions & { ignoreSigint?: boolean; warmUp?: boolean }): Promise<WorkerClient> {
  const { environment } = options;
  return WorkerClient.start({
    pythonPath: environment.pythonPath,
    modelDir: options.modelDir,
    runtime: options.loader ?? 'auto',
    env: options.env,
    ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
    cwd: options.cwd,
    pycachePrefix: environment.caches.pycacheDir,
    modelCacheDir: environment.caches.modelCacheDir,
    ...(options.onStderr ? { onStderr: options.onStderr } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.earlyStart ? { adopt: (launch: WorkerLaunch) => options.earlyStart!.offer(launch) } : {}),
    ...(options.modelLabel !== undefined ? { modelLabel: options.modelLabel } : {}),
    ...(options.command ? { command: options.command } : {}),
    ...(options.helloTimeoutMs !== undefined ? { helloTimeoutMs: options.helloTimeoutMs } : {}),
    ...(options.ignoreSigint ? { ignoreSigint: true } : {}),
    ...(options.warmUp ? { warmUp: true } : {}),
  });
}

export async function openModelSession(options: OpenModelSessionOptions): Promise<ModelSession> {
  const client = await startSessionWorker(options);
  const loaded = client.runtime;
  const info: SessionInfo = {
    loader: loaded.name,
    ...(loaded.fallbackReason ? { fallbackReason: loaded.fallbackReason } : {}),
    loadMs: loaded.loadMs,
    earlyStart: client.earlyStart,
    launch: client.launch,
  };
  return {
    info,
    async predict(request) {
      const reply = await client.predict(request);
      return {
        ...(reply.output !== undefined ? { output: reply.output } : {}),
        timings: { parseMs: reply.timings.parse_ms, predictMs: reply.timings.predict_ms, encodeMs: reply.timings.encode_ms },
        ...(reply.max_rss_kb !== undefined ? { maxRssKb: reply.max_rss_kb } : {}),
      };
    },
    close: () => client.close(),
  };
}
