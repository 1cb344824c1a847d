/**
 * The Dockerfile of a model's serving image, as text: a pure function of what the image holds.
 *
 * Why this layout (../shared/serving-facts.md §5 says what MLflow's image does instead): the
 * layers go from what changes least to what changes most, so that a new model file rebuilds only
 * the last layer. The Python environment is built in a stage of its own (the installer and its
 * caches stay there) from the model's requirement files alone, copied in before the model;
 * Node comes from a Node image in another stage; the final stage runs as a non-root user and
 * execs `mlf models serve`, so that `docker stop`'s SIGTERM reaches the server and drains it.
 */

import { ENV } from '../config/env-vars.js';

/** Where things live inside the image. */
export const IMAGE_PATHS = {
  /** The model's files (MLflow's container uses the same path). */
  model: '/opt/ml/model',
  /** mlf itself: package.json, bin/, dist/bundle/, the worker's Python files. */
  mlf: '/opt/mlf',
  /** The model's Python environment (a virtual environment; a conda prefix with `conda`; unused with `local`). */
  venv: '/opt/venv',
  /** The requirement files the environment is installed from, in the build stage. */
  requirements: '/opt/mlf-requirements',
} as const;

/** Where the files sit in the build context (the directory `docker build` is given). */
export const CONTEXT_PATHS = {
  dockerfile: 'Dockerfile',
  /** requirements.txt and constraints.txt, flattened (every -r/-c expanded). */
  requirements: 'requirements',
  mlf: 'mlf',
  /** `model_dir/` as MLflow names it. */
  model: 'model_dir',
} as const;

/**
 * The BuildKit secrets the environment's install reads, when given (`docker build --secret
 * id=...`): never a file of any layer, nor an ARG or ENV in the image's history. Without them
 * the mounts are empty and the install uses the base image's configuration.
 */
export const BUILD_SECRETS = {
  /** A shell file of `export NAME='value'` lines: the index variables uv and pip read (ops/docker-index.ts writes it). */
  index: 'mlf-index',
  /** A netrc file: credentials by host, read by uv and by pip (through NETRC). */
  netrc: 'netrc',
} as const;

/** The port the image serves on, and the variables its entrypoint reads (README: The image). */
export const IMAGE_PORT = 8080;
export const IMAGE_ENV = {
  workers: ENV.MLFLOW_MODELS_WORKERS,
  host: ENV.MLF_SERVE_HOST,
  port: ENV.MLF_SERVE_PORT,
} as const;

/** The uv that builds the environment (the one .ci/python-tools.lock pins; test/docker checks they agree). */
export const UV_VERSION = '0.13.9';

/** The user the server runs as (numeric, so that the engine needs no /etc/passwd lookup). */
export const IMAGE_UID = 10001;

export const DEFAULT_NODE_IMAGE = 'node:20-bookworm-slim';

/** How the image's Python environment is built. */
export type ImageEnvManager = 'uv' | 'virtualenv' | 'conda' | 'local';

/** The environment file `conda env create` reads (the model's conda.yaml, its pip list pointing at CONTEXT_PATHS.requirements). */
export const CONDA_FILE = 'conda.yaml';

export interface DockerfileSpec {
  /** The Python image the stages start from (`python:3.11.7-slim` unless --base-image). */
  baseImage: string;
  /** The image Node's binary is copied from. */
  nodeImage: string;
  envManager: ImageEnvManager;
  /** The model's Python version (python_env.yaml); the base's Python must have its major.minor. */
  pythonVersion: string;
  /** With conda: the Python version conda.yaml pins (the created environment's must have its major.minor), if it pins one. */
  condaPython?: string;
  /** Installed first, without hashes (python_env.yaml's build_dependencies). */
  buildDependencies: readonly string[];
  /** Whether CONTEXT_PATHS.requirements holds requirements.txt / constraints.txt. */
  hasRequirements: boolean;
  hasConstraints: boolean;
  /** Every requirement line carries `--hash`: the install runs with `--require-hashes`. */
  requireHashes: boolean;
  /** Debian packages the model's libraries need at run time (lightgbm's libgomp1). */
  systemPackages: readonly string[];
  /** BuildKit cache mounts for the installers' caches; without BuildKit, `--no-cache-dir`. */
  buildkit: boolean;
  /** `mlf models serve --protocol`. */
  protocol: string;
  /** The image's OCI labels, in order. */
  labels: ReadonlyArray<readonly [string, string]>;
}

