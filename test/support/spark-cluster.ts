/**
 * A real Spark standalone cluster for e2e tests, on this machine only: one master and two workers,
 * each its own `spark-class` JVM (`org.apache.spark.deploy.master.Master`, `...worker.Worker`), as
 * Spark's sbin/start-master.sh and start-worker.sh start them, from the PySpark of MLF_E2E_SPARK_HOME
 * (.ci/run makes it from test/e2e/spark.lock).
 *
 * Loopback only: SPARK_LOCAL_IP=127.0.0.1 (what the RPC servers, block managers and web UIs bind
 * to, executors included, since they inherit the worker's environment), `--host 127.0.0.1`, every
 * port a free one on 127.0.0.1. Small: one core and `workerMemory` per worker, a 256 MB daemon heap.
 * Everything the cluster writes (logs, the workers' work dirs with the executors' stdout/stderr and
 * unpacked archives) lives in one temp directory; `stop` kills the JVMs' process groups (executors
 * and their Python workers are in them) and every cluster still running when the test process
 * exits is killed too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';
import { freePort } from './mlflow-server.js';
import { killGroup, trackGroup } from './process-groups.js';
import { tempDir } from './temp.js';

export interface SparkCluster {
  /** `spark://127.0.0.1:<port>`: what `--master` is set to. */
  masterUrl: string;
  /** The master's web UI (its `/json/` lists the workers and applications). */
  masterUiUrl: string;
  /** The temp directory holding everything the cluster writes (removed with the test file's others). */
  dir: string;
  /** SPARK_HOME: PySpark's package directory, with bin/spark-submit. */
  sparkHome: string;
  /** A SPARK_CONF_DIR whose spark-defaults.conf keeps a driver on 127.0.0.1 (no driver UI, small executors). */
  confDir: string;
  /** The environment a spark-submit against this cluster runs with (SPARK_HOME, SPARK_CONF_DIR, SPARK_LOCAL_IP, JAVA_HOME if known). */
  env: Record<string, string>;
  /** Each worker's work dir: `<app-id>/<executor-id>/` holds an executor's stdout, stderr and unpacked archives. */
  workerDirs: string[];
  /** The daemons' output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface SparkClusterOptions {
  workers?: number;
  /** Memory each worker offers its executors (Spark's `--memory`), e.g. '1g'. */
  workerMemory?: string;
  /** spark.executor.memory in the driver's defaults; at most workerMemory. */
  executorMemory?: string;
}

const READY_TIMEOUT_MS = 180_000;

/** PySpark's SPARK_HOME from MLF_E2E_SPARK_HOME or the .e2e/spark venv, or undefined when neither is there. */
export function e2eSparkHome(): string | undefined {
  const fromEnv = process.env.MLF_E2E_SPARK_HOME;
  if (fromEnv) return existsSync(path.join(fromEnv, 'bin', 'spark-submit')) ? fromEnv : undefined;
  const lib = path.join(repoRoot, '.e2e', 'spark', 'lib');
  if (!existsSync(lib)) return undefined;
  for (const entry of readdirSync(lib)) {
    const home = path.join(lib, entry, 'site-packages', 'pyspark');
    if (existsSync(path.join(home, 'bin', 'spark-submit'))) return home;
  }
  return undefined;
}

/** Why a Spark cluster cannot start here, or undefined when it can. */
export function sparkUnavailableReason(): string | undefined {
  if (!e2eSparkHome()) return 'no PySpark test environment (MLF_E2E_SPARK_HOME or .e2e/spark; .ci/run makes it)';
  if (!javaHome() && !onPath('java')) return 'no java (openjdk-17-jre-headless; .ci/run installs it)';
  return undefined;
}

