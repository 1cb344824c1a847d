import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, usageError } from '../../errors.js';
import { BINARY_FILE_LIMIT, readRegularFileSync, withRegularFileRangesSync } from '../../fs/read-regular-file.js';
import { canonicalizeName } from '../../deps/pep508.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import { describeFile, isFileOfKind, KIND_NAMES, type ModelFileKind } from '../../scan/model-file-kind.js';
import { scanPickle } from '../../scan/pickle-scan.js';
import type { FlavorDefault } from '../infer.js';
import type { InterpreterFacts } from '../interpreter.js';
import { requireFile } from '../user-files.js';
import type { FlavorWriter, MlmodelSection } from './flavor-writer.js';

/**
 * What the writers of a flavor given as its library's own model file (`--flavor xgboost
 * --model-file model.ubj`, ...) share: the file must exist, be a regular file and be of the kind
 * the flavor's loader reads (checked as `mlf models validate` checks it, MLF112), and the
 * flavor's library must be installed in `--python`, whose version MLmodel records.
 */
export function checkModelFile(cwd: string, given: string, kinds: readonly ModelFileKind[], flavor: string): string {
  const modelFile = requireFile(cwd, given, 'model file', 'MODEL_FILE_NOT_FOUND');
  withRegularFileRangesSync(modelFile, { shown: given }, (file) => {
    if (kinds.some((kind) => isFileOfKind(file, kind))) return;
    throw inputError('MODEL_FILE_KIND', `\`${given}\` is not ${kinds.map((kind) => KIND_NAMES[kind]).join(' or ')} but ${describeFile(file)}: \`--flavor ${flavor}\` cannot package it`, {
      hint: `pass the file ${flavor}'s own save_model wrote`,
    });
  });
  return modelFile;
}

/** The installed version of the first of `distributions` that `--python` has (MLflow reads the library's `__version__`). */
export function libraryVersion(facts: InterpreterFacts, python: string, distributions: readonly string[]): string {
  for (const name of distributions) {
    const version = facts.distributions.get(canonicalizeName(name))?.version;
    if (version !== undefined) return version;
  }
  throw inputError('DEFAULT_REQUIREMENT_NOT_INSTALLED', `\`${distributions[0]}\` is not installed in \`${python}\``, {
    hint: 'pass `--python` with the interpreter the model was trained with',
  });
}

/** One flavor given as its library's model file, copied under the name its save_model writes. */
export interface NativeFileFlavor {
  /** MLflow's flavor name: `--flavor`, the MLmodel section, `mlflow.<name>` the loader. */
  name: string;
  /** What `--model-file` is, for `--help`. */
  file: string;
  /** The file's name in the model directory, from the given file's name (xgboost keeps its format's extension), and the kinds it must be. */
  target(modelFile: string): { name: string; kinds: readonly ModelFileKind[] };
  /** The library's distributions (the first is what MLflow pins), and MLmodel's key for its version. */
  library: { distributions: readonly string[]; versionKey: string };
  /** The flavor section's other keys, as its save_model writes them for such a file. */
  section(target: string, facts: InterpreterFacts, source: NativeFileSource<string>): MlmodelSection;
  /** `--model-type`'s values, when the flavor records a class the file does not hold; required unless there is a default. */
  modelTypes?: readonly string[];
  defaultModelType?: string;
  /** `get_default_pip_requirements()` beyond the library itself. */
  extraDefaults?: readonly FlavorDefault[];
  infersSignature: boolean;
  /** A pickle (statsmodels): scanned, its modules the requirements' and code paths' entry points. */
  pickled?: boolean;
}

export interface NativeFileSource<K extends string> {
  kind: K;
  modelFile: string;
  /** `--model-type`, for a flavor that takes it. */
  modelType?: string;
}

function modelTypeFrom(flavor: NativeFileFlavor, given: string | undefined): { modelType?: string } {
  const types = flavor.modelTypes;
  if (!types) return {};
  const choices = types.map((type) => `\`${type}\``).join(', ');
  if (given === undefined && flavor.defaultModelType !== undefined) return { modelType: flavor.defaultModelType };
  if (given === undefined) {
    throw usageError('MODEL_TYPE', `\`--flavor ${flavor.name}\` needs \`--model-type CLASS\`: the class the model was saved from (${choices}), which its file does not record`);
  }
  if (!types.includes(given)) throw usageError('MODEL_TYPE', `\`--model-type ${given}\` is not a ${flavor.name} model class; use ${choices}`);
  return { modelType: given };
}

/** The writer of a NativeFileFlavor: every flavor whose save_model writes the library's own file. */
export function nativeFileWriter<K extends string>(flavor: NativeFileFlavor & { name: K }): FlavorWriter<NativeFileSource<K>> {
  return {
    kind: flavor.name,
    layout: 'flavor',
    infersSignature: flavor.infersSignature,
    // These save_models hand infer_pip_requirements the directory: loaded with pyfunc and predicted on.
    capture: () => ({ kind: 'pyfunc' }),
    modelFileFlavor: {
      name: flavor.name,
      file: flavor.file,
      ...(flavor.modelTypes ? { modelTypes: flavor.modelTypes } : {}),
      ...(flavor.defaultModelType !== undefined ? { defaultModelType: flavor.defaultModelType } : {}),
      source: (modelFile, { modelType }) => ({ kind: flavor.name, modelFile, ...modelTypeFrom(flavor, modelType) }),
    },

    validateSource(source, cwd) {
      const modelFile = checkModelFile(cwd, source.modelFile, flavor.target(source.modelFile).kinds, flavor.name);
      if (!flavor.pickled) return { path: modelFile };
      const bytes = readRegularFileSync(modelFile, { shown: source.modelFile, limit: BINARY_FILE_LIMIT });
      return { path: modelFile, pickle: { scan: scanPickle(bytes, source.modelFile), shown: source.modelFile } };
    },

    entryPoints(_source, checked) {
      return { files: [], modules: (checked.pickle?.scan.modules ?? []).map((ref) => ref.module) };
    },

    defaultRequirements() {
      const [library, ...standIns] = flavor.library.distributions;
      return [
        { name: library!, reason: `flavor default: the ${flavor.name} flavor loads with ${library}`, ...(standIns.length > 0 ? { versionFrom: standIns } : {}) },
        ...(flavor.extraDefaults ?? []),
      ];
    },

    async writeArtifacts(source, checked, { dir, facts, python, hasCode }) {
      const target = flavor.target(source.modelFile).name;
      await copyFile(checked.path, path.join(dir, target));
      const version = libraryVersion(facts, python, flavor.library.distributions);
      return {
        pyfunc: { loader_module: `mlflow.${flavor.name}`, data: target },
        flavor: {
          name: flavor.name,
          section: { [flavor.library.versionKey]: version, data: target, code: hasCode ? CODE_DIR_NAME : null, ...flavor.section(target, facts, source) },
        },
      };
    },
  };
}
