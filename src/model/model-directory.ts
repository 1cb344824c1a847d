/**
 * The model directory as a whole: where it is (`resolveModelUri`) and what it holds
 * (`readModelDirectory`: the parsed MLmodel plus the raw texts of the env files, found under the
 * names the MLmodel declares). The env files are returned as text, not parsed, so that each
 * caller decides whether a broken conda.yaml is fatal (predict) or a diagnostic (validate).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputError, usageError } from '../errors.js';
import { readOptionalRegularTextSync } from '../fs/read-regular-file.js';
import { CONSTRAINTS_FILE_NAME, MLMODEL_FILE_NAME, PYFUNC_FLAVOR_NAME, REQUIREMENTS_FILE_NAME } from './file-names.js';
import { envFileNames, parseMlmodel, type EnvFileNames, type MlmodelDocument, type MlmodelWarning } from './mlmodel.js';
import type { LoadedYaml } from './yaml-file.js';

export interface ModelDirectory {
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
  /** The env file names the MLmodel declares (model-relative), whether or not they exist. */
  envFileNames: EnvFileNames;
  /** Warnings from reading MLmodel. */
  mlmodelWarnings: MlmodelWarning[];
  /** The loaded MLmodel YAML, for `lineOf(path)`. */
  mlmodelYaml: LoadedYaml;
}

const SUPPORTED_FORMS = 'a local path (`./model`, `/abs/path/model`) or a `file://` URI (`file:///abs/path/model`)';

/**
 * A model URI as given on the command line → an absolute local path. Accepts a relative or
 * absolute path (resolved against `cwd`) and `file:` URIs (`file:///abs`, `file://localhost/abs`,
 * `file:/abs`; percent-escapes decoded). Any other scheme (`runs:/`, `models:/`, `s3://`, ...)
 * is a usage error naming the supported forms.
 */
export function resolveModelUri(uri: string, cwd: string): string {
  if (uri.trim() === '') {
    throw usageError('INVALID_MODEL_URI', 'The model URI is empty', { hint: `Pass ${SUPPORTED_FORMS}.` });
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
  // A one-letter scheme is a Windows drive (`C:\models\m`), not a URI.
  if (scheme === undefined || (scheme.length === 1 && path.sep === '\\')) {
    return path.resolve(cwd, uri);
  }
  if (scheme.toLowerCase() === 'file') {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw usageError('INVALID_MODEL_URI', `Invalid file URI \`${uri}\``, { hint: `Pass ${SUPPORTED_FORMS}.` });
    }
    if (url.host !== '' && url.host !== 'localhost') {
      throw usageError('UNSUPPORTED_MODEL_URI', `Unsupported model URI \`${uri}\`: a \`file://\` URI must name a local path`, {
        hint: `Pass ${SUPPORTED_FORMS}.`,
      });
    }
    if (url.host === 'localhost') url.host = '';
    return path.resolve(fileURLToPath(url));
  }
  throw usageError(
    'UNSUPPORTED_MODEL_URI',
    `Unsupported model URI \`${uri}\`: mlf reads local model directories; supported forms are ${SUPPORTED_FORMS}`,
    { hint: 'Download the model first, e.g. `mlflow artifacts download -u <uri> -d ./model`, then pass `./model`.' },
  );
}

export interface ReadModelDirectoryOptions {
  /** How the directory is named in messages (default: the absolute path). */
  displayPath?: string;
  /** Base for a relative `dir` (callers pass their `cwd`; resolveModelUri's output is absolute). */
  cwd?: string;
}

/**
 * Read a model directory. Errors (all exit 2, one line each): MLMODEL_NOT_FOUND (no such path,
 * or no MLmodel in it: MLflow's wording), NOT_A_DIRECTORY, MALFORMED_YAML / INVALID_MLMODEL
 * (file and line), INVALID_ENV_FILE_NAME (an env file name that leaves the directory), and
 * fs/read-regular-file.ts's refusals of a file that is not a regular UTF-8 file of at most 16 MiB.
 */
