/**
 * `mlf models serve`: find the model, build (or reuse) its environment exactly as predict does,
 * start the worker pool (serve/pool.ts) and the HTTP server (serve/http-server.ts) with MLflow's
 * routes (serve/mlflow-routes.ts) and /metrics, and hand back a handle: `{ url, close() }`.
 * With `--max-batch-size` above 1, the batcher (serve/batcher.ts) sits between the routes and the
 * pool; the Open Inference routes (serve/v2-routes.ts) are mounted when `protocols` includes `v2`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EnvRequest, PreparedEnvironment } from '../env/index.js';
import { usageError } from '../errors.js';
import type { AccessRecord } from '../serve/access-log.js';
import { DRAIN_GRACE_MS, startHttpServer, type Route } from '../serve/http-server.js';
import { createMetrics } from '../serve/metrics.js';
import { createBatcher } from '../serve/batcher.js';
import { mlflowRoutes } from '../serve/mlflow-routes.js';
import { v2ModelIdentity, v2Routes } from '../serve/v2-routes.js';
import { Pool, type HttpResult, type InvokeItem, type PoolEvent, type PoolWorker } from '../serve/pool.js';
import { MLF_VERSION } from '../version.js';
import type { RuntimeChoice, WorkerLog } from '../worker/protocol.js';
import { startSessionWorker } from '../worker/session.js';
import { prepareModelRun, readModelToRun } from './model-run.js';
import type { ModelSourceOptions } from './model-source.js';

export const SERVE_PROTOCOLS = ['mlflow', 'v2'] as const;
export type ServeProtocol = (typeof SERVE_PROTOCOLS)[number];

export interface ServeOptions extends Omit<EnvRequest, 'model'> {
  modelUri: string;
  /** For a remote model URI (ops/model-source.ts). */
  modelSource?: ModelSourceOptions;
  host: string;
  port: number;
  workers: number;
  /** Seconds a request may take (MLflow's default: 60). */
  timeoutSeconds: number;
  /** Requests waiting for a worker at most, in all. */
  maxQueue: number;
  /** Adaptive batching: off when absent or <= 1. */
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  protocols: ServeProtocol[];
  runtime?: RuntimeChoice;
  bodyLimitBytes?: number;
  /** How long close() lets requests in flight finish. Default 30 s. */
  graceMs?: number;
  onWorkerStderr?: (line: string, pid: number) => void;
  onWorkerLog?: (log: WorkerLog) => void;
  onAccess?: (record: AccessRecord) => void;
  onPoolEvent?: (event: PoolEvent) => void;
  /** Replaces `[pythonPath, worker.py]` (tests start a fake worker this way). */
  workerCommand?: { file: string; args: string[] };
}

