/**
 * `mlf models download -m URI -o DIR`: a model written into a directory of the user's, as
 * `mlflow artifacts download -u URI -d DIR` does for a model. Through the model cache (a second
 * download of the same model is a local copy), into a sibling temp directory renamed into place:
 * DIR is the whole model or is not there. For a model reached through the registry or a logged
 * model (`models:/...`, and `runs:/` of an MLflow 3 model) it also writes MLflow's
 * `registered_model_meta` (models_artifact_repo.py `_add_registered_model_meta_file`: only when
 * the directory holds an MLmodel; a logged model's name and version are null).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, usageError } from '../errors.js';
import { safeDump } from '../model/pyyaml.js';
import { locateModelSource, type ModelSourceRequest, type RemoteModel } from './model-source.js';

export interface DownloadOptions extends ModelSourceRequest {
  modelUri: string;
  outputPath: string;
}

export interface DownloadResult {
  outputPath: string;
  remote?: RemoteModel;
}

export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  const output = path.resolve(options.cwd, options.outputPath);
  const existing = await readdir(output).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  if (existing !== undefined && existing.length > 0) {
    throw usageError('OUTPUT_EXISTS', `\`${options.outputPath}\` already exists and is not empty`, { hint: 'give a new directory with -o' });
  }
  const source = await locateModelSource(options.modelUri, options);
  const partial = path.join(path.dirname(output), `.${path.basename(output)}.mlf-partial-${randomBytes(4).toString('hex')}`);
  try {
    await cp(source.dir, partial, { recursive: true, errorOnExist: true, force: false });
    // MLflow's models:/ repository writes it for every model it downloads whole (a logged model's: name and version null).
    const registered = source.remote?.registered;
    if ((registered || source.remote?.loggedModelId) && existsSync(path.join(partial, 'MLmodel'))) {
      await writeFile(path.join(partial, 'registered_model_meta'), safeDump({ model_name: registered?.name ?? null, model_version: registered?.version ?? null }));
    }
    if (existing !== undefined) await rmdir(output);
    await rename(partial, output);
  } catch (error) {
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && source.remote === undefined) {
      throw inputError('MODEL_NOT_FOUND', `\`${options.modelUri}\` does not exist`);
    }
    throw error;
  }
  return { outputPath: output, ...(source.remote ? { remote: source.remote } : {}) };
}