export async function readModelDirectory(dir: string, options: ReadModelDirectoryOptions = {}): Promise<ModelDirectory> {
  const absolute = options.cwd === undefined ? path.resolve(dir) : path.resolve(options.cwd, dir);
  const shown = options.displayPath ?? absolute;
  const stats = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw inputError('MODEL_DIRECTORY_UNREADABLE', `Cannot read \`${shown}\`: ${error.message}`, { file: shown, cause: error });
  });
  if (stats === undefined) throw mlmodelNotFound(shown);
  if (!stats.isDirectory()) {
    const isMlmodelFile = path.basename(absolute) === MLMODEL_FILE_NAME;
    throw inputError('NOT_A_DIRECTORY', `\`${shown}\` is not a directory`, {
      file: shown,
      hint: isMlmodelFile
        ? `Pass the directory that contains it: \`${path.dirname(shown)}\`.`
        : 'Pass the model directory (the one that contains `MLmodel`).',
    });
  }

  const mlmodelPath = path.join(absolute, MLMODEL_FILE_NAME);
  const mlmodelText = await readOptionalText(mlmodelPath, path.join(shown, MLMODEL_FILE_NAME));
  if (mlmodelText === undefined) throw mlmodelNotFound(shown);
  const parsed = parseMlmodel(mlmodelText, path.join(shown, MLMODEL_FILE_NAME));
  const names = envFileNames(parsed.document);

  const readEnvFile = async (name: string, field?: string): Promise<string | undefined> => {
    const target = insideDirectory(absolute, name);
    if (target === undefined) {
      throw inputError(
        'INVALID_ENV_FILE_NAME',
        `Invalid field \`${field}\` in \`${path.join(shown, MLMODEL_FILE_NAME)}\`: \`${name}\` is not a path inside the model directory`,
        {
          file: path.join(shown, MLMODEL_FILE_NAME),
          field,
          line: field === undefined ? undefined : parsed.yaml.lineOf(field.split('.'))?.line,
        },
      );
    }
    return readOptionalText(target, path.join(shown, name));
  };
  const envField = `flavors.${PYFUNC_FLAVOR_NAME}.env`;
  const envIsString = typeof parsed.document.flavors?.[PYFUNC_FLAVOR_NAME]?.env === 'string';

  const [requirementsText, condaText, pythonEnvText, constraintsText] = await Promise.all([
    readEnvFile(REQUIREMENTS_FILE_NAME),
    readEnvFile(names.conda, envIsString ? envField : `${envField}.conda`),
    readEnvFile(names.virtualenv, `${envField}.virtualenv`),
    readEnvFile(CONSTRAINTS_FILE_NAME),
  ]);

  return {
    dir: absolute,
    mlmodel: parsed.document,
    mlmodelText,
    ...(requirementsText === undefined ? {} : { requirementsText }),
    ...(condaText === undefined ? {} : { condaText }),
    ...(pythonEnvText === undefined ? {} : { pythonEnvText }),
    ...(constraintsText === undefined ? {} : { constraintsText }),
    envFileNames: names,
    mlmodelWarnings: parsed.warnings,
    mlmodelYaml: parsed.yaml,
  };
}

function mlmodelNotFound(shown: string) {
  const trimmed = shown.length > 1 ? shown.replace(/[\\/]+$/, '') : shown;
  return inputError('MLMODEL_NOT_FOUND', `Could not find an "${MLMODEL_FILE_NAME}" configuration file at "${trimmed}"`, {
    file: trimmed,
    hint: 'Pass the directory that `mlflow.<flavor>.save_model` wrote (it contains `MLmodel`).',
  });
}

/** `name` resolved inside `dir`, or undefined when it is absolute or climbs out. */
function insideDirectory(dir: string, name: string): string | undefined {
  if (path.isAbsolute(name)) return undefined;
  const target = path.resolve(dir, name);
  const relative = path.relative(dir, target);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return target;
}

/** UTF-8 text of a file, or undefined when nothing is there (a dangling symlink is an error: MLflow would fail to open it). */
async function readOptionalText(file: string, shown: string): Promise<string | undefined> {
  return readOptionalRegularTextSync(file, { shown });
}