/** The label keys (OCI annotation names; the mlflow.* ones for what MLflow's model format says). */
export const LABELS = {
  title: 'org.opencontainers.image.title',
  modelUri: 'org.mlflow.model.uri',
  mlflowVersion: 'org.mlflow.model.mlflow-version',
  pythonVersion: 'org.mlflow.model.python-version',
  requirementsDigest: 'org.mlflow.model.requirements-digest',
  mlfVersion: 'dev.mlf.version',
} as const;

export function renderDockerfile(spec: DockerfileSpec): string {
  const out: string[] = [];
  const majorMinor = spec.pythonVersion.split('.').slice(0, 2).join('.');
  out.push(
    '# Written by `mlf models generate-dockerfile`. Layers go from what changes least to what changes most:',
    '# system packages, the Python environment (from the requirement files only), mlf, then the model.',
    `# ${spec.buildkit ? 'BuildKit form: the installers\' caches are cache mounts.' : 'Form for any builder (no BuildKit needed): installers run with their caches off.'}`,
    `ARG BASE_IMAGE=${spec.baseImage}`,
    `ARG NODE_IMAGE=${spec.nodeImage}`,
    '',
    '# Node for mlf: only its binary is copied into the image.',
    'FROM ${NODE_IMAGE} AS node',
    '',
  );
  if (spec.envManager !== 'local') {
    out.push('# The model\'s Python environment, built where its installer and caches stay behind.', 'FROM ${BASE_IMAGE} AS environment', 'SHELL ["/bin/sh", "-eu", "-c"]');
    // With conda the base's Python is not the environment's: conda makes its own, checked once made.
    if (spec.envManager !== 'conda') out.push(`RUN ${pythonCheck('python3', majorMinor)}`);
    out.push(`COPY ${CONTEXT_PATHS.requirements}/ ${IMAGE_PATHS.requirements}/`);
    out.push(...environmentInstall(spec), '');
  }
  out.push('FROM ${BASE_IMAGE}', 'SHELL ["/bin/sh", "-eu", "-c"]');
  if (spec.systemPackages.length > 0) {
    out.push(
      'RUN apt-get update \\',
      ` && apt-get install -y --no-install-recommends ${[...spec.systemPackages].sort().join(' ')} \\`,
      ' && rm -rf /var/lib/apt/lists/*',
    );
  }
  // A fixed uid, so that volume permissions can be set before the container first runs.
  const useradd = `useradd --create-home --uid ${IMAGE_UID} --user-group mlf`;
  out.push(spec.envManager === 'local' ? `RUN ${pythonCheck('python3', majorMinor)} \\\n && ${useradd}` : `RUN ${useradd}`);
  if (spec.envManager === 'local') {
    out.push(`COPY ${CONTEXT_PATHS.requirements}/ ${IMAGE_PATHS.requirements}/`, ...environmentInstall(spec));
  } else {
    out.push(`COPY --from=environment ${IMAGE_PATHS.venv} ${IMAGE_PATHS.venv}`);
  }
  out.push(
    'COPY --from=node /usr/local/bin/node /usr/local/bin/node',
    `COPY ${CONTEXT_PATHS.mlf}/ ${IMAGE_PATHS.mlf}/`,
    `COPY ${CONTEXT_PATHS.model}/ ${IMAGE_PATHS.model}/`,
    `ENV ${spec.envManager === 'local' ? '' : `PATH=${IMAGE_PATHS.venv}/bin:$PATH \\\n    `}${IMAGE_ENV.workers}=1 \\`,
    `    ${IMAGE_ENV.host}=0.0.0.0 \\`,
    `    ${IMAGE_ENV.port}=${IMAGE_PORT} \\`,
    '    PYTHONUNBUFFERED=1',
    `USER ${IMAGE_UID}:${IMAGE_UID}`,
    'WORKDIR /home/mlf',
    `EXPOSE ${IMAGE_PORT}`,
    `HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "${IMAGE_PATHS.mlf}/bin/mlf-healthcheck.mjs"]`,
    // `sh -c 'exec ...'`: the variables are read when the container starts, and `exec` leaves
    // node as PID 1, so that SIGTERM reaches the server; arguments after the image name are
    // appended to serve's (a later flag wins).
    `ENTRYPOINT ["/bin/sh", "-c", ${JSON.stringify(serveCommand(spec))}, "mlf"]`,
  );
  // Labels last: a new model URI or creation time must not invalidate any cached layer.
  out.push(`LABEL ${spec.labels.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' \\\n      ')}`);
  return `${out.join('\n')}\n`;
}

