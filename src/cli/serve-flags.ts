/**
 * The options of `mlf models serve`, as one table (cli/flag-table.ts says what a row holds),
 * spelled as `mlflow models serve` spells them where it has them (`-h` is the host, as in MLflow:
 * help stays `--help`). The environment rows are predict's.
 */
import { COMMON_FLAGS } from './options.js';
import type { FlagRow } from './flag-table.js';
import { ENVIRONMENT_FLAGS, RUNTIME } from './predict-flags.js';

export const SERVE_COMMAND = {
  name: 'models serve',
  description: "Serve a model over HTTP in its own Python environment: MLflow's scoring protocol (and V2), on a pool of workers.",
};

export const PORT: FlagRow = { spellings: ['-p', '--port'], argument: 'PORT', description: 'the port to listen on (0: any free port)', default: '5000', decidesWorker: false };
export const HOST: FlagRow = { spellings: ['-h', '--host'], argument: 'HOST', description: 'the address to bind (0.0.0.0: every interface)', default: '127.0.0.1', decidesWorker: false };
export const WORKERS: FlagRow = { spellings: ['-w', '--workers'], argument: 'N', description: 'worker processes, each loading the model once', default: '1', decidesWorker: false };
export const TIMEOUT: FlagRow = {
  spellings: ['-t', '--timeout'],
  argument: 'SECONDS',
  description: 'a request taking longer gets 504 and its worker is replaced',
  default: '60',
  decidesWorker: false,
};
export const MAX_QUEUE: FlagRow = {
  spellings: ['--max-queue'],
  argument: 'N',
  description: 'requests waiting for a worker at most (beyond: 503 with Retry-After; default 64 per worker)',
  decidesWorker: false,
};
export const MAX_BATCH_SIZE: FlagRow = { spellings: ['--max-batch-size'], argument: 'N', description: 'adaptive batching: requests predicted together at most (default: off)', decidesWorker: false };
export const MAX_BATCH_DELAY: FlagRow = {
  spellings: ['--max-batch-delay-ms'],
  argument: 'MS',
  description: 'adaptive batching: how long a request may wait for others to join its batch',
  decidesWorker: false,
};
export const PROTOCOL: FlagRow = { spellings: ['--protocol'], argument: 'LIST', description: 'the protocols served, comma-separated: mlflow, v2', default: 'mlflow,v2', decidesWorker: false };

/** `--env` of the commands that start several workers (serve, batch-predict). */
export const MODEL_PROCESSES_ENV: FlagRow = {
  spellings: ['--env'],
  argument: 'KEY=VALUE',
  description: 'an environment variable for the model processes (repeatable)',
  repeatable: true,
  decidesWorker: true,
  keepOffDisk: true,
};

export const SERVE_FLAGS: readonly FlagRow[] = [
  ...ENVIRONMENT_FLAGS,
  PORT,
  HOST,
  WORKERS,
  TIMEOUT,
  MAX_QUEUE,
  MAX_BATCH_SIZE,
  MAX_BATCH_DELAY,
  PROTOCOL,
  MODEL_PROCESSES_ENV,
  RUNTIME,
  ...COMMON_FLAGS,
];
