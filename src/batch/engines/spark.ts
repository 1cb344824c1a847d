/**
 * `--engine spark`: the job as a PySpark application (mlf_worker/spark_job.py) submitted with
 * `spark-submit --master <--master>`. The model's prepared environment (with SPARK_EXTRA_REQUIREMENTS,
 * which ops/ adds when it prepares it for this engine) is packed (env/pack/) and shipped with
 * `--archives` together with the model directory; each executor's Python workers run the archive's
 * `bin/python` and call mlf_worker.batch.score_frame inside `mapInPandas`. Nothing builds or picks
 * an environment on an executor: the job refuses to score from any other Python.
 *
 * Spark writes the scored partitions into a staging directory inside OUTPUT_DIR's `_mlf_batch/tmp/`;
 * mlf then commits them under the batch protocol's names (batch/output.ts) and writes `_SUCCESS`
 * last, with what each executor's Python reported in `_mlf_batch/spark.json`. A Spark job restarts
 * as a whole: a rerun after a kill writes every part again (no per-part resume).
 *
 * INPUT and OUTPUT_DIR may be URIs (batch/uri.ts), handed to Spark unchanged. A URI OUTPUT_DIR is
 * committed by the job itself in the driver, through Hadoop's FileSystem (spark_job.py
 * commit_output): the same names, overwrite and `_SUCCESS`-last as here, without the per-part
 * records (nothing resumes a Spark job anyway).
 */
