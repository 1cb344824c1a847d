/**
 * The options of `mlf models predict`, as one table (cli/flag-table.ts says what a row holds).
 * Read by commander (commands/predict.ts; prepare-env and `envs path` take the environment
 * rows), by the early start's key (early-start.ts, loaded before the CLI: so this module imports
 * only other tables), by the fix hints (fix-hint-args.ts) and by the CLI reference in docs/cli.md
 * (cli-reference.ts, `npm run docs:cli`).
 */
import { COMMON_FLAGS } from './options.js';
import type { FlagRow } from './flag-table.js';

export const PREDICT_COMMAND = {
  name: 'models predict',
  description: 'Predict with a model in its own Python environment; prints what `mlflow models predict` prints.',
};

export const MODEL_URI: FlagRow = {
  spellings: ['-m', '--model-uri'],
  argument: 'MODEL',
  description: 'the model: a directory (a path or a file:// URI) or a model URI (runs:/, models:/, mlflow-artifacts:/, an artifact-proxy http(s) URL, s3://)',
  required: true,
  decidesWorker: true,
};

/** For a remote model URI: no network, the URI's last resolution from the model cache. */
export const OFFLINE: FlagRow = {
  spellings: ['--offline'],
  description: 'for a remote model URI: do not ask the tracking server; use what the URI resolved to last (from the model cache)',
  decidesWorker: false,
};

/** The flags of the commands that build an environment: predict, prepare-env, `envs path`. */
export const ENVIRONMENT_FLAGS: readonly FlagRow[] = [
  MODEL_URI,
  OFFLINE,
  {
    spellings: ['--env-manager'],
    argument: 'MANAGER',
    description: 'uv, virtualenv, conda or local (default: uv when found, else virtualenv)',
    decidesWorker: true,
    fixHint: { spelling: '--env-manager', order: 1 },
  },
  {
    spellings: ['--install-mlflow'],
    description: 'also install mlflow (the version the model was saved with) into the environment',
    decidesWorker: true,
  },
  {
    spellings: ['-r', '--pip-requirements-override'],
    argument: 'REQS',
    description: "requirements installed on top of the model's, replacing same-name ones: comma-separated like x==y,z==a (repeatable)",
    repeatable: true,
    decidesWorker: true,
    fixHint: { spelling: '--pip-requirements-override', order: 2 },
  },
  {
    spellings: ['--python-version-strategy'],
    argument: 'STRATEGY',
    description: 'exact (default), or minor/major to accept a compatible Python when the exact one is missing',
    decidesWorker: true,
  },
];

export const INPUT_PATH: FlagRow = {
  spellings: ['-i', '--input-path'],
  argument: 'INPUT',
  description: 'the input file, or `-` for stdin (the default)',
  decidesWorker: false,
};

export const OUTPUT_PATH: FlagRow = {
  spellings: ['-o', '--output-path'],
  argument: 'OUTPUT',
  description: 'write the predictions here instead of stdout',
  decidesWorker: false,
};

export const CONTENT_TYPE: FlagRow = {
  spellings: ['-t', '--content-type'],
  argument: 'TYPE',
  description: 'json or csv',
  default: 'json',
  decidesWorker: false,
  fixHint: { spelling: '-t', order: 0 },
};

export const RUNTIME: FlagRow = {
  spellings: ['--runtime'],
  argument: 'RUNTIME',
  description: 'auto (load sklearn, xgboost, lightgbm, catboost, statsmodels, onnx, keras, pytorch, tensorflow (Keras) and models-from-code models without importing mlflow where the model allows) or mlflow',
  default: 'auto',
  decidesWorker: true,
};

/** Every option of `mlf models predict`, in the order `--help` lists them. */
export const PREDICT_FLAGS: readonly FlagRow[] = [
  ...ENVIRONMENT_FLAGS,
  INPUT_PATH,
  OUTPUT_PATH,
  CONTENT_TYPE,
  {
    spellings: ['--env'],
    argument: 'KEY=VALUE',
    description: 'an environment variable for the model process (repeatable)',
    repeatable: true,
    decidesWorker: true,
    keepOffDisk: true,
  },
  {
    spellings: ['--strict-json'],
    description: 'write NaN and infinities as null (valid JSON); MLflow writes a bare NaN',
    decidesWorker: false,
  },
  RUNTIME,
  ...COMMON_FLAGS,
];