function serveCommand(spec: DockerfileSpec): string {
  return [
    `exec node ${IMAGE_PATHS.mlf}/bin/mlf.js models serve -m ${IMAGE_PATHS.model} --env-manager local`,
    `--host "$${IMAGE_ENV.host}" --port "$${IMAGE_ENV.port}" --workers "$${IMAGE_ENV.workers}"`,
    `--protocol ${spec.protocol} "$@"`,
  ].join(' ');
}

function pythonCheck(python: string, majorMinor: string, message = `the base image has Python %s; the model needs ${majorMinor} (choose another --base-image)`): string {
  const [major, minor] = majorMinor.split('.');
  return `${python} -c 'import sys; v = sys.version_info; sys.exit(0 if (v.major, v.minor) == (${major}, ${minor}) else "${message}" % sys.version.split()[0])'`;
}

/** The one RUN that builds the environment (its layer is what a model-only rebuild must reuse). */
function environmentInstall(spec: DockerfileSpec): string[] {
  const req = IMAGE_PATHS.requirements;
  const files = [
    ...(spec.hasRequirements ? ['-r', `${req}/requirements.txt`] : []),
    ...(spec.hasConstraints ? ['-c', `${req}/constraints.txt`] : []),
  ];
  const hashes = spec.requireHashes ? ['--require-hashes'] : [];
  const buildDeps = spec.buildDependencies.map(shellQuote);
  const lines: string[] = [];
  if (spec.envManager === 'conda') return condaInstall(spec);
  if (spec.envManager === 'uv') {
    const mounts = spec.buildkit ? `--mount=type=cache,target=/root/.cache/pip --mount=type=cache,target=/root/.cache/uv ${SECRET_MOUNTS} ` : '';
    const pipCache = spec.buildkit ? '' : ' --no-cache-dir';
    const uvCache = spec.buildkit ? '' : ' --no-cache';
    lines.push(
      // uv links files from its cache by default; across a cache mount that fails, so it copies.
      'ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1',
      `RUN ${mounts}${spec.buildkit ? `${READ_SECRETS} \\\n && ` : ''}python3 -m venv /opt/uv \\`,
      ` && /opt/uv/bin/pip install${pipCache} --disable-pip-version-check uv==${UV_VERSION} \\`,
      ` && /opt/uv/bin/uv venv${uvCache} --python python3 ${IMAGE_PATHS.venv} \\`,
    );
    if (buildDeps.length > 0) lines.push(` && /opt/uv/bin/uv pip install${uvCache} --python ${IMAGE_PATHS.venv}/bin/python ${buildDeps.join(' ')} \\`);
    if (files.length > 0) lines.push(` && /opt/uv/bin/uv pip install${uvCache} --python ${IMAGE_PATHS.venv}/bin/python ${[...hashes, ...files].join(' ')} \\`);
    lines.push(` && ${REMOVE_TEST_SUITES} \\`, ' && rm -rf /opt/uv');
    return lines;
  }
  const mounts = spec.buildkit ? `--mount=type=cache,target=/root/.cache/pip ${SECRET_MOUNTS} ` : '';
  const pipCache = spec.buildkit ? '' : ' --no-cache-dir';
  const pip = spec.envManager === 'local' ? 'python3 -m pip' : `${IMAGE_PATHS.venv}/bin/python -m pip`;
  const steps: string[] = [];
  if (spec.envManager === 'virtualenv') steps.push(`python3 -m venv ${IMAGE_PATHS.venv}`);
  if (buildDeps.length > 0) steps.push(`${pip} install${pipCache} --disable-pip-version-check ${buildDeps.join(' ')}`);
  if (files.length > 0) steps.push(`${pip} install${pipCache} --disable-pip-version-check ${[...hashes, ...files].join(' ')}`);
  if (spec.envManager === 'virtualenv' && steps.length > 1) steps.push(REMOVE_TEST_SUITES);
  if (steps.length === 0) return [];
  if (spec.buildkit) steps.unshift(READ_SECRETS);
  return [`RUN ${mounts}${steps.join(' \\\n && ')}`];
}

