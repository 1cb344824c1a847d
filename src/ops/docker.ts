/**
 * `mlf models generate-dockerfile` and `mlf models build-docker`: the build context of a model's
 * serving image (docker/dockerfile.ts says what is in the image and why), and `docker build` of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeBuildContext, requirementsDigest } from '../docker/context.js';
import { DEFAULT_NODE_IMAGE, IMAGE_PATHS, LABELS, renderDockerfile, type DockerfileSpec, type ImageEnvManager } from '../docker/dockerfile.js';
import { checkIndexUrl, hasIndexSettings, writeIndexSecrets, type IndexSettings } from '../docker/build-secrets.js';
import { dockerBuild, probeEngine, type EngineFacts } from '../docker/engine.js';
import { mlfImageFiles } from '../docker/mlf-files.js';
import { WORKER_REQUIREMENTS, whyMlflowIsNeeded } from '../docker/needs-mlflow.js';
import { systemPackagesFor } from '../docker/system-packages.js';
import { planInstall, requirementNameOf } from '../env/install-plan.js';
import { loadModelEnvironment, type ModelEnvironment } from '../env/model-environment.js';
import type { EnvManagerName } from '../env/types.js';
import { inputError, usageError } from '../errors.js';
import { parseCondaEnv, serializeCondaEnv, withPipDependencies } from '../model/conda-env.js';
import { readModelDirectory, type ModelDirectory } from '../model/directory/strict.js';
import { redactUri } from '../tracking/model-uri.js';
import { MLF_VERSION } from '../version.js';
import { workerFiles } from '../worker/files.js';
import { locateModelSource, type ModelSourceOptions, type RemoteModel } from './model-source.js';

export interface DockerfileOptions {
  /** A path, a `file://` URI or a remote model URI (ops/model-source.ts): a remote model is fetched into the model cache first. */
  modelUri: string;
  /** For a remote model URI: `--offline`, the home of `~/.mlflow/credentials`, download progress. */
  modelSource?: ModelSourceOptions;
  mlfHome?: string;
  /** Default uv (cli/docker-flags.ts says why). */
  envManager: EnvManagerName;
  /** Default `python:<python_env.yaml's python>-slim`. */
  baseImage?: string;
  nodeImage?: string;
  installMlflow: boolean;
  protocol: string;
  buildkit: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface GeneratedImage {
  outputDirectory: string;
  baseImage: string;
  envManager: ImageEnvManager;
  pythonVersion: string;
  /** Why MLflow is installed, or undefined when it is left out of the image. */
  mlflowInstalled: { reason: string } | undefined;
  /** The requirement lines left out (the model's `mlflow` pins when the worker needs no MLflow). */
  leftOut: string[];
  requireHashes: boolean;
  requirementsDigest: string;
  warnings: string[];
  /** Where a remote model came from (absent for a local directory). */
  remote?: RemoteModel;
}

const MLFLOW_DISTRIBUTIONS = new Set(['mlflow', 'mlflow-skinny']);