export async function startSparkCluster(options: SparkClusterOptions = {}): Promise<SparkCluster> {
  const sparkHome = e2eSparkHome();
  if (!sparkHome) throw new Error(`startSparkCluster: ${sparkUnavailableReason()}`);
  const workers = options.workers ?? 2;
  const dir = tempDir('mlf-spark-cluster-');
  const confDir = path.join(dir, 'conf');
  mkdirSync(confDir);
  // Spark's JVMs put their scratch dirs (spark-<uuid>/, blockmgr-*) under java.io.tmpdir or
  // spark.local.dir, and HotSpot its hsperfdata under /tmp whatever TMPDIR says: both are kept
  // inside the cluster's temp dir, which the test removes.
  const scratch = path.join(dir, 'scratch');
  mkdirSync(scratch);
  const jvmOptions = `-Djava.io.tmpdir=${scratch} -XX:-UsePerfData`;
  writeFileSync(
    path.join(confDir, 'spark-defaults.conf'),
    [
      'spark.driver.host 127.0.0.1',
      'spark.driver.bindAddress 127.0.0.1',
      'spark.ui.enabled false',
      `spark.executor.memory ${options.executorMemory ?? '512m'}`,
      'spark.driver.memory 512m',
      // A job starts once every worker's executor has registered, so that both take part.
      'spark.scheduler.minRegisteredResourcesRatio 1.0',
      'spark.scheduler.maxRegisteredResourcesWaitingTime 120s',
      // Fewer shuffle partitions than Spark's 200: the test's data is small.
      'spark.sql.shuffle.partitions 4',
      `spark.local.dir ${scratch}`,
      `spark.driver.extraJavaOptions ${jvmOptions}`,
      `spark.executor.extraJavaOptions ${jvmOptions}`,
      '',
    ].join('\n'),
  );
  const java = javaHome();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    SPARK_HOME: sparkHome,
    SPARK_CONF_DIR: confDir,
    SPARK_LOCAL_IP: '127.0.0.1',
    SPARK_LOCAL_HOSTNAME: '127.0.0.1',
    SPARK_LOG_DIR: path.join(dir, 'logs'),
    SPARK_PID_DIR: path.join(dir, 'pids'),
    SPARK_DAEMON_MEMORY: '256m',
    SPARK_NO_DAEMONIZE: '1',
    SPARK_LOCAL_DIRS: scratch,
    SPARK_DAEMON_JAVA_OPTS: jvmOptions,
    SPARK_LAUNCHER_OPTS: jvmOptions,
    ...(java ? { JAVA_HOME: java } : {}),
  };
  // The test's own environment must not point the daemons at another Spark, master or Python.
  for (const name of ['SPARK_MASTER_HOST', 'SPARK_MASTER_PORT', 'SPARK_WORKER_DIR', 'PYSPARK_PYTHON', 'PYSPARK_DRIVER_PYTHON']) delete env[name];

  let output = '';
  const daemons: ChildProcess[] = [];
  const startDaemon = (name: string, className: string, args: string[]) => {
    const child = spawn(path.join(sparkHome, 'bin', 'spark-class'), [className, ...args], {
      cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackGroup(child);
    daemons.push(child);
    const collect = (chunk: string) => (output += chunk.split('\n').map((line) => (line ? `[${name}] ${line}` : line)).join('\n'));
    child.stdout!.setEncoding('utf8').on('data', collect);
    child.stderr!.setEncoding('utf8').on('data', collect);
  };
  const stop = async () => {
    await Promise.all(daemons.map(killGroup));
  };

  try {
    const masterPort = await freePort();
    const masterUiPort = await freePort();
    const masterUrl = `spark://127.0.0.1:${masterPort}`;
    startDaemon('master', 'org.apache.spark.deploy.master.Master', ['--host', '127.0.0.1', '--port', String(masterPort), '--webui-port', String(masterUiPort)]);
    const masterUiUrl = `http://127.0.0.1:${masterUiPort}`;
    const workerDirs: string[] = [];
    for (let index = 0; index < workers; index += 1) {
      const workDir = path.join(dir, `worker-${index}`);
      mkdirSync(workDir);
      workerDirs.push(workDir);
      startDaemon(`worker-${index}`, 'org.apache.spark.deploy.worker.Worker', [
        '--host', '127.0.0.1', '--port', String(await freePort()), '--webui-port', String(await freePort()),
        '--cores', '1', '--memory', options.workerMemory ?? '1g', '--work-dir', workDir, masterUrl,
      ]);
    }
    await waitForWorkers(masterUiUrl, workers, daemons, () => output);
    const submitEnv: Record<string, string> = {
      SPARK_HOME: sparkHome, SPARK_CONF_DIR: confDir, SPARK_LOCAL_IP: '127.0.0.1', SPARK_LOCAL_DIRS: scratch,
      SPARK_SUBMIT_OPTS: jvmOptions, SPARK_LAUNCHER_OPTS: jvmOptions,
      ...(java ? { JAVA_HOME: java } : {}),
    };
    return { masterUrl, masterUiUrl, dir, sparkHome, confDir, env: submitEnv, workerDirs, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The directories of every executor the cluster ran: `<workDir>/<app-id>/<executor-id>/`. */
export function executorDirs(cluster: SparkCluster): string[] {
  const found: string[] = [];
  for (const workDir of cluster.workerDirs) {
    for (const app of readdirSync(workDir)) {
      const appDir = path.join(workDir, app);
      if (!statSync(appDir).isDirectory()) continue;
      for (const executor of readdirSync(appDir)) found.push(path.join(appDir, executor));
    }
  }
  return found;
}

interface MasterState {
  status?: string;
  workers?: { state?: string }[];
}

/** Polls the master's `/json/` until it is ALIVE with `count` ALIVE workers. */
async function waitForWorkers(uiUrl: string, count: number, daemons: ChildProcess[], output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const dead = daemons.find((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead) throw new Error(`a Spark daemon exited (${dead.exitCode ?? dead.signalCode}) before the cluster was ready:\n${tail(output())}`);
    try {
      const response = await fetch(`${uiUrl}/json/`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        const state = (await response.json()) as MasterState;
        const alive = (state.workers ?? []).filter((worker) => worker.state === 'ALIVE').length;
        if (state.status === 'ALIVE' && alive >= count) return;
      }
    } catch {
      // The master's UI is not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Spark cluster had not ${count} live workers within ${READY_TIMEOUT_MS / 1000} s:\n${tail(output())}`);
}

/** JAVA_HOME, or the JDK the `java` on PATH belongs to; undefined leaves spark-class to find java on PATH. */
function javaHome(): string | undefined {
  return process.env.JAVA_HOME && existsSync(path.join(process.env.JAVA_HOME, 'bin', 'java')) ? process.env.JAVA_HOME : undefined;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, command)));
}

function tail(text: string): string {
  return text.split('\n').slice(-40).join('\n');
}

