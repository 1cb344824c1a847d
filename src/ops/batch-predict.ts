/**
 * `mlf models batch-predict`: find the model and the input files, build (or reuse) the model's
 * environment exactly as predict does (ops/model-run.ts), and hand the job to the chosen engine
 * (batch/engine.ts), which writes OUTPUT_DIR by the output protocol (batch/output.ts).
 * Everything a user can get wrong (the engine, the flags' values, the input) is refused before
 * the environment is built.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { EnvRequest, PreparedEnvironment } from '../env/index.js';
import { usageError } from '../errors.js';
import { acquireModelWriteLock } from '../model/write-lock.js';
import { loadEngine, type BatchEngineName, type BatchProgress, type BatchResult } from '../batch/engine.js';
import { discoverInput, type BatchInput } from '../batch/input.js';
import { createOutputDirectory, refuseForeignOutput } from '../batch/output.js';
import { formatOfUri, isStorageUri, localPathForLocalEngine } from '../batch/uri.js';
import type { BatchFormat, RuntimeChoice } from '../worker/protocol.js';
import type { WorkerOutputHandlers } from '../worker/worker-client.js';
import { prepareModelRun, readModelToRun } from './model-run.js';
import type { ModelSourceOptions } from './model-source.js';

/** Rows a worker reads, scores and writes at a time unless told otherwise. */
export const DEFAULT_BATCH_ROWS = 65_536;

export interface BatchPredictOptions extends Omit<EnvRequest, 'model'>, WorkerOutputHandlers {
  modelUri: string;
  modelSource?: ModelSourceOptions;
  /** INPUT: a file, a directory or a glob (resolved against `cwd`); with --engine spark also a URI (batch/uri.ts). */
  input: string;
  /** OUTPUT_DIR (resolved against `cwd`); with --engine spark also a URI. */
  outputDir: string;
  /** The input's format; default: from the files' extensions. */
  format?: BatchFormat;
  engine: BatchEngineName;
  master?: string;
  partitions?: number;
  columns?: string[];
  resultColumn: string;
  /** The local engine's worker processes. */
  workers: number;
  runtime?: RuntimeChoice;
  batchRows?: number;
  onBatchProgress?: (progress: BatchProgress) => void;
}

export interface BatchPredictReport extends BatchResult {
  environment: Pick<PreparedEnvironment, 'manager' | 'envDir' | 'pythonPath' | 'key' | 'built' | 'pythonVersion'>;
  warnings: string[];
}

export async function batchPredict(options: BatchPredictOptions): Promise<BatchPredictReport> {
  const engine = await loadEngine(options.engine);
  checkCounts(options);
  if (options.master !== undefined && options.engine !== 'spark') throw usageError('MASTER_WITHOUT_SPARK', '--master is for --engine spark');
  if (options.resultColumn.trim() === '') throw usageError('INVALID_OPTION_VALUE', 'invalid value `` for --result-column: give a column name');
  if (options.engine !== 'spark') {
    options = { ...options, input: localPathForLocalEngine(options.input, 'input'), outputDir: localPathForLocalEngine(options.outputDir, 'output') };
  }
  // A URI goes to Spark unchanged: mlf neither lists its files nor looks into its directory (the job commits a URI output itself).
  const inputUri = isStorageUri(options.input) ? options.input : undefined;
  const outputUri = isStorageUri(options.outputDir) ? options.outputDir : undefined;
  const input = inputUri
    ? { files: [], format: formatOfUri(inputUri, options.format) }
    : discoverInput(options.input, { cwd: options.cwd, ...(options.format ? { format: options.format } : {}) });
  const outputPath = outputUri ? undefined : path.resolve(options.cwd, options.outputDir);
  if (outputPath) refuseForeignOutput(outputPath, options.outputDir);
  // Held from here to the end, so that a second run into the same directory is refused at once
  // instead of interleaving its parts with this one's (or overwriting them once this one is done).
  const releaseOutput = outputPath ? await lockOutputDirectory(outputPath, options.outputDir) : async () => undefined;
  try {
    return await runJob(options, engine, input, inputUri, outputUri);
  } finally {
    await releaseOutput();
  }
}