/**
 * `conda env create` from the model's conda.yaml into the image's environment path, as MLflow's
 * container does (`conda env create -n custom_env`; a prefix here, so that the final stage copies
 * one directory). The pip list was rewritten to `-r` the flattened requirement files, which conda
 * hands to pip as a requirements file; the pip cache is a cache mount or off, like pip's elsewhere.
 */
function condaInstall(spec: DockerfileSpec): string[] {
  const mounts = spec.buildkit ? `--mount=type=cache,target=/root/.cache/pip ${SECRET_MOUNTS} ` : '';
  const steps = [
    ...(spec.buildkit ? [READ_SECRETS] : []),
    `conda env create --file ${IMAGE_PATHS.requirements}/${CONDA_FILE} --prefix ${IMAGE_PATHS.venv}`,
  ];
  if (spec.condaPython !== undefined) {
    const majorMinor = spec.condaPython.split('.').slice(0, 2).join('.');
    steps.push(pythonCheck(`${IMAGE_PATHS.venv}/bin/python`, majorMinor, `conda made Python %s; conda.yaml asks for ${majorMinor}`));
  }
  steps.push(REMOVE_TEST_SUITES);
  return [...(spec.buildkit ? [] : ['ENV PIP_NO_CACHE_DIR=1']), `RUN ${mounts}${steps.join(' \\\n && ')}`];
}

const SECRET_MOUNTS = `--mount=type=secret,id=${BUILD_SECRETS.index} --mount=type=secret,id=${BUILD_SECRETS.netrc}`;
/** The secrets are files under /run/secrets only while this RUN runs; absent when not given. */
const READ_SECRETS = [
  `if [ -f /run/secrets/${BUILD_SECRETS.index} ]; then . /run/secrets/${BUILD_SECRETS.index}; fi`,
  `if [ -f /run/secrets/${BUILD_SECRETS.netrc} ]; then export NETRC=/run/secrets/${BUILD_SECRETS.netrc}; fi`,
].join(' \\\n && ');

/**
 * The test suites wheels ship inside their packages (`pandas/tests`, scipy's many `tests` directories: 110 MB
 * of the sklearn fixture's 400 MB environment, bytecode included): never imported when serving,
 * removed in the RUN that installs them, so no layer holds them. Only in the image's own venv.
 */
const REMOVE_TEST_SUITES = `find ${IMAGE_PATHS.venv}/lib -depth -type d -path '*/site-packages/*' -name tests -exec rm -rf {} +`;

/** A build dependency as one shell word (`pip==26.3`, `setuptools>=40,<80` quoted). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_.\-=[\],]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
