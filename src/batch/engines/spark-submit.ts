/**
 * The spark engine's side of `spark-submit`: where it is, the command line that ships the packed
 * environment and the model, and what a failed run's log comes down to in one line.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENV, type EnvRecord } from '../../config/env-vars.js';
import { usageError } from '../../errors.js';
import type { BatchFormat } from '../../worker/protocol.js';

/** Where an executor finds what `--archives` ships (`<archive>#<name>` unpacks into `./<name>/`). */
export const EXECUTOR_ENV_DIR = 'mlfenv';
export const EXECUTOR_MODEL_DIR = 'mlfmodel';
/** The job's last line on stdout (mlf_worker/spark_job.py SUMMARY_PREFIX). */
export const SUMMARY_PREFIX = 'mlf-spark-summary: ';

/** `$SPARK_HOME/bin/spark-submit` when SPARK_HOME is set, else `spark-submit` on PATH (pip's pyspark puts one there). */
export function findSparkSubmit(env: EnvRecord): string {
  const home = env[ENV.SPARK_HOME];
  if (home) {
    const submit = path.join(home, 'bin', 'spark-submit');
    if (isExecutable(submit)) return submit;
    throw usageError('SPARK_NOT_FOUND', `SPARK_HOME is \`${home}\`, which has no bin/spark-submit`, {
      hint: 'point SPARK_HOME at a Spark installation (or the `pyspark` package directory of `pip install pyspark`)',
    });
  }
  for (const dir of (env[ENV.PATH] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const submit = path.join(dir, 'spark-submit');
    if (isExecutable(submit)) return submit;
  }
  throw usageError('SPARK_NOT_FOUND', '`--engine spark` needs spark-submit: SPARK_HOME is not set and no spark-submit is on PATH', {
    hint: 'install Spark (e.g. `pip install pyspark` and Java 17) or set SPARK_HOME',
  });
}

function isExecutable(file: string): boolean {
  try {
    return existsSync(file) && statSync(file).isFile() && (statSync(file).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** What `--archives` ships to a cluster's executors. */
export interface ShippedFiles {
  envArchive: string;
  modelArchive: string;
  /** The packed environment's worker directory, relative to its root (the manifest's `worker`). */
  workerInArchive: string;
}

export interface SubmitPlan {
  master: string;
  appName: string;
  /** Undefined for a `local` master: its executors are threads of the driver, on this machine. */
  shipped?: ShippedFiles;
  /** The driver's Python: the environment as cached on this machine (also a local master's executors'). */
  driverPython: string;
  /** mlf's worker directory (holding `mlf_worker`) on this machine. */
  workerDir: string;
  /** The job's launcher script (src/worker/mlf_spark_job.py). */
  jobScript: string;
  /** The job's own arguments (mlf_worker/spark_job.py parse_args). */
  jobArgs: string[];
}

/** What the job (mlf_worker/spark_job.py parse_args) is told; `output` is the staging directory, or the URI the job commits itself. */
export interface JobPlan {
  /** Local files (absolute paths) or one URI, read by Spark as given. */
  inputs: string[];
  format: BatchFormat;
  output: string;
  /** Whether the job applies the output protocol to `output` itself (a URI OUTPUT_DIR) instead of leaving Spark's parts for mlf. */
  commitOutput: boolean;
  modelDir: string;
  executorModelDir: string;
  executorEnvDir: string;
  resultColumn: string;
  partitions?: number;
  columns?: string[];
}

export function jobArguments(plan: JobPlan): string[] {
  return [
    ...plan.inputs.flatMap((input) => ['--input', input]),
    '--input-format', plan.format,
    '--output', plan.output,
    '--output-format', plan.format,
    ...(plan.commitOutput ? ['--commit-output'] : []),
    '--model-dir', plan.modelDir,
    '--executor-model-dir', plan.executorModelDir,
    '--executor-env-dir', plan.executorEnvDir,
    '--result-column', plan.resultColumn,
    ...(plan.partitions !== undefined ? ['--partitions', String(plan.partitions)] : []),
    ...(plan.columns ? ['--columns', JSON.stringify(plan.columns)] : []),
  ];
}

/** `local`, `local[N]`, `local[*]`, `local[N,F]`: Spark inside the driver's JVM (`local-cluster[...]` starts real executors). */
export function isLocalMaster(master: string): boolean {
  return master === 'local' || master.startsWith('local[');
}

/**
 * spark-submit's arguments. A cluster's executors run `./mlfenv/bin/python` from the shipped
 * archive, with mlf's worker on its PYTHONPATH (Spark puts its own pyspark.zip before it); the
 * driver runs the cached environment's Python, which has what the job imports (pyarrow, pandas,
 * the model's libraries). A local master's executors run that same cached Python: nothing to
 * ship (Spark starts their Python workers outside the archives' directory, so `./mlfenv` would
 * not be found there anyway); spark-submit's PYTHONPATH (submitEnvironment) reaches them.
 */
export function submitArguments(plan: SubmitPlan): string[] {
  const python = plan.shipped
    ? [
        '--archives', `${plan.shipped.envArchive}#${EXECUTOR_ENV_DIR},${plan.shipped.modelArchive}#${EXECUTOR_MODEL_DIR}`,
        '--conf', `spark.pyspark.python=./${EXECUTOR_ENV_DIR}/bin/python`,
        '--conf', `spark.pyspark.driver.python=${plan.driverPython}`,
        '--conf', `spark.executorEnv.PYTHONPATH=./${EXECUTOR_ENV_DIR}/${plan.shipped.workerInArchive}`,
      ]
    : ['--conf', `spark.pyspark.python=${plan.driverPython}`, '--conf', `spark.pyspark.driver.python=${plan.driverPython}`];
  return ['--master', plan.master, '--deploy-mode', 'client', '--name', plan.appName, ...python, plan.jobScript, ...plan.jobArgs];
}

/** spark-submit's environment: the user's, with mlf's worker on PYTHONPATH for a local master's Python workers. */
export function submitEnvironment(plan: SubmitPlan, env: EnvRecord): EnvRecord {
  if (plan.shipped) return env;
  const existing = env[ENV.PYTHONPATH];
  return { ...env, [ENV.PYTHONPATH]: existing ? `${plan.workerDir}${path.delimiter}${existing}` : plan.workerDir };
}

/** The job's summary (its last SUMMARY_PREFIX line), or undefined when it printed none. */
export function readSummary(stdout: string): SparkSummary | undefined {
  const line = stdout.split('\n').reverse().find((text) => text.startsWith(SUMMARY_PREFIX));
  if (!line) return undefined;
  return JSON.parse(line.slice(SUMMARY_PREFIX.length)) as SparkSummary;
}

/** What each Python worker on an executor reported (mlf_worker/spark_job.py check_shipped_environment). */
export interface ExecutorRecord {
  executable: string;
  prefix: string;
  cwd: string;
  host: string;
  pid: number;
  executor_id: string;
  partition: number;
  rows: number;
}

export interface SparkSummary {
  rows: number;
  application_id: string;
  /** Spark's part files in the staging directory, in partition order, with their rows. */
  parts: { file: string; partition: number; rows: number }[];
  executors: ExecutorRecord[];
}

/**
 * The one line that says why a Spark run failed, from its log: the Python exception a task or the
 * driver raised (`SomeError: message`), else Spark's own first ERROR or Exception line, else the last line.
 */
export function failureLine(log: string): string {
  const lines = log.split('\n').map((line) => line.trimEnd()).filter(Boolean);
  const python = lines.filter((line) => /^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Input|Refused)\b: /.test(line) && !/^\s*at /.test(line));
  const fromPython = python.find((line) => /^mlf_worker\./.test(line)) ?? python.find((line) => !/^(?:py4j|java|org\.apache|pyspark)\./.test(line)) ?? python[0];
  if (fromPython) return fromPython;
  const spark = lines.find((line) => / ERROR |Exception in thread|^Error: /.test(line));
  return spark ?? lines.at(-1) ?? 'spark-submit failed without output';
}
