import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { builtEnvironmentCaches, localInterpreterCaches } from '../config/cache-layout.js';
import { ENV } from '../config/env-vars.js';
import { environmentError, usageError } from '../errors.js';
import { MLF_VERSION } from '../version.js';
import { computeEnvKey, shortKey, type EnvKeyInputs } from './cache-key.js';
import { isToolError, redactCredentials } from './exec.js';
import { ensureBucket, resolveMlfHome } from './home.js';
import { installFailure } from './install-failure.js';
import { materializeInputs, planInstall, type InstallPlan } from './install-plan.js';
import { acquireEntryLock } from './lock.js';
import { readMarker, touchMarker, writeMarker, type EnvMarker } from './marker.js';
import { removeTree } from './remove-tree.js';
import { condaBuilder, findCondaTool } from './managers/conda.js';
import { checkLocalRequirements, describeUnsatisfied, findLocalPython } from './managers/local.js';
import type { EnvironmentBuilder } from './managers/types.js';
import { uvBuilder } from './managers/uv.js';
import { virtualenvBuilder } from './managers/virtualenv.js';
import { loadModelEnvironment, type ModelEnvironment } from './model-environment.js';
import { findPython, type InterpreterInfo } from './python-discovery.js';
import { selectManager } from './select-manager.js';
import type { EnvManagerName, EnvRequest, InstallStep, PreparedEnvironment, ProgressEventInput } from './types.js';

/**
 * Builds (or reuses) the environment a model runs in.
 *
 * Publication. An entry is `envs-v1/<manager>-<key16>/`, and it is a finished environment
 * exactly when its completion marker (`mlf-env.json`, written last, by rename) is present.
 * The environment is built *in place* at that final path while holding the entry's lock,
 * rather than in a temp directory renamed into place: a virtualenv is not relocatable (its
 * `bin/activate`, the shebangs of every installed script, conda's prefix-patched files embed
 * the absolute path they were created at), so a renamed one would have broken scripts. The
 * marker gives the same guarantee the rename would: readers only trust an entry with a
 * marker, and a directory without one is a build that died (SIGKILL, power loss), which the
 * next holder of the lock removes with a warning and rebuilds. The only temp directory is
 * `<entry>.inputs/`, the flattened requirement files handed to the installer.
 */
export async function prepareEnvironment(request: EnvRequest): Promise<PreparedEnvironment> {
  const started = Date.now();
  const warnings: string[] = [];
  const emit = (event: ProgressEventInput) => {
    if (event.kind === 'warning') warnings.push(event.message);
    request.onProgress?.({ ...event, elapsedMs: Date.now() - started } as never);
  };
  const model = await loadModelEnvironment(request.model, modelOptions(request));
  const modelDir = model.modelDir;
  for (const warning of model.warnings) emit({ kind: 'warning', message: warning });

  if (request.manager === 'local') return prepareLocal(request, model, emit, warnings);

  const resolved = await resolveEntry(request, model, emit);
  const { envDir } = resolved;

  // Fast path: a finished entry is used without taking the lock.
  const existing = await readMarker(envDir);
  if (existing?.key === resolved.key) return reuse(request, existing, envDir, resolved, warnings, emit);

  const onCompromised = (error: Error) => emit({ kind: 'warning', message: `the lock on \`${envDir}\` was lost while building (${error.message})` });
  const release = await acquireEntryLock(envDir, {
    timeoutMs: request.lockTimeoutMs ?? 15 * 60_000,
    onWait: () => emit({ kind: 'waiting-for-lock', envDir }),
    onCompromised,
  });
  try {
    // Someone else may have finished it while we waited.
    const finished = await readMarker(envDir);
    if (finished?.key === resolved.key) return reuse(request, finished, envDir, resolved, warnings, emit);
    if (await exists(envDir)) {
      emit({ kind: 'warning', message: `removing the incomplete environment \`${envDir}\` (an earlier build was interrupted) and building it again` });
      await removeTree(envDir);
    }
    await build(request, model, resolved, emit);
    const now = new Date().toISOString();
    const pythonPath = resolved.builder.pythonPath(envDir);
    await writeMarker(envDir, {
      key: resolved.key,
      manager: resolved.manager,
      pythonPath,
      pythonVersion: resolved.python.version,
      basePython: resolved.python.path,
      created: now,
      lastUsed: now,
      modelDir,
      requirements: [...resolved.plan.requirementLines.map((l) => l.text), ...resolved.plan.extraRequirements, ...resolved.plan.override].map(redactCredentials),
      override: resolved.plan.override.map(redactCredentials),
      installMlflow: Boolean(request.installMlflow),
      mlfVersion: MLF_VERSION,
    });
    emit({ kind: 'built', envDir });
    return {
      manager: resolved.manager,
      envDir,
      pythonPath,
      key: resolved.key,
      built: true,
      warnings,
      pythonVersion: resolved.python.version,
      caches: builtEnvironmentCaches(resolveMlfHome(request), envDir),
    };
  } finally {
    await release().catch(() => undefined);
  }
}