import { mkdir, mkdtemp, readdir, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { environmentError, inputError, usageError } from '../../errors.js';
import { runTool, isToolError } from '../../env/index.js';
import { packEnvironment } from '../../env/pack/pack-environment.js';
import { writeTarGz, type TarEntry } from '../../env/pack/archive.js';
import { workerFiles } from '../../worker/files.js';
import type { BatchEngine, BatchJob, BatchProgress, BatchResult } from '../engine.js';
import { jobKey, openOutput, STATE_DIR } from '../output.js';
import {
  EXECUTOR_ENV_DIR, EXECUTOR_MODEL_DIR, failureLine, findSparkSubmit, isLocalMaster, jobArguments, readSummary, submitArguments, submitEnvironment,
  type ShippedFiles, type SparkSummary, type SubmitPlan,
} from './spark-submit.js';
import type { EnvRecord } from '../../config/env-vars.js';

/** What Spark's Python workers import for `mapInPandas` besides the model's own requirements. */
export const SPARK_EXTRA_REQUIREMENTS = ['pandas', 'pyarrow'];
/** The default master: Spark inside the driver's JVM on this machine, one executor thread per core (no archive shipped). */
export const DEFAULT_MASTER = 'local[*]';
/** What each executor's Python reported, beside the output's state (readers skip `_` names). */
export const SPARK_RECORD_FILE = 'spark.json';
/** A Spark job may run for long; a hung one is still ended eventually. */
const SUBMIT_TIMEOUT_MS = 24 * 60 * 60_000;
/** Lines of Spark's log an error keeps (all shown with --verbose; one line without). */
const LOG_TAIL_LINES = 200;

export const sparkEngine: BatchEngine = {
  name: 'spark',
  extraRequirements: SPARK_EXTRA_REQUIREMENTS,
  run: runSparkJob,
};

async function runSparkJob(job: BatchJob, onProgress: (progress: BatchProgress) => void): Promise<BatchResult> {
  const started = Date.now();
  const env = job.worker.env;
  const sparkSubmit = findSparkSubmit(env);
  const { manager, envDir, key: envKey } = job.environment;
  if (manager !== 'uv' && manager !== 'virtualenv') {
    throw usageError('SPARK_ENV_MANAGER', `--engine spark ships a packed virtual environment, which --env-manager ${manager} does not make`, {
      hint: 'use --env-manager uv or --env-manager virtualenv',
    });
  }
  const bytesTotal = job.inputFiles.reduce((sum, file) => sum + file.size, 0);
  const progress = (partsDone: number, partsTotal: number, rowsDone: number) =>
    onProgress({
      partsTotal, partsDone, partsResumed: 0, files: job.inputFiles.length, rowsDone, rowsResumed: 0,
      bytesDone: partsDone === partsTotal && partsTotal > 0 ? bytesTotal : 0, bytesResumed: 0, bytesTotal, elapsedMs: Date.now() - started,
    });

  const master = job.master ?? DEFAULT_MASTER;
  const worker = workerFiles();
  // A URI output has no local directory: the job stages, renames and writes `_SUCCESS` through Hadoop's FileSystem itself.
  const output = job.outputUri ? undefined : await openLocalOutput(job);
  progress(0, 0, 0);
  const stateDir = output ? path.dirname(output.tmpPath(0)) : await mkdtemp(path.join(tmpdir(), 'mlf-spark-'));
  const work = path.join(stateDir, 'spark-submit');
  const staging = path.join(stateDir, 'spark-parts');
  await mkdir(work, { recursive: true });
  try {
    const shipped = isLocalMaster(master) ? undefined : await shipFiles(job, work, { manager, envDir, key: envKey });
    const plan: SubmitPlan = {
      master,
      appName: `mlf batch-predict ${path.basename(job.modelDir)}`,
      ...(shipped ? { shipped } : {}),
      driverPython: job.environment.pythonPath,
      workerDir: path.dirname(worker.packageDir),
      jobScript: path.join(path.dirname(worker.launcher), 'mlf_spark_job.py'),
      jobArgs: jobArguments({
        inputs: job.inputUri ? [job.inputUri] : job.inputFiles.map((file) => file.path),
        format: job.format,
        output: job.outputUri ?? staging,
        commitOutput: job.outputUri !== undefined,
        modelDir: job.modelDir,
        executorModelDir: shipped ? EXECUTOR_MODEL_DIR : job.modelDir,
        executorEnvDir: shipped ? EXECUTOR_ENV_DIR : envDir,
        resultColumn: job.resultColumn,
        ...(job.partitions !== undefined ? { partitions: job.partitions } : {}),
        ...(job.columns ? { columns: job.columns } : {}),
      }),
    };
    const summary = await submit(sparkSubmit, submitArguments(plan), submitEnvironment(plan, env), job);

    const parts = summary.parts;
    if (output) {
      // Spark's parts, in partition order, become part-00000... under the protocol's commit.
      for (const [index, part] of parts.entries()) {
        await rename(path.join(staging, part.file), output.tmpPath(index));
        await output.commit({ index, slices: [] }, part.rows);
        progress(index + 1, parts.length, parts.slice(0, index + 1).reduce((sum, p) => sum + p.rows, 0));
      }
      await writeFile(path.join(job.outputDir, STATE_DIR, SPARK_RECORD_FILE), `${JSON.stringify({ application_id: summary.application_id, executors: summary.executors }, null, 2)}\n`);
      await rm(work, { recursive: true, force: true });
      await rm(staging, { recursive: true, force: true });
      await output.finish();
    } else progress(parts.length, parts.length, summary.rows);
    return {
      engine: 'spark',
      outputDir: job.outputDir,
      format: job.format,
      files: job.inputFiles.length,
      partitions: parts.length,
      partsWritten: parts.length,
      partsResumed: 0,
      rows: summary.rows,
      elapsedMs: Date.now() - started,
      workers: new Set(summary.executors.map((record) => `${record.host}/${record.executor_id}`)).size,
    };
  } finally {
    if (!output) await rm(stateDir, { recursive: true, force: true });
  }
}

function openLocalOutput(job: BatchJob) {
  const key = jobKey({
    engine: 'spark', identity: job.identity, inputs: job.inputFiles, ...(job.inputUri ? { inputUri: job.inputUri } : {}),
    format: job.format, partitions: job.partitions ?? null, columns: job.columns ?? null, resultColumn: job.resultColumn,
  });
  return openOutput(job.outputDir, { key, format: job.format, parts: [], shown: job.outputLabel });
}

/** The environment packed (env/pack/) and the model directory as a tar, for `--archives`. */
async function shipFiles(job: BatchJob, work: string, environment: { manager: 'uv' | 'virtualenv'; envDir: string; key: string }): Promise<ShippedFiles> {
  const packed = await packEnvironment({
    environment,
    worker: workerFiles(),
    output: path.join(work, 'env.tar.gz'),
    extraRequirements: job.environmentRequest.extraRequirements ?? SPARK_EXTRA_REQUIREMENTS,
    env: job.worker.env,
    cwd: job.worker.cwd,
  });
  const modelArchive = path.join(work, 'model.tar.gz');
  await writeTarGz(await directoryEntries(job.modelDir), modelArchive);
  return { envArchive: packed.archive, modelArchive, workerInArchive: packed.manifest.worker };
}

/** Runs spark-submit; its log goes to the job's stderr handler line by line. */
async function submit(sparkSubmit: string, args: string[], env: EnvRecord, job: BatchJob): Promise<SparkSummary> {
  const onStderr = job.onStderr;
  let stdout: string;
  try {
    ({ stdout } = await runTool('spark-submit', sparkSubmit, args, {
      cwd: job.worker.cwd,
      env,
      timeoutMs: SUBMIT_TIMEOUT_MS,
      ...(onStderr ? { onLine: (line: string) => onStderr(line) } : {}),
    }));
  } catch (error) {
    if (!isToolError(error)) throw error;
    const log = error.output ?? error.stderrTail;
    const detail = log.split('\n').slice(-LOG_TAIL_LINES).join('\n');
    if (error.notFound) throw usageError('SPARK_NOT_FOUND', `spark-submit could not be started: \`${sparkSubmit}\``);
    if (/JAVA_HOME is not set|java: not found|Unable to locate a Java/i.test(log)) {
      throw usageError('SPARK_NO_JAVA', 'spark-submit needs Java (17 or later), which is not installed or not on PATH', { hint: 'install a JRE (e.g. openjdk-17-jre-headless) or set JAVA_HOME', detail });
    }
    const line = failureLine(log);
    // The model's own refusal of the input (signature enforcement, missing columns) is bad input, as in predict.
    if (/mlf_worker\.errors\.(BadInput|SchemaError)|MlflowException: .*(schema|column)/i.test(line)) throw inputError('SPARK_JOB_INPUT', line, { detail });
    throw environmentError('SPARK_JOB_FAILED', `the Spark job failed: ${line}`, { detail });
  }
  const summary = readSummary(stdout);
  if (!summary) throw environmentError('SPARK_JOB_FAILED', 'the Spark job ended without its summary line', { detail: stdout.split('\n').slice(-LOG_TAIL_LINES).join('\n') });
  return summary;
}

/** Every file and directory of `dir`, paths relative to it, sorted: the model's archive. */
async function directoryEntries(dir: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const found = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const dirent of found) {
    const absolute = path.join(dirent.parentPath, dirent.name);
    const rel = path.relative(dir, absolute).split(path.sep).join('/');
    if (dirent.isDirectory()) entries.push({ type: 'dir', path: rel, mode: 0o755 });
    else if (dirent.isSymbolicLink()) entries.push({ type: 'symlink', path: rel, target: await readlink(absolute) });
    else if (dirent.isFile()) {
      const stats = await stat(absolute);
      entries.push({ type: 'file', path: rel, mode: stats.mode & 0o111 ? 0o755 : 0o644, source: absolute, size: stats.size });
    }
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
