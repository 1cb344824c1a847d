import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { environmentError, usageError } from '../../errors.js';
import { isToolError, runTool } from '../../env/exec.js';
import type { FlavorWriter } from './flavor-writer.js';
import { checkModelFile, libraryVersion } from './native-model-file.js';

/**
 * `--flavor keras --model-file model.keras`: a Keras 3 model saved with `model.save("x.keras")`,
 * written as `mlflow.keras.save_model` does (mlflow/keras/save.py): `data/model.keras`,
 * `data/keras_module.txt`, the flavor's `keras_version`, `keras_backend` (what Keras in
 * `--python` runs on, read from there as MLflow reads `keras.backend.backend()`) and
 * `save_exported_model: false`. That save_model takes no code paths, infers no signature, and
 * refuses a signature whose inputs are not tensors with a variable first dimension.
 */
export interface KerasSource {
  kind: 'keras';
  modelFile: string;
}

/** mlflow/keras/save.py `_MODEL_DATA_PATH`, `_MODEL_SAVE_PATH` + ".keras", `_KERAS_MODULE_SPEC_PATH`. */
const DATA_DIR = 'data';
const MODEL_FILE = 'model.keras';
const KERAS_MODULE_FILE = 'keras_module.txt';

/** Keras imports its backend (torch, tensorflow, jax) on import: slow, but what MLflow does while saving. */
const BACKEND_TIMEOUT_MS = 180_000;

async function kerasBackend(python: string, cwd: string, env: Record<string, string | undefined>): Promise<string> {
  try {
    const { stdout } = await runTool('python', python, ['-c', 'import keras; print(keras.backend.backend())'], { cwd, env, timeoutMs: BACKEND_TIMEOUT_MS });
    return stdout.trim().split('\n').pop()!.trim();
  } catch (error) {
    throw environmentError('KERAS_BACKEND_UNKNOWN', `Could not read Keras' backend in \`${python}\` (\`keras.backend.backend()\`)`, {
      detail: isToolError(error) ? error.stderrTail : String(error),
      cause: error,
    });
  }
}

export const kerasWriter: FlavorWriter<KerasSource> = {
  kind: 'keras',
  layout: 'flavor',
  infersSignature: false,
  takesCodePaths: false,
  // mlflow.keras hands infer_pip_requirements the directory: loaded with pyfunc and predicted on.
  capture: () => ({ kind: 'pyfunc' }),
  modelFileFlavor: { name: 'keras', file: 'a Keras 3 model saved with model.save(FILE.keras)', source: (modelFile) => ({ kind: 'keras', modelFile }) },

  checkSignature(signature, shown) {
    const inputs = signature.inputs;
    // mlflow/keras/save.py's own three checks, in its order and words.
    if (!inputs || inputs.inputs.length === 0) throw usageError('INVALID_SIGNATURE', `\`${shown}\`: The model signature's input schema must contain at least one field.`);
    if (inputs.kind !== 'tensors') throw usageError('INVALID_SIGNATURE', `\`${shown}\`: All fields in the model signature's input schema must be of type TensorSpec.`);
    if (inputs.inputs.some((tensor) => tensor.shape[0] !== -1)) {
      throw usageError('INVALID_SIGNATURE', `\`${shown}\`: All input schema' first dimension should be -1, which represents the dynamic batch dimension.`);
    }
  },

  validateSource(source, cwd) {
    return { path: checkModelFile(cwd, source.modelFile, ['zip'], 'keras') };
  },

  entryPoints() {
    return { files: [], modules: [] };
  },

  defaultRequirements() {
    return [{ name: 'keras', reason: 'flavor default: the keras flavor loads with keras' }];
  },

  async writeArtifacts(_source, checked, { dir, cwd, facts, python, env }) {
    const data = path.join(dir, DATA_DIR);
    await mkdir(data);
    await writeFile(path.join(data, KERAS_MODULE_FILE), 'keras');
    await copyFile(checked.path, path.join(data, MODEL_FILE));
    return {
      pyfunc: { loader_module: 'mlflow.keras' },
      flavor: {
        name: 'keras',
        section: { data: DATA_DIR, keras_version: libraryVersion(facts, python, ['keras']), keras_backend: await kerasBackend(python, cwd, env), save_exported_model: false },
      },
    };
  },
};