/** Where the environment for this request lives (built or not), without building anything. */
export async function environmentPathFor(
  request: EnvRequest,
): Promise<{ manager: EnvManagerName; envDir: string; key: string; exists: boolean; pythonPath: string }> {
  const model = await loadModelEnvironment(request.model, modelOptions(request));
  if (request.manager === 'local') {
    const local = await findLocalPython(request.env, request.cwd, resolveMlfHome(request));
    return { manager: 'local', envDir: local.prefix, key: 'local', exists: true, pythonPath: local.pythonPath };
  }
  const resolved = await resolveEntry(request, model, () => undefined);
  const marker = await readMarker(resolved.envDir);
  return {
    manager: resolved.manager,
    envDir: resolved.envDir,
    key: resolved.key,
    exists: marker?.key === resolved.key,
    pythonPath: resolved.builder.pythonPath(resolved.envDir),
  };
}

interface ResolvedEntry {
  manager: Exclude<EnvManagerName, 'local'>;
  key: string;
  envDir: string;
  python: InterpreterInfo;
  plan: InstallPlan;
  builder: EnvironmentBuilder;
}

/** Chooses the manager and interpreter, plans the install and computes the key and the entry's path. */
async function resolveEntry(request: EnvRequest, model: ModelEnvironment, emit: (e: ProgressEventInput) => void): Promise<ResolvedEntry> {
  const mlfHome = resolveMlfHome(request);
  const bucket = await ensureBucket(mlfHome, 'envs');
  const choice = await selectManager({ requested: request.manager, env: request.env, cwd: request.cwd, mlfHome, emit });
  const manager = choice.manager as Exclude<EnvManagerName, 'local'>;
  const mlflowRequirement = request.installMlflow ? mlflowRequirementFor(model, request.env) : undefined;
  const plan = planInstall({
    buildDependencies: manager === 'conda' ? [] : model.buildDependencies,
    requirements: manager === 'conda' ? (model.condaRequirements ?? []) : model.requirements,
    constraints: manager === 'conda' ? (model.condaConstraints ?? []) : model.constraints,
    override: request.pipRequirementsOverride ?? [],
    extraRequirements: request.extraRequirements ?? [],
    ...(mlflowRequirement ? { mlflowRequirement } : {}),
  });

  let python: InterpreterInfo;
  let builder: EnvironmentBuilder;
  let condaDependencies: string[] | undefined;
  if (manager === 'conda') {
    if (model.condaText === undefined) {
      throw environmentError('CONDA_YAML_MISSING', `--env-manager conda needs the model's conda.yaml, and \`${model.modelDir}\` has none`, {
        hint: 'use `--env-manager uv` or `--env-manager virtualenv`',
      });
    }
    const tool = findCondaTool(request.env);
    python = { version: model.condaPython ?? model.python, path: 'conda', implementation: 'cpython', source: 'PATH' };
    builder = condaBuilder(tool, model.condaText);
    condaDependencies = model.condaDependencies;
  } else {
    emit({ kind: 'resolving-python', requested: model.python });
    const found = await findPython(
      { version: model.python, strategy: request.pythonVersionStrategy ?? 'exact' },
      { env: request.env, cwd: request.cwd, mlfHome, ...(choice.uvPath ? { uvPath: choice.uvPath } : {}) },
    );
    if (found.warning) emit({ kind: 'warning', message: found.warning });
    python = found.interpreter;
    emit({ kind: 'python-found', version: python.version, path: python.path });
    builder = manager === 'uv' ? uvBuilder(choice.uvPath!, python) : virtualenvBuilder(python, request.env);
  }

  const keyInputs: EnvKeyInputs = {
    manager,
    python: { version: python.version, ...(python.identity ? { identity: python.identity } : {}) },
    buildDependencies: plan.buildDependencies,
    requirements: plan.requirementLines.map((l) => l.text),
    constraints: plan.constraintLines.map((l) => l.text),
    ...(condaDependencies ? { condaDependencies } : {}),
    override: plan.override,
    ...(plan.extraRequirements.length > 0 ? { extraRequirements: plan.extraRequirements } : {}),
    installMlflow: Boolean(request.installMlflow),
    ...(mlflowRequirement ? { mlflowRequirement } : {}),
    platform: process.platform,
    arch: process.arch,
    workerVersion: MLF_VERSION,
  };
  const key = computeEnvKey(keyInputs);
  const envDir = path.join(bucket, `${manager}-${shortKey(key)}`);
  return { manager, key, envDir, python, plan, builder };
}

