import { usageError } from '../../errors.js';
import { accessRecordJson, formatAccessLine } from '../../serve/access-log.js';
import { RUNTIME_CHOICES, type RuntimeChoice } from '../../worker/choices.js';
import type { WorkerLog } from '../../worker/protocol.js';
import { addFlags, longSpelling } from '../flag-table.js';
import { takeOverSignals } from '../interrupt.js';
import { createProgressRenderer } from '../progress.js';
import { dim, type printJson, say, warn } from '../render.js';
import { RUNTIME } from '../predict-flags.js';
import { MAX_BATCH_DELAY, MAX_BATCH_SIZE, MAX_QUEUE, PORT, PROTOCOL, SERVE_COMMAND, SERVE_FLAGS, TIMEOUT, WORKERS } from '../serve-flags.js';
import { parseEnvPairs } from './predict.js';
import { environmentRequest } from './prepare-env.js';
import type { RegisterCommand } from './index.js';

interface ServeFlags {
  modelUri: string;
  envManager?: string;
  installMlflow?: boolean;
  pipRequirementsOverride: string[];
  pythonVersionStrategy?: string;
  port: string;
  host: string;
  workers: string;
  timeout: string;
  maxQueue?: string;
  maxBatchSize?: string;
  maxBatchDelayMs?: string;
  protocol: string;
  env: string[];
  runtime: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** Requests waiting for a worker, per worker, when --max-queue is not given. */
export const DEFAULT_QUEUE_PER_WORKER = 64;

export const registerServe: RegisterCommand = ({ models }, ctx) => {
  const command = models.command('serve').description(SERVE_COMMAND.description).helpOption('--help', 'display help for command');
  addFlags(command, SERVE_FLAGS).action(async (flags: ServeFlags) => {
    const { serve, SERVE_PROTOCOLS } = await import('../../ops/serve.js');
    const port = wholeNumber(flags.port, longSpelling(PORT), 0, 65_535);
    const workers = wholeNumber(flags.workers, longSpelling(WORKERS), 1, 1_024);
    const timeoutSeconds = positiveNumber(flags.timeout, longSpelling(TIMEOUT));
    const maxQueue = flags.maxQueue === undefined ? DEFAULT_QUEUE_PER_WORKER * workers : wholeNumber(flags.maxQueue, longSpelling(MAX_QUEUE), 0, 1_000_000);
    const maxBatchSize = flags.maxBatchSize === undefined ? undefined : wholeNumber(flags.maxBatchSize, longSpelling(MAX_BATCH_SIZE), 1, 100_000);
    const maxBatchDelayMs = flags.maxBatchDelayMs === undefined ? undefined : positiveNumber(flags.maxBatchDelayMs, longSpelling(MAX_BATCH_DELAY), true);
    const protocols = flags.protocol.split(',').map((p) => p.trim()).filter(Boolean);
    for (const protocol of protocols) {
      if (!(SERVE_PROTOCOLS as readonly string[]).includes(protocol)) {
        throw usageError('INVALID_OPTION_VALUE', `invalid value \`${protocol}\` for ${longSpelling(PROTOCOL)}: choose from ${SERVE_PROTOCOLS.map((p) => `\`${p}\``).join(', ')}`);
      }
    }
    if (protocols.length === 0) throw usageError('INVALID_OPTION_VALUE', `${longSpelling(PROTOCOL)} needs at least one protocol`);
    if (!(RUNTIME_CHOICES as readonly string[]).includes(flags.runtime)) {
      throw usageError('INVALID_OPTION_VALUE', `invalid value \`${flags.runtime}\` for ${longSpelling(RUNTIME)}: choose one of ${RUNTIME_CHOICES.map((c) => `\`${c}\``).join(', ')}`);
    }
    const extraEnv = parseEnvPairs(flags.env);
    const silent = Boolean(flags.quiet);
    const json = Boolean(flags.json);
    const line = (value: Record<string, unknown>, text: string) => {
      if (json) ctx.stderr.write(`${JSON.stringify(value)}\n`);
      else say(ctx, text);
    };
    if (flags.host === '0.0.0.0' || flags.host === '::') {
      const message = `binding ${flags.host}: the model is reachable from every network this machine is on (the default, 127.0.0.1, is this machine only)`;
      if (json) ctx.stderr.write(`${JSON.stringify({ type: 'warning', message })}\n`);
      else warn(ctx, message);
    }
    const progress = createProgressRenderer(ctx, flags);
    const request = environmentRequest(flags, ctx);
    let handle;
    try {
      handle = await serve({
        ...request,
        modelSource: { ...request.modelSource, onModelEvent: progress.onModelEvent },
        host: flags.host,
        port,
        workers,
        timeoutSeconds,
        maxQueue,
        ...(maxBatchSize !== undefined ? { maxBatchSize } : {}),
        ...(maxBatchDelayMs !== undefined ? { maxBatchDelayMs } : {}),
        protocols: protocols as ('mlflow' | 'v2')[],
        runtime: flags.runtime as RuntimeChoice,
        extraEnv,
        onProgress: progress.onProgress,
        onWorkerStderr: (text, pid) => {
          if (!silent && flags.verbose) line({ type: 'worker-stderr', pid, line: text }, dim(ctx, `[worker ${pid}] ${text}`));
        },
        onWorkerLog: (log: WorkerLog) => {
          if (silent) return;
          if (log.level === 'warning') line({ type: 'warning', message: log.message }, `warning: ${log.message}`);
          else if (flags.verbose) line({ type: 'info', message: log.message }, dim(ctx, `[mlf-worker] ${log.message}`));
        },
        onAccess: (record) => {
          if (!flags.verbose || silent) return;
          line(accessRecordJson(record), formatAccessLine(record));
        },
        onPoolEvent: (event) => {
          if (silent) return;
          if (event.type === 'worker-exited' && !event.expected) line({ type: 'worker-exited', pid: event.pid, in_flight: event.inFlight }, `warning: the model worker (pid ${event.pid}) exited; starting another`);
          else if (event.type === 'worker-started' && event.restart) line({ type: 'worker-replaced', pid: event.pid, start_ms: event.startMs ?? 0 }, `the model worker was replaced by pid ${event.pid} (started in ${((event.startMs ?? 0) / 1000).toFixed(2)} s)`);
          else if (event.type === 'timeout') line({ type: 'timeout', pid: event.pid }, `warning: a request took longer than ${timeoutSeconds} s: its worker (pid ${event.pid}) is stopped and replaced`);
          else if (event.type === 'worker-start-failed') line({ type: 'worker-start-failed', message: event.error.message, retry_in_ms: event.retryInMs }, `warning: a model worker failed to start (${event.error.message}); retrying in ${event.retryInMs} ms`);
        },
      });
    } finally {
      progress.stop();
    }
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      takeOverSignals(resolve);
    });
    if (json) {
      printJsonLine(ctx, { ok: true, url: handle.url, host: handle.host, port: handle.port, workers: handle.workers, worker_pids: handle.workerPids(), version: handle.version, environment: handle.environment });
    } else {
      ctx.stdout.write(`listening on ${handle.url} (${handle.workers} worker${handle.workers === 1 ? '' : 's'}; /version answers ${handle.version.source === 'mlflow' ? `mlflow ${handle.version.text}` : `mlf ${handle.version.text}`})\n`);
    }
    const signal = await stopped;
    if (!silent) line({ type: 'shutdown', signal }, `${signal}: finishing the requests in flight, then stopping the workers`);
    await handle.close();
  });
};

function printJsonLine(ctx: Parameters<typeof printJson>[0], value: unknown): void {
  // Written at once (main() holds stdout back under --json until a command returns; serve runs on).
  (ctx.liveStdout ?? ctx.stdout).write(`${JSON.stringify(value)}\n`);
}

export function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw usageError('INVALID_OPTION_VALUE', `invalid value \`${value}\` for ${flag}: give a whole number from ${min} to ${max}`);
  }
  return n;
}

function positiveNumber(value: string, flag: string, zeroAllowed = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!zeroAllowed && n === 0)) {
    throw usageError('INVALID_OPTION_VALUE', `invalid value \`${value}\` for ${flag}: give a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  }
  return n;
}
