/**
 * What `predict` and `serve` do alike before a worker runs: read the model directory once (the
 * environment is planned from that read), refuse one holding special files, prepare (build or
 * reuse) its environment and mark it in use, and know how to start workers in it and how to
 * explain a missing module.
 */
import { markInUse, prepareEnvironment, resolveMlfHome, type EnvRequest, type PreparedEnvironment } from '../env/index.js';
import { refuseSpecialFilesSync } from '../fs/special-files.js';
import { readModelDirectory, type ModelDirectory } from '../model/directory/strict.js';
import type { RuntimeChoice } from '../worker/protocol.js';
import type { OpenModelSessionOptions } from '../worker/session.js';
import { inUseDir, isCachedModelDir } from '../tracking/model-cache.js';
import { explainMissingModule } from './missing-module-hint.js';
import { locateModelSource, type ModelSourceRequest } from './model-source.js';

/**
 * The model as the user typed it (a remote URI fetched into the model cache first), read and
 * checked before anything slow (a missing MLmodel is exit 2 at once).
 */
export async function readModelToRun(modelUri: string, request: ModelSourceRequest): Promise<ModelDirectory> {
  const model = await readModelDirectory(await locateModelSource(modelUri, request));
  refuseSpecialFilesSync(model.dir, modelUri);
  return model;
}

export interface ModelRun {
  environment: PreparedEnvironment;
  /** What every worker of this run is started with (worker/session.ts). */
  worker: Pick<OpenModelSessionOptions, 'environment' | 'modelDir' | 'modelLabel' | 'loader' | 'env' | 'extraEnv' | 'cwd'>;
  /** A missing-module failure rethrown with its advice (ops/missing-module-hint.ts); anything else as is. */
  explain(error: unknown): Promise<never>;
  /** Ends the environment's in-use mark (while it is held, `mlf envs prune` leaves it alone). */
  release(): Promise<void>;
}

export async function prepareModelRun(
  model: ModelDirectory,
  modelUri: string,
  envRequest: Omit<EnvRequest, 'model'>,
  loader: RuntimeChoice | undefined,
): Promise<ModelRun> {
  const environment = await prepareEnvironment({ ...envRequest, model });
  const releaseEnv = environment.manager === 'local' ? async () => undefined : await markInUse(environment.envDir);
  const mlfHome = resolveMlfHome({ mlfHome: envRequest.mlfHome, env: envRequest.env, cwd: envRequest.cwd });
  // A model from the model cache is marked too, so that `mlf envs prune` leaves it while it runs.
  const releaseModel = isCachedModelDir(mlfHome, model.dir) ? await markInUse(inUseDir(model.dir)) : async () => undefined;
  const release = async () => {
    await releaseEnv();
    await releaseModel();
  };
  return {
    environment,
    worker: {
      environment,
      modelDir: model.dir,
      // Messages name files as the user did: `-m model` shows `model/MLmodel`.
      modelLabel: /^file:/i.test(modelUri) ? model.dir : modelUri,
      loader: loader ?? 'auto',
      env: envRequest.env,
      ...(envRequest.extraEnv ? { extraEnv: envRequest.extraEnv } : {}),
      cwd: envRequest.cwd,
    },
    // A distribution only when something vouches that it installs the module; never a
    // requirement the model already lists.
    explain: (error) =>
      explainMissingModule(error, { ...environment, model, override: envRequest.pipRequirementsOverride ?? [], mlfHome, env: envRequest.env, cwd: envRequest.cwd }),
    release,
  };
}
