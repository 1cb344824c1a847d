/**
 * Every environment variable mlf reads, or sets for the processes it starts, in one place
 * (style.md, practice 10): mlf's TypeScript and the Python worker's. Core modules take an `env`
 * record in their options and read it through these names, never process.env. The README's table
 * of them is this table (test/config/env-vars.test.ts checks it, and that the worker's sources
 * read no variable missing here).
 */

/** Who reads or sets a variable: mlf itself (TypeScript), the worker (src/worker/*.py), or the entrypoint of the image `mlf models build-docker` builds. */
export type EnvVarUser = 'mlf' | 'worker' | 'image';

export interface EnvVarInfo {
  usedBy: readonly EnvVarUser[];
  /** `read`: its value changes what mlf does; `set`: mlf gives it to the processes it starts. */
  access: 'read' | 'set';
  /** What it does, as the README says it. */
  description: string;
}

const TABLE = {
  MLF_HOME: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Root of mlf\'s caches (environments, interpreters, tools, bytecode, launch records). Default: the user cache dir (`~/.cache/mlf` on Linux).',
  },
  MLF_EARLY_START: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`0` or `false`: never start a predict\'s worker before the CLI has loaded (the early start).',
  },
  NO_COLOR: { usedBy: ['mlf'], access: 'read', description: 'Set (to anything but empty): no colour (https://no-color.org).' },
  TERM: { usedBy: ['mlf'], access: 'read', description: '`dumb`: no colour.' },
  PATH: { usedBy: ['mlf'], access: 'read', description: 'Where mlf looks for `python3`, `uv`, `virtualenv` and conda, and the Pythons it may build environments from.' },
  HOME: { usedBy: ['mlf'], access: 'read', description: 'pyenv\'s default root (`~/.pyenv`), where mlf also looks for Pythons; and where `~/.mlflow/credentials` is, as MLflow reads it.' },
  PYENV_ROOT: { usedBy: ['mlf'], access: 'read', description: 'pyenv\'s root, where mlf looks for Pythons (`versions/*/bin/python`), instead of `~/.pyenv`.' },
  XDG_CACHE_HOME: { usedBy: ['mlf'], access: 'read', description: 'On Linux, the user cache dir that holds the default `MLF_HOME` (through env-paths).' },
  VIRTUAL_ENV: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Removed from the installers\' environment, so that an activated virtualenv never becomes the install target.',
  },
  CONDA_PREFIX: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Removed from the installers\' environment, so that an activated conda environment never becomes the install target.',
  },
  MLFLOW_CONDA_HOME: { usedBy: ['mlf'], access: 'read', description: 'Where conda lives: `--env-manager conda` looks in its `bin/` instead of on PATH (as MLflow does).' },
  MLFLOW_CONDA_CREATE_ENV_CMD: { usedBy: ['mlf'], access: 'read', description: 'The command that creates conda environments (`conda`, `mamba`, `micromamba`; as MLflow does).' },
  MLFLOW_HOME: { usedBy: ['mlf'], access: 'read', description: 'A dev checkout of MLflow: `--install-mlflow` installs it (`-e $MLFLOW_HOME`) instead of the version the model was saved with, as MLflow does.' },
  MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Timeout in seconds of requirement inference in `mlf models package` (default 120, as MLflow).',
  },
  PIP_CONSTRAINT: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Constraints applied when `mlf models package` locks requirements and the model has no `-c` lines, as MLflow does.',
  },
  MLSERVER_MODEL_NAME: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'The model\'s name in `mlf models serve`\'s Open Inference (V2) URLs, `/v2/models/<name>/infer` (default `mlflow-model`, as `mlflow models serve --enable-mlserver`).',
  },
  MLSERVER_MODEL_VERSION: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'The model\'s version in `mlf models serve`\'s V2 answers and `/v2/models/<name>/versions/<version>` URLs (default: none, as MLServer).',
  },
  MLFLOW_DISABLE_SCHEMA_DETAILS: {
    usedBy: ['worker'],
    access: 'read',
    description: '`true`: the worker\'s signature errors leave out which inputs did not match, as MLflow\'s do.',
  },
  MLFLOW_DEFAULT_PREDICTION_DEVICE: {
    usedBy: ['worker'],
    access: 'read',
    description: 'The device a pytorch model predicts on when its pyfunc `config` names none (else `cuda` when available, else `cpu`), as MLflow\'s pytorch flavor; a GPU device sends the model to MLflow\'s own loader.',
  },
  MLFLOW_ALLOW_PICKLE_DESERIALIZATION: {
    usedBy: ['worker'],
    access: 'read',
    description: '`false`: the worker leaves unpickling to MLflow\'s own loader, which honours it.',
  },
  SERVING_MODEL_CONFIG: {
    usedBy: ['worker'],
    access: 'read',
    description: 'Set: a models-from-code model is loaded by MLflow (which reads it), not by the worker\'s fast path.',
  },
  MLFLOW_TRACKING_URI: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'The MLflow tracking server (`http(s)://host:port`) that `mlf models log` writes to and that `runs:/` and `models:/` URIs are resolved against, as MLflow reads it.',
  },
  MLFLOW_REGISTRY_URI: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'The model registry\'s server, for `--registered-model-name` and `models:/<name>/...` (default: `MLFLOW_TRACKING_URI`, as MLflow).',
  },
  MLFLOW_EXPERIMENT_NAME: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'The experiment `mlf models log` creates its run in when neither `--experiment-name` nor `--experiment-id` is given (created when missing), as MLflow.',
  },
  MLFLOW_EXPERIMENT_ID: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Likewise, by id (must match `MLFLOW_EXPERIMENT_NAME` when both are set, as MLflow).',
  },
  MLFLOW_TRACKING_USERNAME: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'With `MLFLOW_TRACKING_PASSWORD`: HTTP basic auth to the tracking server; each falls back to `mlflow_tracking_username`/`_password` in `~/.mlflow/credentials` (`[mlflow]`), and the pair wins over a token (MLflow\'s code).',
  },
  MLFLOW_TRACKING_PASSWORD: { usedBy: ['mlf'], access: 'read', description: 'The basic-auth password that goes with `MLFLOW_TRACKING_USERNAME`. Never shown in any message.' },
  MLFLOW_TRACKING_TOKEN: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`Authorization: Bearer <token>` to the tracking server, when no username and password are set. Never shown in any message.',
  },
  MLFLOW_TRACKING_INSECURE_TLS: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`true`: do not verify the tracking server\'s TLS certificate (as MLflow; true/false/1/0, anything else an error).',
  },
  MLFLOW_TRACKING_SERVER_CERT_PATH: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'A PEM file of CA certificates to verify the tracking server\'s TLS certificate with (instead of the system\'s).',
  },
  MLFLOW_TRACKING_CLIENT_CERT_PATH: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'A PEM file holding the client certificate and its key, for tracking servers that want mutual TLS.',
  },
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Retries of a tracking-server request on a connection failure or a 408/429/500/502/503/504 (default 7, at most 10, as MLflow).',
  },
  MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Seconds of exponential backoff between those retries: none before the first, then factor × 2^(n-1) (default 2, at most 120; waits capped at 120 s, as urllib3).',
  },
  MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Up to this many random seconds added to each backoff (default 1.0, as MLflow).',
  },
  MLFLOW_HTTP_REQUEST_TIMEOUT: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'Seconds a tracking-server request may wait for the connection or for the next bytes of its answer (default 120, as MLflow).',
  },
  MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`false`: ignore a 429/503\'s `Retry-After` and use the backoff (default true, as MLflow).',
  },
  MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`mlf models log`: `true`/`false` forces the artifact proxy\'s multipart upload on or off; unset, it is used when the server\'s `/api/3.0/mlflow/server-info` offers it (`multipart_uploads_enabled`), as MLflow 3 does.',
  },
  MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`mlf models log`: files of at least this many bytes go up in parts where multipart upload is on (default 524288000, 500 MiB, as MLflow).',
  },
  MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`mlf models log`: bytes per part of a multipart upload (default 10485760, 10 MiB, as MLflow; S3 wants at least 5 MiB for every part but the last).',
  },
  MLFLOW_S3_ENDPOINT_URL: {
    usedBy: ['mlf'],
    access: 'read',
    description: 'The S3 endpoint `s3://` model URIs are read from (an S3-compatible server such as MinIO), as MLflow reads it.',
  },
  MLFLOW_S3_IGNORE_TLS: { usedBy: ['mlf'], access: 'read', description: '`true`: no TLS certificate check when reading `s3://` model URIs, as MLflow.' },
  AWS_ACCESS_KEY_ID: { usedBy: ['mlf'], access: 'read', description: 'With `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`): the keys `s3://` model URIs are read with; unset, the AWS SDK\'s standard chain (`AWS_PROFILE`, `~/.aws/`, SSO, instance roles).' },
  AWS_SECRET_ACCESS_KEY: { usedBy: ['mlf'], access: 'read', description: 'See `AWS_ACCESS_KEY_ID`. Never shown.' },
  AWS_SESSION_TOKEN: { usedBy: ['mlf'], access: 'read', description: 'See `AWS_ACCESS_KEY_ID`. Never shown.' },
  AWS_REGION: { usedBy: ['mlf'], access: 'read', description: 'The region of `s3://` buckets (then `AWS_DEFAULT_REGION`, else `us-east-1`).' },
  AWS_DEFAULT_REGION: { usedBy: ['mlf'], access: 'read', description: 'See `AWS_REGION`.' },
  DOCKER_BUILDKIT: {
    usedBy: ['mlf'],
    access: 'read',
    description: '`0`: `mlf models build-docker` uses the legacy builder even where BuildKit is available (then `--index-url`, `--extra-index-url` and `--netrc` are refused: it has no build secrets). mlf sets it for the `docker build` it runs.',
  },
  MLFLOW_MODELS_WORKERS: {
    usedBy: ['image'],
    access: 'read',
    description: 'The serving image\'s `--workers` (default 1, not the CPU count: each worker holds a copy of the model). MLflow\'s container reads the same name.',
  },
  MLF_SERVE_HOST: { usedBy: ['image'], access: 'read', description: 'The address the serving image binds (default `0.0.0.0`; `127.0.0.1` with `docker run --network host`).' },
  MLF_SERVE_PORT: { usedBy: ['image'], access: 'read', description: 'The port the serving image listens on, and its HEALTHCHECK asks (default `8080`).' },
  SPARK_HOME: { usedBy: ['mlf'], access: 'read', description: '`--engine spark`: the Spark installation whose `bin/spark-submit` runs the job (the `pyspark` package directory works); unset, `spark-submit` on `PATH`.' },
  PYTHONPATH: { usedBy: ['mlf'], access: 'set', description: '`--engine spark` with a `local` master: mlf\'s worker directory first, for spark-submit, so that Spark\'s Python workers import the scoring code.' },
  PIP_NO_INPUT: { usedBy: ['mlf'], access: 'set', description: '`1` for the installers: pip never prompts.' },
  PIP_DISABLE_PIP_VERSION_CHECK: { usedBy: ['mlf'], access: 'set', description: '`1` for the installers: no pip upgrade notice.' },
  _MLFLOW_IN_CAPTURE_MODULE_PROCESS: {
    usedBy: ['mlf'],
    access: 'set',
    description: '`true` for the process that imports a model to infer its requirements, as MLflow sets it.',
  },
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: {
    usedBy: ['mlf'],
    access: 'set',
    description: '`true` (unless set) by bin/mlf.js: the AWS SDK\'s notice that its future releases need Node 22 is not printed on every run.',
  },
  _MLFLOW_IS_IN_SERVING_ENVIRONMENT: {
    usedBy: ['worker'],
    access: 'set',
    description: '`true` while the worker loads and predicts, as MLflow\'s `_simulate_serving_environment` sets it (model code may look at it).',
  },
} as const satisfies Record<string, EnvVarInfo>;

export type EnvVarName = keyof typeof TABLE;

/** The names, to read an `env` record with: `env[ENV.MLF_HOME]`. */
export const ENV = Object.fromEntries(Object.keys(TABLE).map((name) => [name, name])) as { readonly [Name in EnvVarName]: Name };

/** The table, in the README's order. */
export const ENV_VARS: readonly (EnvVarInfo & { name: EnvVarName })[] = (Object.keys(TABLE) as EnvVarName[]).map((name) => ({ name, ...TABLE[name] }));

export type EnvRecord = Readonly<Record<string, string | undefined>>;

/** MLflow's boolean parsing: true/false/1/0, case-insensitive. */
export function readBooleanEnv(env: EnvRecord, name: EnvVarName, fallback = false): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const lowered = raw.trim().toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  return fallback;
}

/** Whether the environment allows colour (on a terminal): no `NO_COLOR`, and not a dumb terminal. */
export function colorAllowed(env: EnvRecord): boolean {
  return !env[ENV.NO_COLOR] && env[ENV.TERM] !== 'dumb';
}

/** An environment record as a child process takes it: the variables that are set. */
export function definedVariables(env: EnvRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