export interface ServeHandle {
  url: string;
  host: string;
  port: number;
  /** What GET /version answers, and where it comes from. */
  version: { text: string; source: 'mlflow' | 'mlf' };
  environment: Pick<PreparedEnvironment, 'manager' | 'envDir' | 'pythonPath' | 'key' | 'built' | 'pythonVersion'>;
  warnings: string[];
  workers: number;
  workerPids: () => (number | undefined)[];
  pool: Pool;
  /** Stops accepting, lets requests in flight finish (up to the grace period), stops the workers. */
  close(): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<ServeHandle> {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw usageError('INVALID_OPTION_VALUE', `invalid value \`${options.workers}\` for --workers: give a whole number of at least 1`);
  const model = await readModelToRun(options.modelUri, { cwd: options.cwd, env: options.env, ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}), ...options.modelSource });
  const {
    modelUri, modelSource: _modelSource, host, port, workers, timeoutSeconds, maxQueue, maxBatchSize, maxBatchDelayMs, protocols, runtime, bodyLimitBytes, graceMs,
    onWorkerStderr, onWorkerLog, onAccess, onPoolEvent, workerCommand, ...envOptions
  } = options;
  const run = await prepareModelRun(model, modelUri, envOptions, runtime);
  const { environment, explain, release: releaseEnvironment } = run;

  const metrics = createMetrics();
  const startWorker = async (): Promise<PoolWorker> => {
    let pid = 0;
    const client = await startSessionWorker({
      ...run.worker,
      ignoreSigint: true,
      // /ping turns ready only once a request is as fast as the next ones (no slow first client).
      warmUp: true,
      ...(onWorkerStderr ? { onStderr: (line: string) => onWorkerStderr(line, pid) } : {}),
      ...(onWorkerLog ? { onLog: onWorkerLog } : {}),
      ...(workerCommand ? { command: workerCommand } : {}),
    });
    pid = client.pid;
    return client;
  };
  let pool: Pool;
  try {
    pool = await Pool.start({
      workers,
      maxQueue,
      timeoutMs: timeoutSeconds * 1000,
      startWorker,
      onEvent: (event) => {
        if (event.type === 'worker-started' && event.restart) metrics.workerRestarted();
        onPoolEvent?.(event);
      },
    }).catch(explain);
  } catch (error) {
    await releaseEnvironment();
    throw error;
  }
  metrics.gauges({ queueDepth: () => pool.queueDepth, liveWorkers: () => pool.liveWorkers, busyWorkers: () => pool.busyWorkers });

  const version = servedVersion(environment.envDir);
  // Off unless --max-batch-size is above 1: then requests arriving together are one invoke_batch.
  const invoke = createBatcher<InvokeItem, HttpResult>((item) => pool.invoke(item), {
    ...(maxBatchSize !== undefined ? { maxBatchSize } : {}),
    ...(maxBatchDelayMs !== undefined ? { maxDelayMs: maxBatchDelayMs } : {}),
    invokeBatch: (items) => pool.invokeBatch(items),
    // Under load, batches grow while every worker is busy instead of queueing behind them.
    concurrency: workers,
  });
  const ready = () => pool.ready;
  const routes: Route[] = [];
  if (protocols.includes('mlflow')) routes.push(...mlflowRoutes({ invoke, ready, version: version.text }));
  if (protocols.includes('v2')) routes.push(...(v2Routes({ invoke, ready, ...v2ModelIdentity(options.env) }) as Route[]));
  routes.push({
    method: 'GET',
    path: '/metrics',
    async handle() {
      const { contentType, body } = await metrics.render();
      return { status: 200, headers: { 'Content-Type': contentType }, body };
    },
  });

  let server;
  try {
    server = await startHttpServer({
      routes,
      host,
      port,
      ...(bodyLimitBytes !== undefined ? { bodyLimitBytes } : {}),
      onResponse: (record) => {
        metrics.observeRequest(record.route, record.method, record.status, record.durationMs / 1000, record.batchSize);
        onAccess?.(record);
      },
    });
  } catch (error) {
    await pool.close(0);
    await releaseEnvironment();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw usageError('PORT_IN_USE', `cannot listen on ${host}:${port}: the address is already in use`, { hint: 'choose another port with `-p PORT`' });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw usageError('BAD_HOST', `cannot listen on ${host}:${port}: no such address on this machine`);
    throw error;
  }
  const { manager, envDir, pythonPath, key, built, pythonVersion } = environment;
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    version,
    environment: { manager, envDir, pythonPath, key, built, ...(pythonVersion ? { pythonVersion } : {}) },
    warnings: environment.warnings,
    workers,
    workerPids: () => pool.pids,
    pool,
    close() {
      closing ??= (async () => {
        const grace = graceMs ?? DRAIN_GRACE_MS;
        // The server stops accepting and waits for its requests; those wait on the pool.
        // A batch still being gathered goes out now, so that nothing waits on a timer that no longer matters.
        invoke.flush?.();
        await server.close(grace);
        await pool.close(0);
        await releaseEnvironment();
      })();
      return closing;
    },
  };
}

/**
 * What GET /version answers: the version of mlflow installed in the model's environment (what
 * `mlflow models serve` would answer from it), else mlf's own.
 */
export function servedVersion(envDir: string): { text: string; source: 'mlflow' | 'mlf' } {
  for (const lib of ['lib', 'lib64', 'Lib']) {
    const libDir = path.join(envDir, lib);
    if (!existsSync(libDir)) continue;
    const sitePackages = lib === 'Lib' ? [path.join(libDir, 'site-packages')] : readdirSync(libDir).filter((name) => name.startsWith('python')).map((name) => path.join(libDir, name, 'site-packages'));
    for (const dir of sitePackages) {
      if (!existsSync(dir)) continue;
      const distInfo = readdirSync(dir).find((name) => /^mlflow-\d[^-]*\.dist-info$/.test(name));
      if (!distInfo) continue;
      try {
        const metadata = readFileSync(path.join(dir, distInfo, 'METADATA'), 'utf8');
        const match = /^Version: (.+)$/m.exec(metadata);
        if (match) return { text: match[1]!.trim(), source: 'mlflow' };
      } catch {
        // A broken dist-info: fall through to mlf's version.
      }
    }
  }
  return { text: MLF_VERSION, source: 'mlf' };
}