async function build(request: EnvRequest, model: ModelEnvironment, resolved: ResolvedEntry, emit: (e: ProgressEventInput) => void): Promise<void> {
  const inputsDir = `${resolved.envDir}.inputs`;
  let step: InstallStep | 'create' = 'create';
  const tracking = (event: ProgressEventInput) => {
    if (event.kind === 'installing') step = event.step;
    emit(event);
  };
  try {
    const inputs = await materializeInputs(resolved.plan, inputsDir);
    await resolved.builder.build({
      envDir: resolved.envDir,
      modelDir: model.modelDir,
      plan: resolved.plan,
      inputs,
      childEnv: childEnvironment(request),
      timeoutMs: request.installTimeoutMs ?? 30 * 60_000,
      verbose: Boolean(request.verbose),
      emit: tracking,
    });
  } catch (error) {
    // MLflow removes a failed environment too: a half-installed one must not be found later.
    await removeTree(resolved.envDir).catch(() => undefined);
    if (isToolError(error)) {
      throw installFailure(error, {
        manager: resolved.manager,
        envDir: resolved.envDir,
        modelDir: model.modelDir,
        step,
        lines: [
          ...resolved.plan.requirementLines,
          ...resolved.plan.constraintLines,
          ...resolved.plan.extraRequirements.map((text, i) => ({ text, line: i + 1, origin: 'extra requirements' })),
          ...resolved.plan.override.map((text, i) => ({ text, line: i + 1, origin: `--pip-requirements-override` })),
        ],
      });
    }
    throw error;
  } finally {
    await rm(inputsDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function modelOptions(request: EnvRequest) {
  return { env: request.env, fallbackPython: async () => (await findLocalPython(request.env, request.cwd, resolveMlfHome(request))).version };
}

/** The installers' environment: the caller's, the user's extra variables, and no prompts. */
function childEnvironment(request: EnvRequest): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...request.env, ...(request.extraEnv ?? {}) };
  // An activated venv or conda env of the caller must not become the install target.
  delete env[ENV.VIRTUAL_ENV];
  delete env[ENV.CONDA_PREFIX];
  env[ENV.PIP_NO_INPUT] = '1';
  env[ENV.PIP_DISABLE_PIP_VERSION_CHECK] = '1';
  return env;
}

async function reuse(
  request: EnvRequest,
  marker: EnvMarker,
  envDir: string,
  resolved: ResolvedEntry,
  warnings: string[],
  emit: (e: ProgressEventInput) => void,
): Promise<PreparedEnvironment> {
  await touchMarker(envDir, marker, new Date());
  emit({ kind: 'cache-hit', envDir });
  return {
    manager: resolved.manager,
    envDir,
    pythonPath: marker.pythonPath,
    key: resolved.key,
    built: false,
    warnings,
    pythonVersion: marker.pythonVersion,
    caches: builtEnvironmentCaches(resolveMlfHome(request), envDir),
  };
}

async function prepareLocal(
  request: EnvRequest,
  model: ModelEnvironment,
  emit: (e: ProgressEventInput) => void,
  warnings: string[],
): Promise<PreparedEnvironment> {
  if ((request.pipRequirementsOverride ?? []).length > 0) {
    throw usageError('OVERRIDE_WITH_LOCAL', '--pip-requirements-override cannot be used with `--env-manager local`: nothing is installed into the local Python', {
      hint: 'use `--env-manager uv` or `--env-manager virtualenv`',
    });
  }
  const local = await findLocalPython(request.env, request.cwd, resolveMlfHome(request));
  const [wantMajor, wantMinor] = model.python.split('.');
  const [haveMajor, haveMinor] = local.version.split('.');
  if (wantMajor !== haveMajor || wantMinor !== haveMinor) {
    emit({ kind: 'warning', message: `the model was saved with Python \`${model.python}\`; the local Python \`${local.pythonPath}\` is \`${local.version}\`` });
  }
  const unsatisfied = await checkLocalRequirements(local.pythonPath, model.requirements, { env: request.env, cwd: request.cwd, mlfHome: resolveMlfHome(request) });
  if (unsatisfied.length > 0) emit({ kind: 'warning', message: describeUnsatisfied(local.pythonPath, unsatisfied) });
  return {
    manager: 'local',
    envDir: local.prefix,
    pythonPath: local.pythonPath,
    key: 'local',
    built: false,
    warnings,
    pythonVersion: local.version,
    caches: localInterpreterCaches(resolveMlfHome(request)),
  };
}

/** What --install-mlflow installs: a dev checkout (`MLFLOW_HOME`, as MLflow does), else the version the model was saved with. */
function mlflowRequirementFor(model: ModelEnvironment, env: Record<string, string | undefined>): string {
  const devCheckout = env[ENV.MLFLOW_HOME];
  if (devCheckout) return `-e ${devCheckout}`;
  return model.mlflowVersion ? `mlflow==${model.mlflowVersion}` : 'mlflow';
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