async function runJob(
  options: BatchPredictOptions,
  engine: Awaited<ReturnType<typeof loadEngine>>,
  input: BatchInput,
  inputUri: string | undefined,
  outputUri: string | undefined,
): Promise<BatchPredictReport> {
  const model = await readModelToRun(options.modelUri, { cwd: options.cwd, env: options.env, ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}), ...options.modelSource });

  const {
    modelUri, modelSource: _modelSource, input: _input, outputDir, format: _format, engine: _engine, master, partitions, columns, resultColumn, workers, runtime, batchRows,
    onBatchProgress, onLog, onStderr, ...envOptions
  } = options;
  const envRequest = engine.extraRequirements?.length
    ? { ...envOptions, extraRequirements: [...(envOptions.extraRequirements ?? []), ...engine.extraRequirements] }
    : envOptions;
  const run = await prepareModelRun(model, modelUri, envRequest, runtime);
  const { environment } = run;
  try {
    const result = await engine
      .run(
        {
          modelDir: model.dir,
          modelLabel: run.worker.modelLabel ?? model.dir,
          worker: run.worker,
          environment: { manager: environment.manager, envDir: environment.envDir, pythonPath: environment.pythonPath, key: environment.key },
          environmentRequest: envRequest,
          input: options.input,
          inputFiles: input.files,
          ...(inputUri ? { inputUri } : {}),
          format: input.format,
          outputDir: outputUri ?? path.resolve(options.cwd, outputDir),
          ...(outputUri ? { outputUri } : {}),
          outputLabel: outputDir,
          ...(partitions !== undefined ? { partitions } : {}),
          ...(columns ? { columns } : {}),
          resultColumn,
          workers,
          ...(master !== undefined ? { master } : {}),
          batchRows: batchRows ?? DEFAULT_BATCH_ROWS,
          identity: { model: modelFiles(model.dir), mlmodel: model.mlmodelText, environment: environment.key, runtime: runtime ?? 'auto' },
          ...(onLog ? { onLog } : {}),
          ...(onStderr ? { onStderr } : {}),
        },
        onBatchProgress ?? (() => undefined),
      )
      .catch(run.explain);
    const { manager, envDir, pythonPath, key, built, pythonVersion } = environment;
    return { ...result, environment: { manager, envDir, pythonPath, key, built, ...(pythonVersion ? { pythonVersion } : {}) }, warnings: environment.warnings };
  } finally {
    await run.release();
  }
}

/**
 * Takes OUTPUT_DIR's `.mlf-lock` (created first if missing: the lock lives inside it), refusing
 * with one line while another live mlf holds it; a killed run's lock is taken over. The release
 * also removes a directory this run created and left empty (a run that failed before writing).
 */
async function lockOutputDirectory(outputPath: string, shown: string): Promise<() => Promise<void>> {
  const existed = existsSync(outputPath);
  if (!existed) createOutputDirectory(outputPath, shown);
  const release = await acquireModelWriteLock(outputPath, { timeoutMs: 0, displayPath: shown, doing: 'written' });
  return async () => {
    await release();
    if (!existed) await rmdir(outputPath).catch(() => undefined);
  };
}

function checkCounts(options: BatchPredictOptions): void {
  const whole = (value: number | undefined, flag: string) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw usageError('INVALID_OPTION_VALUE', `invalid value \`${value}\` for ${flag}: give a whole number of at least 1`);
  };
  whole(options.partitions, '--partitions');
  whole(options.workers, '--workers');
  whole(options.batchRows, '--batch-rows');
}

/** The model directory's files (relative path, size, modification time): a changed model file is another job. */
function modelFiles(dir: string): [string, number, number][] {
  const files: [string, number, number][] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative)).sort()) {
      const child = path.join(relative, name);
      // lstat: a symlinked directory is recorded, not followed (no loop).
      const stats = lstatSync(path.join(dir, child), { throwIfNoEntry: false });
      if (!stats) continue;
      if (stats.isDirectory()) walk(child);
      else files.push([child, stats.size, stats.mtimeMs]);
    }
  };
  walk('');
  return files;
}
