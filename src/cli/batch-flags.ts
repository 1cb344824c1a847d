/**
 * The options of `mlf models batch-predict`, as one table (cli/flag-table.ts says what a row
 * holds). The environment rows, `--env` and `--runtime` are predict's; `-i`/`-o` keep predict's
 * (and MLflow's) spellings, with a directory or glob as input and a directory as output.
 */
import { COMMON_FLAGS } from './options.js';
import type { FlagRow } from './flag-table.js';
import { ENVIRONMENT_FLAGS, RUNTIME } from './predict-flags.js';
import { MODEL_PROCESSES_ENV } from './serve-flags.js';

export const BATCH_PREDICT_COMMAND = {
  name: 'models batch-predict',
  description: 'Score Parquet, CSV or JSON-lines files with a model into a directory of part files (a _SUCCESS marker last), on a pool of workers or on Spark.',
};

export const BATCH_INPUT: FlagRow = {
  spellings: ['-i', '--input-path'],
  argument: 'INPUT',
  description: 'the input: a file, a directory (its files) or a quoted glob of Parquet, CSV or JSON-lines files',
  required: true,
  decidesWorker: false,
};
export const BATCH_OUTPUT: FlagRow = {
  spellings: ['-o', '--output-path'],
  argument: 'OUTPUT_DIR',
  description: 'the output directory: part-NNNNN files in the input\'s format, then _SUCCESS (created; a rerun overwrites mlf\'s own output, or resumes a killed run)',
  required: true,
  decidesWorker: false,
};
export const BATCH_FORMAT: FlagRow = { spellings: ['--format'], argument: 'FORMAT', description: 'the input\'s format, parquet, csv or json (JSON lines); default: from the file names', decidesWorker: false };
export const BATCH_ENGINE: FlagRow = { spellings: ['--engine'], argument: 'ENGINE', description: 'local (a pool of workers on this machine) or spark', default: 'local', decidesWorker: false };
export const BATCH_MASTER: FlagRow = { spellings: ['--master'], argument: 'URL', description: '--engine spark: the cluster (spark://HOST:PORT, yarn, local[N], ...)', decidesWorker: false };
export const BATCH_PARTITIONS: FlagRow = {
  spellings: ['--partitions'],
  argument: 'N',
  description: 'output parts at most (default: one per input row group or 64 MiB of lines)',
  decidesWorker: false,
};
export const BATCH_COLUMNS: FlagRow = {
  spellings: ['--columns'],
  argument: 'LIST',
  description: 'the input columns the model gets, comma-separated, in order (default: all; the output keeps every column)',
  repeatable: true,
  decidesWorker: false,
};
export const BATCH_RESULT_COLUMN: FlagRow = { spellings: ['--result-column'], argument: 'NAME', description: 'the predictions\' column (several: NAME_<k>)', default: 'prediction', decidesWorker: false };
export const BATCH_WORKERS: FlagRow = { spellings: ['-w', '--workers'], argument: 'N', description: '--engine local: worker processes, each loading the model once (default: the number of CPUs)', decidesWorker: false };
export const BATCH_ROWS: FlagRow = { spellings: ['--batch-rows'], argument: 'N', description: 'rows a worker reads, scores and writes at a time (its memory bound)', default: '65536', decidesWorker: false };

export const BATCH_PREDICT_FLAGS: readonly FlagRow[] = [
  ...ENVIRONMENT_FLAGS,
  BATCH_INPUT,
  BATCH_OUTPUT,
  BATCH_FORMAT,
  BATCH_ENGINE,
  BATCH_MASTER,
  BATCH_PARTITIONS,
  BATCH_COLUMNS,
  BATCH_RESULT_COLUMN,
  BATCH_WORKERS,
  BATCH_ROWS,
  MODEL_PROCESSES_ENV,
  RUNTIME,
  ...COMMON_FLAGS,
];
