/**
 * `mlf models predict`: find the model, build (or reuse) its environment, open a session on it
 * (worker/session.ts), predict once, close, and hand back the output exactly as
 * `mlflow models predict` writes it.
 */
import path from 'node:path';
import type { EnvRequest, PreparedEnvironment } from '../env/index.js';
import { markerPath } from '../env/marker.js';
import { CONDA_ENV_FILE_NAME, MLMODEL_FILE_NAME, PYTHON_ENV_FILE_NAME, REQUIREMENTS_FILE_NAME } from '../model/file-names.js';
import type { EarlyStart, EarlyStartOutcome } from '../worker/early-worker.js';
import type { ContentType, LoadedRuntime, RuntimeChoice } from '../worker/protocol.js';
import { openModelSession } from '../worker/session.js';
import type { WorkerOutputHandlers } from '../worker/worker-client.js';
import { prepareModelRun, readModelToRun } from './model-run.js';
import { checkPredictFiles } from './predict-files.js';
import type { ModelSourceOptions } from './model-source.js';

export interface PredictOptions extends Omit<EnvRequest, 'model'>, WorkerOutputHandlers {
  /** The model as the user typed it: a path, a `file://` URI or a remote model URI (ops/model-source.ts). */
  modelUri: string;
  /** For a remote model URI: `--offline`, the home of `~/.mlflow/credentials`, download progress. */
  modelSource?: ModelSourceOptions;
  /** The input file (resolved against `cwd`); the worker reads it itself. */
  inputPath?: string;
  /** The input text, for `-i -` (stdin). Exactly one of inputPath and inputData. */
  inputData?: string;
  /** The worker writes the output here itself; without it, `output` holds the text. */
  outputPath?: string;
  contentType: ContentType;
  runtime?: RuntimeChoice;
  /** Write NaN and infinities as null (valid JSON); MLflow writes a bare `NaN`. */
  strictJson?: boolean;
  /** bin/mlf.js's early start (cli/early-start.ts): offered the launch, and told after a
   * successful predict what it depended on. Callers running mlf in-process leave it out. */
  earlyStart?: EarlyStart;
}

export interface PredictResult {
  /** The output text (no trailing newline, bare `NaN` possible), when no outputPath was given. */
  output?: string;
  outputPath?: string;
  /** Which loader the worker used (`sklearn` / `code-model` skip importing mlflow). */
  runtime: LoadedRuntime;
  /** Why `--runtime auto` used mlflow's loader, when it did. */
  fallbackReason?: string;
  environment: Pick<PreparedEnvironment, 'manager' | 'envDir' | 'pythonPath' | 'key' | 'built' | 'pythonVersion'>;
  warnings: string[];
  timings: { environmentMs: number; startMs: number; loadMs: number; parseMs: number; predictMs: number; encodeMs: number; totalMs: number };
  /** The worker's peak resident memory in KiB, when the platform reports it. */
  workerMaxRssKb?: number;
  /** Whether the worker started before mlf had loaded was used (worker/early-worker.ts). */
  earlyStart: EarlyStartOutcome;
}

export async function predict(options: PredictOptions): Promise<PredictResult> {
  const started = Date.now();
  const model = await readModelToRun(options.modelUri, { cwd: options.cwd, env: options.env, ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}), ...options.modelSource });
  const { inputPath, outputPath } = await checkPredictFiles(options);

  const { modelUri, modelSource: _m, inputPath: _i, inputData, outputPath: _o, contentType, runtime, strictJson, onStderr, onLog, earlyStart, ...envOptions } = options;
  const run = await prepareModelRun(model, modelUri, envOptions, runtime);
  const { environment, explain } = run;
  const environmentReady = Date.now();
  try {
    const session = await openModelSession({
      ...run.worker,
      ...(onStderr ? { onStderr } : {}),
      ...(onLog ? { onLog } : {}),
      ...(earlyStart ? { earlyStart } : {}),
    }).catch(explain);
    const workerReady = Date.now();
    try {
      const prediction = await session
        .predict({
          contentType,
          ...(inputPath !== undefined ? { inputPath } : { data: inputData! }),
          ...(outputPath !== undefined ? { outputPath } : {}),
          ...(strictJson ? { strictJson } : {}),
          ...(options.inputPath !== undefined ? { inputLabel: options.inputPath } : {}),
          ...(options.outputPath !== undefined ? { outputLabel: options.outputPath } : {}),
        })
        .catch(explain);
      earlyStart?.remember(session.info.launch, launchDependencies(model.dir, environment));
      const { info } = session;
      const { manager, envDir, pythonPath, key, built, pythonVersion } = environment;
      return {
        ...(prediction.output !== undefined ? { output: prediction.output } : {}),
        ...(outputPath !== undefined ? { outputPath } : {}),
        runtime: info.loader,
        ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}),
        environment: { manager, envDir, pythonPath, key, built, ...(pythonVersion ? { pythonVersion } : {}) },
        warnings: environment.warnings,
        ...(prediction.maxRssKb !== undefined ? { workerMaxRssKb: prediction.maxRssKb } : {}),
        earlyStart: info.earlyStart,
        timings: { environmentMs: environmentReady - started, startMs: workerReady - environmentReady, loadMs: info.loadMs, ...prediction.timings, totalMs: Date.now() - started },
      };
    } finally {
      await session.close();
    }
  } finally {
    await run.release();
  }
}

/**
 * What decided this run before its worker started: the next run of the same command may start
 * the same worker early as long as these did not change (early-worker.ts). The environment's
 * marker is rewritten on every use, so only its presence counts (without it the environment is
 * being rebuilt).
 */
function launchDependencies(modelDir: string, environment: PreparedEnvironment): { unchanged: string[]; present: string[] } {
  return {
    unchanged: [MLMODEL_FILE_NAME, REQUIREMENTS_FILE_NAME, PYTHON_ENV_FILE_NAME, CONDA_ENV_FILE_NAME].map((name) => path.join(modelDir, name)),
    present: environment.manager === 'local' ? [] : [markerPath(environment.envDir)],
  };
}
