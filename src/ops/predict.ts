/**
 * `mlf models predict`: find the model, build (or reuse) its environment, start the worker in
 * it, predict once, and hand back the output exactly as `mlflow models predict` writes it.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { inputError, isMlfError } from '../errors.js';
import { checkRegularFileSync, FILE_NOT_FOUND } from '../fs/read-regular-file.js';
import { refuseSpecialFilesSync } from '../fs/special-files.js';
import { markInUse, prepareEnvironment, resolveMlfHome, type EnvRequest, type PreparedEnvironment } from '../env/index.js';
import { markerPath } from '../env/marker.js';
import { CONDA_ENV_FILE_NAME, MLMODEL_FILE_NAME, PYTHON_ENV_FILE_NAME, REQUIREMENTS_FILE_NAME } from '../model/file-names.js';
import { readModelDirectory, resolveModelUri } from '../model/model-directory.js';
import type { EarlyStartOutcome, rememberLaunch, takeEarlyWorker } from '../worker/early-worker.js';
import type { ContentType, LoadedRuntime, RuntimeChoice, WorkerLog } from '../worker/protocol.js';
import { WorkerClient } from '../worker/worker-client.js';
import { explainMissingModule } from './missing-module-hint.js';
import { LOCAL_MODEL_CACHE_BUCKET, MODEL_CACHE_DIR, PYCACHE_BUCKET } from './predict-caches.js';

export interface PredictOptions extends Omit<EnvRequest, 'modelDir'> {
  /** The model as the user typed it: a path or a `file://` URI. */
  modelUri: string;
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
  /** Each stderr line of the worker (MLflow's logging, the model's prints). */
  onWorkerLog?: (line: string) => void;
  /** Each `log` message of the worker (its warnings, and notes for --verbose). */
  onWorkerMessage?: (log: WorkerLog) => void;
  /** Flags of this run to repeat in the commands a missing-module error suggests. */
  fixArgs?: string[];
  /** bin/mlf.js's early start (worker/early-worker.ts); callers running mlf in-process leave it out. */
  earlyStart?: { take: typeof takeEarlyWorker; remember: typeof rememberLaunch };
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
  const modelDir = resolveModelUri(options.modelUri, options.cwd);
  // Read (and so validate) the directory before anything slow: a missing MLmodel is exit 2 at once.
  await readModelDirectory(modelDir, { displayPath: options.modelUri });
  refuseSpecialFilesSync(modelDir, options.modelUri);

  if ((options.inputPath === undefined) === (options.inputData === undefined)) {
    throw inputError('NO_INPUT', 'give the input as a file (`-i input.json`) or on stdin (`-i -`)');
  }
  const inputPath = options.inputPath === undefined ? undefined : path.resolve(options.cwd, options.inputPath);
  if (inputPath !== undefined) await requireFile(inputPath, options.inputPath!);
  const outputPath = options.outputPath === undefined ? undefined : path.resolve(options.cwd, options.outputPath);
  if (outputPath !== undefined) await requireDirectory(path.dirname(outputPath), options.outputPath!);

  const { modelUri, inputPath: _i, inputData, outputPath: _o, contentType, runtime, strictJson, onWorkerLog, onWorkerMessage, fixArgs, earlyStart, ...envOptions } = options;
  const environment = await prepareEnvironment({ ...envOptions, modelDir });
  const environmentReady = Date.now();
  // While the worker runs, `mlf envs prune` leaves this environment alone.
  const releaseEnvironment = environment.manager === 'local' ? async () => undefined : await markInUse(environment.envDir);
  try {
    const mlfHome = resolveMlfHome({ mlfHome: options.mlfHome, env: options.env, cwd: options.cwd });
    const fixContext = {
      modelArg: modelUri,
      inputArg: options.inputPath ?? '-',
      ...(fixArgs ? { extraArgs: fixArgs } : {}),
      ...(environment.manager === 'local' ? { localPython: environment.pythonPath } : {}),
    };
    /**
     * A missing module's hint (ops/missing-module-hint.ts): a distribution only when something
     * vouches that it installs the module, pinned to the version an install would pick today;
     * never a requirement the model already lists; otherwise the code_paths advice.
     */
    const pinMissingModule = (error: unknown): Promise<never> =>
      explainMissingModule(error, {
        modelDir,
        manager: environment.manager,
        pythonPath: environment.pythonPath,
        ...(environment.pythonVersion ? { pythonVersion: environment.pythonVersion } : {}),
        envDir: environment.envDir,
        override: options.pipRequirementsOverride ?? [],
        fix: fixContext,
        mlfHome,
        env: options.env,
        cwd: options.cwd,
      });

    const client = await WorkerClient.start({
      pythonPath: environment.pythonPath,
      modelDir,
      runtime: runtime ?? 'auto',
      env: options.env,
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
      cwd: options.cwd,
      pycachePrefix: path.join(mlfHome, PYCACHE_BUCKET),
      modelCacheDir: environment.manager === 'local' ? path.join(mlfHome, LOCAL_MODEL_CACHE_BUCKET) : path.join(environment.envDir, MODEL_CACHE_DIR),
      ...(onWorkerLog ? { onLog: onWorkerLog } : {}),
      ...(onWorkerMessage ? { onWorkerLog: onWorkerMessage } : {}),
      ...(earlyStart ? { adopt: earlyStart.take } : {}),
      fixContext,
      // Messages name files as the user did: `-m model` shows `model/MLmodel`.
      modelLabel: /^file:/i.test(modelUri) ? modelDir : modelUri,
    }).catch(pinMissingModule);
    const workerReady = Date.now();
    try {
      const reply = await client.predict({
        contentType,
        ...(inputPath !== undefined ? { inputPath } : { data: inputData! }),
        ...(outputPath !== undefined ? { outputPath } : {}),
        ...(strictJson ? { strictJson } : {}),
        ...(options.inputPath !== undefined ? { inputLabel: options.inputPath } : {}),
        ...(options.outputPath !== undefined ? { outputLabel: options.outputPath } : {}),
      }).catch(pinMissingModule);
      // What decided this run before its worker started: the next run of the same command may
      // start the same worker early as long as these did not change (early-worker.ts). The
      // environment's marker is rewritten on every use, so only its presence counts (without it
      // the environment is being rebuilt).
      earlyStart?.remember(client.launch, {
        unchanged: [MLMODEL_FILE_NAME, REQUIREMENTS_FILE_NAME, PYTHON_ENV_FILE_NAME, CONDA_ENV_FILE_NAME].map((name) => path.join(modelDir, name)),
        present: environment.manager === 'local' ? [] : [markerPath(environment.envDir)],
      });
      const { runtime: loaded } = client;
      return {
        ...(reply.output !== undefined ? { output: reply.output } : {}),
        ...(outputPath !== undefined ? { outputPath } : {}),
        runtime: loaded.name,
        ...(loaded.fallbackReason ? { fallbackReason: loaded.fallbackReason } : {}),
        environment: {
          manager: environment.manager,
          envDir: environment.envDir,
          pythonPath: environment.pythonPath,
          key: environment.key,
          built: environment.built,
          ...(environment.pythonVersion ? { pythonVersion: environment.pythonVersion } : {}),
        },
        warnings: environment.warnings,
        ...(reply.max_rss_kb !== undefined ? { workerMaxRssKb: reply.max_rss_kb } : {}),
        earlyStart: client.earlyStart,
        timings: {
          environmentMs: environmentReady - started,
          startMs: workerReady - environmentReady,
          loadMs: loaded.loadMs,
          parseMs: reply.timings.parse_ms,
          predictMs: reply.timings.predict_ms,
          encodeMs: reply.timings.encode_ms,
          totalMs: Date.now() - started,
        },
      };
    } finally {
      await client.close();
    }
  } finally {
    await releaseEnvironment();
  }
}

/**
 * The worker reads the input itself (it may be large, so there is no size limit), but only once
 * mlf has seen a regular file there: `/dev/zero` or a FIFO would hang the worker, and a dangling
 * symlink is named as such. Stdin (`-i -`) comes as `inputData` and never gets here.
 */
async function requireFile(absolute: string, shown: string): Promise<void> {
  try {
    checkRegularFileSync(absolute, { shown });
  } catch (error) {
    if (isMlfError(error) && error.code === FILE_NOT_FOUND) {
      throw inputError('INPUT_NOT_FOUND', `the input file \`${shown}\` does not exist`);
    }
    throw error;
  }
}

async function requireDirectory(absolute: string, shownFile: string): Promise<void> {
  const stats = await stat(absolute).catch(() => undefined);
  if (stats === undefined || !stats.isDirectory()) {
    throw inputError('OUTPUT_DIR_NOT_FOUND', `cannot write \`${shownFile}\`: the directory \`${absolute}\` does not exist`);
  }
}
