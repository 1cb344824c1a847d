/**
 * The contract between `mlf models batch-predict` (ops/batch-predict.ts) and the engines that run
 * it: `BatchEngine.run(job, onProgress) -> BatchResult`. ops/ resolves the model, prepares its
 * environment, finds the input files (input.ts) and hands the engine a `BatchJob`; the engine
 * scores every input row into `job.outputDir` following the output protocol (output.ts: part
 * files `part-NNNNN.<ext>`, `_SUCCESS` written last, a rerun overwrites cleanly) and calls
 * `mlf_worker.batch.score_frame` on every slice of rows, so that each engine predicts exactly as
 * `mlf models predict` does.
 *
 * Engines: `local` (engines/local.ts: the serve pool's workers over the input's row groups and
 * byte ranges) and `spark` (engines/spark.ts: a PySpark job with the packed environment). An
 * engine module is loaded only when chosen; `ENGINE_LOADERS` is the registry.
 */
import { usageError } from '../errors.js';
import type { EnvRequest } from '../env/index.js';
import type { BatchFormat } from '../worker/protocol.js';
import type { OpenModelSessionOptions } from '../worker/session.js';

export const BATCH_ENGINES = ['local', 'spark'] as const;
export type BatchEngineName = (typeof BATCH_ENGINES)[number];

/** One input data file, as found (input.ts): its identity is part of the job's. */
export interface BatchInputFile {
  /** Absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface BatchJob {
  /** The model directory (a remote model URI already fetched into the model cache). */
  modelDir: string;
  /** How messages name the model (the user's words). */
  modelLabel: string;
  /** How this job's workers start: the prepared environment, loader, env (ops/model-run.ts). */
  worker: Pick<OpenModelSessionOptions, 'environment' | 'modelDir' | 'modelLabel' | 'loader' | 'env' | 'extraEnv' | 'cwd'>;
  /** The prepared environment's facts an engine may need (the spark engine packs it). */
  environment: { manager: string; envDir: string; pythonPath: string; key: string };
  /** What prepared the environment (manager, overrides, home): the spark engine's pack takes it. */
  environmentRequest: Omit<EnvRequest, 'model' | 'onProgress'>;
  /** INPUT as the user gave it (for messages). */
  input: string;
  /** The input's data files, sorted by path; at least one, unless the input is a URI. */
  inputFiles: BatchInputFile[];
  /** INPUT as a URI (batch/uri.ts; spark engine only): Spark reads it as given, inputFiles is empty. */
  inputUri?: string;
  /** The input's format; the output is written in the same one. */
  format: BatchFormat;
  /** Absolute path of OUTPUT_DIR, or the URI when outputUri is set. */
  outputDir: string;
  /** OUTPUT_DIR as a URI (spark engine only): the Spark job applies the output protocol through Hadoop's FileSystem. */
  outputUri?: string;
  /** OUTPUT_DIR as the user gave it (for messages). */
  outputLabel: string;
  /** `--partitions`: output parts at most (the local engine's default: one per input slice). */
  partitions?: number;
  /** `--columns`: the input columns the model gets, in this order (default: all). */
  columns?: string[];
  /** `--result-column`: the prediction's column (several: `<name>_<k>`, mlf_worker/batch/score.py). */
  resultColumn: string;
  /** The local engine's worker processes. */
  workers: number;
  /** `--master`: the spark engine's cluster. */
  master?: string;
  /** Rows read, scored and written at a time by a worker (its memory bound). */
  batchRows: number;
  /** Whatever besides the input and the plan decides the output (model, environment, loader): part of the job key. */
  identity: Record<string, unknown>;
  /** The worker's warnings and notes, and its stderr lines. */
  onLog?: OpenModelSessionOptions['onLog'];
  onStderr?: OpenModelSessionOptions['onStderr'];
}

/** Counts so far, sent whenever one changes (the CLI draws rows, files, rate and ETA from them). */
export interface BatchProgress {
  partsTotal: number;
  partsDone: number;
  /** Parts a killed run of the same job had completed, kept (output.ts). */
  partsResumed: number;
  files: number;
  rowsDone: number;
  /** Of rowsDone and bytesDone, what the resumed parts hold (a rate counts this run's work only). */
  rowsResumed: number;
  bytesResumed: number;
  /** Known when the input says (Parquet metadata); else undefined. */
  rowsTotal?: number;
  /** Input bytes of the parts done, and of all parts: the ETA's measure when rows are unknown. */
  bytesDone: number;
  bytesTotal: number;
  elapsedMs: number;
}

export interface BatchResult {
  engine: BatchEngineName;
  outputDir: string;
  format: BatchFormat;
  files: number;
  partitions: number;
  partsWritten: number;
  partsResumed: number;
  /** Rows in the output (resumed parts included). */
  rows: number;
  elapsedMs: number;
  workers: number;
  /** The largest peak resident memory of one worker, in KiB, when the platform tells. */
  workerMaxRssKb?: number;
}

export interface BatchEngine {
  readonly name: BatchEngineName;
  /** What the engine's Python needs besides the model's requirements (spark: pyarrow for mapInPandas); ops/ prepares the environment with them. */
  readonly extraRequirements?: readonly string[];
  run(job: BatchJob, onProgress: (progress: BatchProgress) => void): Promise<BatchResult>;
}

/** The engines, each loaded only when chosen; `undefined`: not in this mlf (yet). */
export const ENGINE_LOADERS: Record<BatchEngineName, (() => Promise<BatchEngine>) | undefined> = {
  local: async () => (await import('./engines/local.js')).localEngine,
  spark: async () => (await import('./engines/spark.js')).sparkEngine,
};

export async function loadEngine(name: BatchEngineName): Promise<BatchEngine> {
  const load = ENGINE_LOADERS[name];
  if (!load) throw usageError('ENGINE_NOT_AVAILABLE', `--engine ${name} is not available in this mlf`, { hint: 'use --engine local (the default)' });
  return load();
}