/** Writes the build context into `outputDirectory` (which must be absent or empty). */
export async function generateDockerfile(options: DockerfileOptions & { outputDirectory: string }): Promise<GeneratedImage> {
  const outputDirectory = path.resolve(options.cwd, options.outputDirectory);
  if (options.envManager === 'conda' && options.baseImage === undefined) {
    // MLflow installs Miniconda3-latest from the internet into ubuntu (not reproducible, and no
    // use behind a registry that mirrors images only): the user names the conda image instead.
    throw usageError('DOCKER_CONDA_NEEDS_BASE_IMAGE', '`--env-manager conda` needs a --base-image that has `conda` on its PATH (python:X.Y-slim has none)', {
      hint: 'pass --base-image with conda (your registry\'s copy of condaforge/miniforge3 or continuumio/miniconda3), or use `--env-manager uv` (the default)',
    });
  }
  const envManager: ImageEnvManager = options.envManager;
  const location = await locateModelSource(options.modelUri, {
    cwd: options.cwd,
    env: options.env,
    ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}),
    ...options.modelSource,
  });
  const model = await readModelDirectory(location);
  const environment = await loadModelEnvironment(model, { env: options.env });
  if (!/^\d+\.\d+(\.\d+)?$/.test(environment.python)) {
    throw inputError('PYTHON_VERSION_UNUSABLE', `the model's Python version \`${environment.python}\` names no python image (expected X.Y.Z)`, {
      hint: 'set `python: X.Y.Z` in python_env.yaml, or pass --base-image',
    });
  }
  const conda = envManager === 'conda' ? condaEnvironment(model.dir, environment) : undefined;
  const { whyMlflow, leftOut, plan, requirementsText, constraintsText, requireHashes, digest } = planImageRequirements(model, conda?.environment ?? environment, options.installMlflow);
  const baseImage = options.baseImage ?? `python:${environment.python}-slim`;
  const spec: DockerfileSpec = {
    baseImage,
    nodeImage: options.nodeImage ?? DEFAULT_NODE_IMAGE,
    envManager,
    pythonVersion: environment.python,
    ...(conda?.environment.condaPython !== undefined ? { condaPython: conda.environment.condaPython } : {}),
    // Hash-checked installs refuse unhashed build dependencies; a lock pins what it needs itself.
    buildDependencies: requireHashes ? [] : plan.buildDependencies,
    hasRequirements: requirementsText !== undefined,
    hasConstraints: constraintsText !== undefined,
    requireHashes,
    systemPackages: systemPackagesFor(model.mlmodel),
    buildkit: options.buildkit,
    protocol: options.protocol,
    labels: [
      // A cached model's directory is named by the cache, not by the user: a registered model is titled by its name.
      [LABELS.title, location.remote?.registered?.name ?? path.basename(model.dir)],
      // The URI as the user gave it, without any `user:password@`: labels are readable by whoever pulls the image.
      [LABELS.modelUri, redactUri(options.modelUri)],
      [LABELS.mlflowVersion, environment.mlflowVersion ?? ''],
      [LABELS.pythonVersion, environment.python],
      [LABELS.requirementsDigest, digest],
      [LABELS.mlfVersion, MLF_VERSION],
    ],
  };
  const mlfRoot = workerFiles().packageRoot;
  await writeBuildContext(outputDirectory, {
    dockerfile: renderDockerfile(spec),
    ...(requirementsText ? { requirementsText } : {}),
    ...(constraintsText ? { constraintsText } : {}),
    ...(conda ? { condaText: conda.imageCondaText({ requirementsText, constraintsText, requireHashes, buildDependencies: requireHashes ? [] : plan.buildDependencies }) } : {}),
    modelDir: model.dir,
    mlfRoot,
    mlfFiles: await mlfImageFiles(mlfRoot),
  });
  return {
    outputDirectory,
    baseImage,
    envManager,
    pythonVersion: environment.python,
    mlflowInstalled: whyMlflow === undefined ? undefined : { reason: whyMlflow },
    leftOut: leftOut.map((l) => l.text),
    requireHashes,
    requirementsDigest: digest,
    warnings: environment.warnings,
    ...(location.remote ? { remote: location.remote } : {}),
  };
}

/**
 * With conda, the image installs what `conda env create` on the model's conda.yaml would: its
 * conda specs, and its pip list (not requirements.txt) planned as the other managers' lists are.
 */
function condaEnvironment(dir: string, environment: ModelEnvironment) {
  if (environment.condaText === undefined) {
    throw inputError('MODEL_CONDA_MISSING', `\`${dir}\` has no conda.yaml, so \`--env-manager conda\` has nothing to create`, { hint: 'use `--env-manager uv` (the default) or `virtualenv`' });
  }
  const document = parseCondaEnv(environment.condaText, path.join(dir, 'conda.yaml')).document;
  return {
    environment: { ...environment, buildDependencies: [], requirements: environment.condaRequirements ?? [], constraints: environment.condaConstraints ?? [] },
    /** The model's conda.yaml with its pip list pointing at the flattened files the image copies in. */
    imageCondaText(files: { requirementsText: string | undefined; constraintsText: string | undefined; requireHashes: boolean; buildDependencies: readonly string[] }): string {
      const pip = [
        ...files.buildDependencies,
        ...(files.requireHashes ? ['--require-hashes'] : []),
        ...(files.requirementsText !== undefined ? [`-r ${IMAGE_PATHS.requirements}/requirements.txt`] : []),
        ...(files.constraintsText !== undefined ? [`-c ${IMAGE_PATHS.requirements}/constraints.txt`] : []),
      ];
      return serializeCondaEnv(withPipDependencies(document, pip));
    },
  };
}

