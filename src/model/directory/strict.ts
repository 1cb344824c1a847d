/**
 * The model directory for the commands that act on it (predict, prepare-env, envs path,
 * update-pip-requirements): read.ts's result with MLmodel parsed, where the first problem is
 * an `MlfError` (exit 2, one line) instead of a finding. The env files stay raw texts, so that
 * env/ and update decide how each is parsed.
 */
import path from 'node:path';
import { inputError } from '../../errors.js';
import { CONSTRAINTS_FILE_NAME, MLMODEL_FILE_NAME, PYFUNC_FLAVOR_NAME, REQUIREMENTS_FILE_NAME } from '../file-names.js';
import { parseMlmodel, type EnvFileNames, type MlmodelDocument, type MlmodelWarning } from '../mlmodel.js';
import type { LoadedYaml } from '../yaml-file.js';
import type { ModelLocation } from './locate.js';
import { isInsideModel, normalizeRelative } from './paths.js';
import { readModelFiles, type DirectoryProblem } from './read.js';

export interface ModelDirectory {
  location: ModelLocation;
  /** Absolute path. */
  dir: string;
  /** Parsed, unknown keys kept. */
  mlmodel: MlmodelDocument;
  mlmodelText: string;
  /** Raw texts of the env files that exist. */
  requirementsText?: string;
  condaText?: string;
  pythonEnvText?: string;
  constraintsText?: string;
  /** requirements.txt, constraints.txt and the files inside the directory they include, by relative path. */
  requirementFiles: ReadonlyMap<string, string>;
  /** The env file names the MLmodel declares (model-relative), whether or not they exist. */
  envFileNames: EnvFileNames;
  /** Warnings from reading MLmodel. */
  mlmodelWarnings: MlmodelWarning[];
  /** The loaded MLmodel YAML, for `lineOf(path)`. */
  mlmodelYaml: LoadedYaml;
}

/**
 * Read a model directory. Errors (all exit 2, one line each): MLMODEL_NOT_FOUND (no such path,
 * or no MLmodel in it: MLflow's wording), NOT_A_DIRECTORY, MODEL_DIRECTORY_UNREADABLE,
 * MALFORMED_YAML / INVALID_MLMODEL (file and line), INVALID_ENV_FILE_NAME (an env file name that
 * leaves the directory), and fs/read-regular-file.ts's refusals of a file that is not a regular
 * UTF-8 file of at most 16 MiB. Files are named as `location.shown` joined with their name.
 */
export async function readModelDirectory(location: ModelLocation): Promise<ModelDirectory> {
  const { shown } = location;
  const files = await readModelFiles(location.dir, { label: (relative) => path.join(shown, relative) });
  if (files.directoryProblem) throw directoryError(files.directoryProblem, location);
  const problemIn = (relative: string) => files.problems.find((problem) => problem.file === relative)?.error;

  const mlmodelProblem = problemIn(MLMODEL_FILE_NAME);
  if (mlmodelProblem) throw mlmodelProblem;
  if (files.mlmodel === undefined) throw mlmodelNotFound(shown);
  const mlmodelLabel = path.join(shown, MLMODEL_FILE_NAME);
  const parsed = parseMlmodel(files.mlmodel.text, mlmodelLabel);
  const names = files.envFileNames;

  const envField = `flavors.${PYFUNC_FLAVOR_NAME}.env`;
  const envIsString = typeof parsed.document.flavors?.[PYFUNC_FLAVOR_NAME]?.env === 'string';
  const textOf = (texts: ReadonlyMap<string, string>, name: string, field?: string): string | undefined => {
    if (!isInsideModel(name)) {
      throw inputError('INVALID_ENV_FILE_NAME', `Invalid field \`${field}\` in \`${mlmodelLabel}\`: \`${name}\` is not a path inside the model directory`, {
        file: mlmodelLabel,
        field,
        line: field === undefined ? undefined : parsed.yaml.lineOf(field.split('.'))?.line,
      });
    }
    const relative = normalizeRelative(name);
    const problem = problemIn(relative);
    if (problem) throw problem;
    return texts.get(relative);
  };
  // In the order MLflow reads them, so that the first broken one is the one reported.
  const requirementsText = textOf(files.requirementFiles, REQUIREMENTS_FILE_NAME);
  const condaText = textOf(files.envFiles, names.conda, envIsString ? envField : `${envField}.conda`);
  const pythonEnvText = textOf(files.envFiles, names.virtualenv, `${envField}.virtualenv`);
  const constraintsText = textOf(files.requirementFiles, CONSTRAINTS_FILE_NAME);

  return {
    location,
    dir: location.dir,
    mlmodel: parsed.document,
    mlmodelText: files.mlmodel.text,
    ...(requirementsText === undefined ? {} : { requirementsText }),
    ...(condaText === undefined ? {} : { condaText }),
    ...(pythonEnvText === undefined ? {} : { pythonEnvText }),
    ...(constraintsText === undefined ? {} : { constraintsText }),
    requirementFiles: files.requirementFiles,
    envFileNames: names,
    mlmodelWarnings: parsed.warnings,
    mlmodelYaml: parsed.yaml,
  };
}

function directoryError(problem: DirectoryProblem, location: ModelLocation) {
  const { shown, dir } = location;
  if (problem.kind === 'missing') return mlmodelNotFound(shown);
  if (problem.kind === 'unreadable') {
    return inputError('MODEL_DIRECTORY_UNREADABLE', `Cannot read \`${shown}\`: ${problem.reason}`, { file: shown, cause: problem.cause });
  }
  const isMlmodelFile = path.basename(dir) === MLMODEL_FILE_NAME;
  return inputError('NOT_A_DIRECTORY', `\`${shown}\` is not a directory`, {
    file: shown,
    hint: isMlmodelFile ? `Pass the directory that contains it: \`${path.dirname(shown)}\`.` : 'Pass the model directory (the one that contains `MLmodel`).',
  });
}

function mlmodelNotFound(shown: string) {
  const trimmed = shown.length > 1 ? shown.replace(/[\\/]+$/, '') : shown;
  return inputError('MLMODEL_NOT_FOUND', `Could not find an "${MLMODEL_FILE_NAME}" configuration file at "${trimmed}"`, {
    file: trimmed,
    hint: 'Pass the directory that `mlflow.<flavor>.save_model` wrote (it contains `MLmodel`).',
  });
}
