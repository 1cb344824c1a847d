/**
 * The options of `mlf models generate-dockerfile` and `mlf models build-docker`, spelled as
 * `mlflow models generate-dockerfile` / `build-docker` spell them where MLflow has them
 * (serving-facts.md §5.1). MLflow's --mlflow-home, --install-java and --enable-mlserver are not
 * taken: the image serves with mlf (no Java, and the V2 protocol without MLServer).
 */
import { COMMON_FLAGS } from './options.js';
import type { FlagRow } from './flag-table.js';
import { MODEL_URI, OFFLINE } from './predict-flags.js';

export const GENERATE_DOCKERFILE_COMMAND = {
  name: 'models generate-dockerfile',
  description: "Write the build context of a model's serving image (a Dockerfile, the model, mlf): layered so that a new model file rebuilds only the last layer.",
};
export const BUILD_DOCKER_COMMAND = {
  name: 'models build-docker',
  description: "Build a model's serving image with `docker build` (the context generate-dockerfile writes, in a temporary directory).",
};

// uv rather than MLflow's virtualenv: it installs the same requirements several times faster, checks
// hashes the same way, and stays in the build stage, so the image holds the environment and no installer.
export const IMAGE_ENV_MANAGER: FlagRow = {
  spellings: ['--env-manager'],
  argument: 'MANAGER',
  description: "how the image's Python environment is built: uv, virtualenv, conda (`conda env create` from the model's conda.yaml; needs a --base-image with conda) or local (pip into the base image's Python). MLflow's build-docker defaults to virtualenv; uv is faster and leaves no installer in the image",
  default: 'uv',
  decidesWorker: false,
};
export const BASE_IMAGE: FlagRow = {
  spellings: ['--base-image'],
  argument: 'IMAGE',
  description: "the image the stages start from; its `python3` must have the model's major.minor version (default: python:<python_env.yaml's version>-slim)",
  decidesWorker: false,
};
export const NODE_IMAGE: FlagRow = {
  spellings: ['--node-image'],
  argument: 'IMAGE',
  description: "the image Node's binary is copied from (/usr/local/bin/node)",
  default: 'node:20-bookworm-slim',
  decidesWorker: false,
};
export const IMAGE_INSTALL_MLFLOW: FlagRow = {
  spellings: ['--install-mlflow'],
  description: 'install mlflow (the version the model was saved with) even where the worker loads the model without it',
  decidesWorker: false,
};
export const IMAGE_PROTOCOL: FlagRow = { spellings: ['--protocol'], argument: 'LIST', description: 'the protocols the image serves, comma-separated: mlflow, v2', default: 'mlflow,v2', decidesWorker: false };

const IMAGE_FLAGS: readonly FlagRow[] = [MODEL_URI, OFFLINE, IMAGE_ENV_MANAGER, BASE_IMAGE, NODE_IMAGE, IMAGE_INSTALL_MLFLOW, IMAGE_PROTOCOL];

export const GENERATE_DOCKERFILE_FLAGS: readonly FlagRow[] = [
  ...IMAGE_FLAGS,
  { spellings: ['-d', '--output-directory'], argument: 'DIR', description: 'the directory to write (absent or empty)', default: 'mlflow-dockerfile', decidesWorker: false },
  {
    spellings: ['--buildkit'],
    description: "write BuildKit cache mounts for the installers' caches (needs BuildKit: Docker 23+ or buildx); without it the Dockerfile builds with any builder",
    decidesWorker: false,
  },
  ...COMMON_FLAGS,
];

export const BUILD_DOCKER_FLAGS: readonly FlagRow[] = [
  ...IMAGE_FLAGS,
  { spellings: ['-n', '--name'], argument: 'NAME', description: 'the image name (and tag)', default: 'mlflow-pyfunc-servable', decidesWorker: false },
  { spellings: ['--network'], argument: 'MODE', description: "docker build's --network for the RUN steps (`host` where the engine has no bridge network)", decidesWorker: false },
  { spellings: ['--platform'], argument: 'PLATFORM', description: "docker build's --platform (default: the engine's own; MLflow always forces linux/amd64)", decidesWorker: false },
  // pip's spellings. Passed as BuildKit secrets (docker/build-secrets.ts): refused with the legacy builder, which has none.
  { spellings: ['--index-url'], argument: 'URL', description: "the package index that replaces PyPI for the image's environment (credentials may be in the URL: a BuildKit secret, in no layer)", decidesWorker: false },
  { spellings: ['--extra-index-url'], argument: 'URL', description: 'an index asked before the default one (uv) or beside it (pip); repeatable; a BuildKit secret', repeatable: true, decidesWorker: false },
  { spellings: ['--netrc'], argument: 'FILE', description: "a netrc file with the indexes' credentials, read by uv and pip during the install; a BuildKit secret", decidesWorker: false },
  ...COMMON_FLAGS,
];