/** What the image installs, and the digest it is labelled with (`generate-k8s` labels its manifests with the same). */
export function planImageRequirements(model: ModelDirectory, environment: ModelEnvironment, installMlflow: boolean) {
  const whyMlflow = installMlflow ? '--install-mlflow' : whyMlflowIsNeeded(model.mlmodel);
  const leftOut = whyMlflow === undefined ? environment.requirements.filter((line) => MLFLOW_DISTRIBUTIONS.has(requirementNameOf(line.text) ?? '')) : [];
  const kept = environment.requirements.filter((line) => !leftOut.includes(line));
  const plan = planInstall({
    buildDependencies: environment.buildDependencies,
    requirements: kept,
    constraints: environment.constraints,
    override: [],
    ...(installMlflow && !kept.some((l) => requirementNameOf(l.text) === 'mlflow') ? { mlflowRequirement: environment.mlflowVersion ? `mlflow==${environment.mlflowVersion}` : 'mlflow' } : {}),
  });
  const named = new Set(plan.requirementLines.map((l) => requirementNameOf(l.text)));
  const forWorker = whyMlflow === undefined ? WORKER_REQUIREMENTS.filter(([name]) => !named.has(name)).map(([, requirement]) => requirement) : [];
  const requirementLines = [...plan.requirementLines.map((l) => l.text), ...(plan.mlflowRequirement ? [plan.mlflowRequirement] : [])];
  const packageLines = requirementLines.filter((text) => !text.startsWith('-'));
  const requireHashes = packageLines.length > 0 && packageLines.every((text) => /\s--hash[=\s]/.test(text));
  // A hashed lock names what it installs, hashes included; the worker's own needs are added only to an unlocked list.
  if (!requireHashes) requirementLines.push(...forWorker);
  const requirementsText = requirementLines.length > 0 ? `${requirementLines.join('\n')}\n` : undefined;
  const constraintsText = plan.constraintLines.length > 0 ? `${plan.constraintLines.map((l) => l.text).join('\n')}\n` : undefined;
  const digest = requirementsDigest({ buildDependencies: plan.buildDependencies, ...(requirementsText ? { requirementsText } : {}), ...(constraintsText ? { constraintsText } : {}) });
  return { whyMlflow, leftOut, plan, requirementsText, constraintsText, requireHashes, digest };
}

export interface BuildDockerOptions extends Omit<DockerfileOptions, 'buildkit'> {
  name: string;
  platform?: string;
  network?: string;
  /** `--index-url`, `--extra-index-url`, `--netrc`: passed as BuildKit secrets (docker/build-secrets.ts). */
  index: IndexSettings;
  onLine: (line: string) => void;
  onStage: (stage: 'probing' | 'generating' | 'building', detail?: string) => void;
}

export interface BuiltImage extends Omit<GeneratedImage, 'outputDirectory'> {
  name: string;
  imageId?: string;
  buildkit: boolean;
  builder: EngineFacts['builder'];
  serverVersion: string;
  seconds: number;
}

/** The variables `docker build` passes as build args by name only (Docker's predefined proxy args: never kept in the image). */
const PROXY_ARGS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'FTP_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'ftp_proxy', 'all_proxy'];

const BUILDER_NAMES: Record<EngineFacts['builder'], string> = {
  buildx: 'BuildKit (buildx)',
  'builtin-buildkit': "BuildKit (the docker client's own)",
  legacy: 'the legacy builder (no BuildKit)',
};

export async function buildDocker(options: BuildDockerOptions): Promise<BuiltImage> {
  const started = performance.now();
  if (options.index.indexUrl !== undefined) checkIndexUrl('--index-url', options.index.indexUrl);
  for (const url of options.index.extraIndexUrls) checkIndexUrl('--extra-index-url', url);
  options.onStage('probing');
  const engine = await probeEngine({ env: options.env, cwd: options.cwd });
  const buildkit = engine.builder !== 'legacy';
  if (!buildkit && hasIndexSettings(options.index)) {
    // The legacy builder has no secrets: a build arg shows in `docker history`, a copied file stays in its layer.
    throw usageError('DOCKER_SECRETS_NEED_BUILDKIT', '--index-url, --extra-index-url and --netrc need BuildKit build secrets, and this docker builds with the legacy builder (no buildx), which would keep them in the image', {
      hint: 'install the docker buildx plugin (unset DOCKER_BUILDKIT=0 if set), or configure the index in the base image (--base-image with a pip.conf that holds no credentials)',
    });
  }
  const contextDir = await mkdtemp(path.join(os.tmpdir(), 'mlf-docker-'));
  try {
    // Beside the context, never in it: docker sends the context to the engine, the secrets only to the RUN that mounts them.
    // Written first, so that an unreadable --netrc is refused before the model is downloaded.
    const secrets = await writeIndexSecrets(path.join(contextDir, 'secrets'), options.index);
    options.onStage('generating');
    const { outputDirectory: _dir, ...generated } = await generateDockerfile({ ...options, buildkit, outputDirectory: path.join(contextDir, 'context') });
    options.onStage('building', BUILDER_NAMES[engine.builder]);
    const result = await dockerBuild(
      {
        contextDir: path.join(contextDir, 'context'),
        tag: options.name,
        ...(options.platform ? { platform: options.platform } : {}),
        ...(options.network ? { network: options.network } : {}),
        passBuildArgs: PROXY_ARGS.filter((name) => options.env[name]),
        buildkit,
        secrets,
      },
      { env: options.env, cwd: options.cwd },
      options.onLine,
    );
    return {
      ...generated,
      name: options.name,
      ...(result.imageId ? { imageId: result.imageId } : {}),
      buildkit,
      builder: engine.builder,
      serverVersion: engine.serverVersion,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}
