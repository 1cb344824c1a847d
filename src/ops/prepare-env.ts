import { usageError } from '../errors.js';
import { prepareEnvironment, type EnvRequest, type PreparedEnvironment } from '../env/index.js';
import { readModelDirectory } from '../model/directory/strict.js';
import { locateModelSource, type ModelSourceOptions } from './model-source.js';

/** What the commands that build or find an environment are asked: the model as the user typed it, and the env options. */
export interface ModelEnvOptions extends Omit<EnvRequest, 'model'> {
  /** A path, a `file://` URI or a remote model URI (ops/model-source.ts). */
  modelUri: string;
  modelSource?: ModelSourceOptions;
}

/** The engine's request: the model located and read (model/directory/), once. */
export async function environmentRequestFor(options: ModelEnvOptions): Promise<EnvRequest> {
  const { modelUri, modelSource, ...rest } = options;
  const location = await locateModelSource(modelUri, { cwd: options.cwd, env: options.env, ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}), ...modelSource });
  return { ...rest, model: await readModelDirectory(location) };
}

/**
 * `mlf models prepare-env`: build the model's environment (or find it built) and nothing else,
 * for CI caches and images. The local manager has nothing to prepare, and MLflow refuses it too.
 */
export async function prepareEnv(options: ModelEnvOptions): Promise<PreparedEnvironment> {
  if (options.manager === 'local') {
    throw usageError('PREPARE_ENV_LOCAL', '`prepare-env` does nothing with `--env-manager local`: the local Python is used as it is', {
      hint: 'choose `--env-manager uv`, `virtualenv` or `conda` (MLflow: "Prepare env should not be called with local env manager!")',
    });
  }
  return prepareEnvironment(await environmentRequestFor(options));
}
