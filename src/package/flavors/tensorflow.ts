import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, usageError } from '../../errors.js';
import { tryParseVersion } from '../../deps/pep440.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import type { FlavorWriter } from './flavor-writer.js';
import { checkModelFile, libraryVersion } from './native-model-file.js';

/**
 * `--flavor tensorflow --model-file model.keras`: a Keras 3 model saved with
 * `model.save("x.keras")`, written as `mlflow.tensorflow.save_model` writes a Keras model
 * (mlflow/tensorflow/__init__.py, TensorFlow >= 2.16): `data/model.keras`,
 * `data/keras_module.txt` (`tensorflow.keras`), `data/save_format.txt` (`tf`, its default), the
 * flavor's `model_type: keras`, `save_format: tf` and `keras_version`, which is TensorFlow's
 * version. Code paths are taken (the section's `code`). Unlike mlflow.keras, this save_model
 * infers a signature from the input example and then checks it like a given one: a DataFrame
 * example's column signature is refused, as MLflow refuses it. A tf.Module (`tf2-module`, a
 * SavedModel MLflow writes with `tf.saved_model.save`) is not written.
 */
export interface TensorflowSource {
  kind: 'tensorflow';
  modelFile: string;
}

/** mlflow/tensorflow/__init__.py `_KERAS_MODEL_DATA_PATH`, `_MODEL_SAVE_PATH` + ".keras", `_KERAS_MODULE_SPEC_PATH`, `_KERAS_SAVE_FORMAT_PATH`. */
const DATA_DIR = 'data';
const MODEL_FILE = 'model.keras';
const KERAS_MODULE_FILE = 'keras_module.txt';
const SAVE_FORMAT_FILE = 'save_format.txt';
/** What MLflow writes there: `importlib.import_module("tensorflow.keras").__name__`, and `save_format`'s default. */
const KERAS_MODULE = 'tensorflow.keras';
const SAVE_FORMAT = 'tf';
/** The distributions that install the `tensorflow` module whose `__version__` MLflow records (a nightly's differs from its distribution's). */
const TENSORFLOW_DISTRIBUTIONS = ['tensorflow', 'tensorflow-cpu', 'tensorflow-gpu', 'tensorflow-macos'];

export const tensorflowWriter: FlavorWriter<TensorflowSource> = {
  kind: 'tensorflow',
  layout: 'flavor',
  infersSignature: true,
  // mlflow.tensorflow hands infer_pip_requirements the directory: loaded with pyfunc and predicted on.
  capture: () => ({ kind: 'pyfunc' }),
  modelFileFlavor: {
    name: 'tensorflow',
    file: 'a Keras 3 model saved with model.save(FILE.keras), for TensorFlow >= 2.16',
    source: (modelFile) => ({ kind: 'tensorflow', modelFile }),
  },

  checkSignature(signature, shown) {
    const inputs = signature.inputs;
    // mlflow/tensorflow/__init__.py's save_model: its three checks, in its order and words.
    if (!inputs || inputs.inputs.length === 0) throw usageError('INVALID_SIGNATURE', `\`${shown}\`: The model signature's input schema must contain at least one field.`);
    if (inputs.kind !== 'tensors') {
      throw usageError('INVALID_SIGNATURE', `\`${shown}\`: All fields in the model signature's input schema must be of type TensorSpec.`, {
        hint: 'mlflow.tensorflow infers a column signature from a DataFrame example and refuses it: pass `--no-signature`, or `--signature` with tensor inputs',
      });
    }
    if (inputs.inputs.some((tensor) => tensor.shape[0] !== -1)) {
      throw usageError('INVALID_SIGNATURE', `\`${shown}\`: All fields in the model signature's input schema must have a shape in which the first dimension is a variable dimension.`);
    }
  },

  validateSource(source, cwd) {
    return { path: checkModelFile(cwd, source.modelFile, ['zip'], 'tensorflow') };
  },

  entryPoints() {
    return { files: [], modules: [] };
  },

  defaultRequirements() {
    return [
      // MLflow pins `tensorflow` at the module's version when only `tensorflow-cpu` (or another build) is installed.
      { name: 'tensorflow', reason: 'flavor default: the tensorflow flavor loads with tensorflow', versionFrom: TENSORFLOW_DISTRIBUTIONS.slice(1) },
      // get_default_pip_requirements(include_cloudpickle): save_model passes `get_global_custom_objects() is not None`,
      // true whenever tensorflow.keras has its custom-object registry, even empty.
      { name: 'cloudpickle', reason: "flavor default: mlflow.tensorflow adds cloudpickle for Keras' custom objects" },
    ];
  },

  async writeArtifacts(_source, checked, { dir, facts, python, hasCode }) {
    const version = libraryVersion(facts, python, TENSORFLOW_DISTRIBUTIONS);
    const release = tryParseVersion(version)?.release ?? [];
    // Before 2.16, save_model writes a SavedModel directory (data/model/), not a .keras file.
    if ((release[0] ?? 0) < 2 || (release[0] === 2 && (release[1] ?? 0) < 16)) {
      throw inputError('TENSORFLOW_TOO_OLD', `TensorFlow ${version} in \`${python}\`: mlflow.tensorflow writes a .keras file only with TensorFlow 2.16 or later (before, a SavedModel directory)`, {
        hint: 'pass `--python` with TensorFlow >= 2.16 and Keras 3',
      });
    }
    const data = path.join(dir, DATA_DIR);
    await mkdir(data);
    await writeFile(path.join(data, KERAS_MODULE_FILE), KERAS_MODULE);
    await writeFile(path.join(data, SAVE_FORMAT_FILE), SAVE_FORMAT);
    await copyFile(checked.path, path.join(data, MODEL_FILE));
    return {
      pyfunc: { loader_module: 'mlflow.tensorflow', data: DATA_DIR },
      flavor: {
        name: 'tensorflow',
        section: { code: hasCode ? CODE_DIR_NAME : null, data: DATA_DIR, model_type: 'keras', keras_version: version, save_format: SAVE_FORMAT },
      },
    };
  },
};
