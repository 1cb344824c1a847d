import { usageError } from '../errors.js';
import { prepareEnvironment, type EnvRequest, type PreparedEnvironment } from '../env/index.js';

/**
 * `mlf models prepare-env`: build the model's environment (or find it built) and nothing else,
 * for CI caches and images. The local manager has nothing to prepare, and MLflow refuses it too.
 */
export async function prepareEnv(request: EnvRequest): Promise<PreparedEnvironment> {
  if (request.manager === 'local') {
    throw usageError('PREPARE_ENV_LOCAL', '`prepare-env` does nothing with `--env-manager local`: the local Python is used as it is', {
      hint: 'choose `--env-manager uv`, `virtualenv` or `conda` (MLflow: "Prepare env should not be called with local env manager!")',
    });
  }
  return prepareEnvironment(request);
}
