/**
 * python_env.yaml (mlflow-format.md §2.2): `python`, `build_dependencies`, `dependencies`, written
 * in that order with falsy values left out (MLflow's `_PythonEnv.to_yaml`, `sort_keys=False`).
 *
 * MLflow's reader (`_PythonEnv.__init__`) insists that `python` is a string, so a hand-written
 * `python: 3.10` (a YAML float, 3.1) is an error here too, naming the field and the fix. Unknown
 * keys make MLflow fail (`__init__() got an unexpected keyword argument`); mlf keeps them on round
 * trip and reports a warning.
 *
 * `pythonEnvFromConda` is MLflow's fallback for models without python_env.yaml
 * (`_PythonEnv.get_dependencies_from_conda_yaml` and `_get_python_env`).
 */
import { z } from 'zod';
import { inputError, MlfError } from '../errors.js';
import { isPipDependencies, type CondaEnvDocument } from './conda-env.js';
import { CONDA_ENV_FILE_NAME, PYTHON_ENV_FILE_NAME, REQUIREMENTS_FILE_NAME } from './file-names.js';
import { safeDump, type PyValue } from './pyyaml.js';
import { parseYamlWithSchema, type LoadedYaml } from './yaml-file.js';

export const PYTHON_ENV_KEYS = ['python', 'build_dependencies', 'dependencies'] as const;

export const PythonEnvDocument = z.looseObject({
  python: z.string({ error: 'expected a string' }).nullable().optional(),
  build_dependencies: z.array(z.string()).nullable().optional(),
  dependencies: z.array(z.string()).nullable().optional(),
});
export type PythonEnvDocument = z.infer<typeof PythonEnvDocument>;

export interface PythonEnvWarning {
  code: string;
  message: string;
  field?: string;
  line?: number;
}

export interface ParsedPythonEnv {
  document: PythonEnvDocument;
  warnings: PythonEnvWarning[];
  yaml: LoadedYaml;
}

/** Parse python_env.yaml text; MALFORMED_YAML / INVALID_PYTHON_ENV (exit 2) with file and line. */
export function parsePythonEnv(text: string, file: string = PYTHON_ENV_FILE_NAME): ParsedPythonEnv {
  let parsed;
  try {
    parsed = parseYamlWithSchema(text, file, PythonEnvDocument, 'INVALID_PYTHON_ENV');
  } catch (error) {
    throw withPythonVersionHint(error, text);
  }
  const { document, loaded } = parsed;
  const warnings: PythonEnvWarning[] = [];
  for (const key of Object.keys(document)) {
    if ((PYTHON_ENV_KEYS as readonly string[]).includes(key)) continue;
    warnings.push({
      code: 'PYTHON_ENV_UNKNOWN_KEY',
      message: `\`${file}\` has an unknown key \`${key}\`; MLflow fails to load it (expected only ${PYTHON_ENV_KEYS.map((k) => `\`${k}\``).join(', ')})`,
      field: key,
      line: loaded.lineOf([key])?.line,
    });
  }
  return { document, warnings, yaml: loaded };
}

/** A `python: 3.10` error gets the fix spelled out with the text as written. */
function withPythonVersionHint(error: unknown, text: string): unknown {
  if (!(error instanceof MlfError)) return error;
  const mlfError = error as MlfError;
  if (mlfError.code !== 'INVALID_PYTHON_ENV' || mlfError.location.field !== 'python') return error;
  const line = mlfError.location.line === undefined ? undefined : text.split(/\r?\n/)[mlfError.location.line - 1];
  const written = line?.replace(/^\s*python\s*:\s*/, '').replace(/\s+#.*$/, '').trim() || '3.10';
  return inputError(mlfError.code, mlfError.message, {
    file: mlfError.location.file,
    line: mlfError.location.line,
    column: mlfError.location.column,
    field: 'python',
    hint: `Quote the version so YAML reads it as a string: \`python: "${written}"\``,
  });
}

/**
 * What MLflow writes: the three keys in order, falsy ones (null, '', []) left out; unknown keys
 * (which MLflow itself never writes) kept after them.
 */
export function serializePythonEnv(document: PythonEnvDocument): string {
  const ordered: Record<string, PyValue> = {};
  for (const key of PYTHON_ENV_KEYS) {
    const value = document[key];
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    ordered[key] = value;
  }
  for (const [key, value] of Object.entries(document)) {
    if (!(PYTHON_ENV_KEYS as readonly string[]).includes(key) && value !== undefined) ordered[key] = value as PyValue;
  }
  return safeDump(ordered, { sortKeys: false });
}

export interface PythonEnvSpec {
  /** `X.Y.Z`. */
  python: string;
  /** `pip==v`, `setuptools==v`, `wheel==v` (a bare name when not installed). */
  buildDependencies: readonly string[];
  /** Default: `["-r requirements.txt"]`, as MLflow always writes. */
  dependencies?: readonly string[];
}

/** The document `_PythonEnv.current()` builds for a saved model. */
export function buildPythonEnv(spec: PythonEnvSpec): PythonEnvDocument {
  return {
    python: spec.python,
    build_dependencies: [...spec.buildDependencies],
    dependencies: [...(spec.dependencies ?? [`-r ${REQUIREMENTS_FILE_NAME}`])],
  };
}

// ---------------------------------------------------------------------------------------------
// Fallback for models without python_env.yaml (MLflow < 1.26).

/** `_CONDA_DEPENDENCY_REGEX`. */
const CONDA_DEPENDENCY = /^(python|pip|setuptools|wheel)(<|>|<=|>=|=|==|!=)?([\d.]+)?$/;

export interface PythonEnvFromCondaOptions {
  /** Whether the model has requirements.txt: then dependencies are `-r requirements.txt`. */
  hasRequirementsFile: boolean;
  /** The conda file's name in messages (default `conda.yaml`). */
  file?: string;
  /** The loaded conda YAML, to put line numbers on errors. */
  yaml?: LoadedYaml;
}

export interface PythonEnvFromConda {
  /** `python` is undefined when conda.yaml pins none (MLflow then uses its own Python). */
  document: PythonEnvDocument;
  warnings: PythonEnvWarning[];
}

/**
 * MLflow's `_get_python_env` for a model without python_env.yaml: the python version and the
 * build packages (pip, setuptools, wheel) come from conda.yaml's dependency strings; the
 * dependencies are `-r requirements.txt` when that file exists, otherwise the conda pip list.
 *
 * - python: the operator must be `=`, `==`, `<=` or `>=` (the version is taken as is); no
 *   operator → "must be pinned"; `<`, `>`, `!=` → error. Only the first python entry counts.
 * - build packages: `=` becomes `==`.
 * - other conda specs: a warning that they will not be installed.
 * - a mapping without `pip`: an error, as in MLflow.
 */
export function pythonEnvFromConda(conda: CondaEnvDocument, options: PythonEnvFromCondaOptions): PythonEnvFromConda {
  const file = options.file ?? CONDA_ENV_FILE_NAME;
  const warnings: PythonEnvWarning[] = [];
  let python: string | undefined;
  let buildDependencies: string[] | undefined;
  const unmatched: string[] = [];
  const dependencies = conda.dependencies ?? [];

  dependencies.forEach((dependency, index) => {
    const field = `dependencies.${index}`;
    const where = { file, field, line: options.yaml?.lineOf(['dependencies', index])?.line };
    if (typeof dependency === 'string') {
      const match = CONDA_DEPENDENCY.exec(dependency);
      if (!match) {
        unmatched.push(dependency);
        return;
      }
      const [, name, operator, version] = match as unknown as [string, string, string | undefined, string | undefined];
      if (python === undefined && name === 'python') {
        if (operator === undefined) {
          throw inputError(
            'PYTHON_NOT_PINNED',
            `Invalid dependency for python: \`${dependency}\`. It must be pinned (e.g. python=3.8.13).`,
            { ...where, hint: `Pin the Python version in \`${file}\`, e.g. \`python=3.10.12\`.` },
          );
        }
        if (operator === '<' || operator === '>' || operator === '!=') {
          throw inputError(
            'INVALID_PYTHON_COMPARATOR',
            `Invalid version comparator for python: \`${operator}\`. Must be one of ['<=', '>=', '=', '=='].`,
            where,
          );
        }
        python = version;
        return;
      }
      buildDependencies ??= [];
      buildDependencies.push(name + (operator === '=' ? '==' : (operator ?? '')) + (version ?? ''));
      return;
    }
    if (!isPipDependencies(dependency)) {
      throw inputError(
        'INVALID_CONDA_DEPENDENCY',
        `Invalid conda dependency: \`${JSON.stringify(dependency)}\`. Must be str or dict in the form of {"pip": [...]}`,
        where,
      );
    }
  });

  if (python === undefined) {
    warnings.push({
      code: 'CONDA_PYTHON_MISSING',
      message: `\`${file}\` does not include a python version specification; the current Python version is used`,
      field: 'dependencies',
    });
  }
  if (unmatched.length > 0) {
    warnings.push({
      code: 'CONDA_DEPENDENCIES_NOT_INSTALLED',
      message: `The following conda dependencies will not be installed in the resulting environment: ${unmatched.map((d) => `\`${d}\``).join(', ')}`,
      field: 'dependencies',
    });
  }
  // `get_dependencies_from_conda_yaml` keeps the *last* pip mapping; `_get_pip_deps` the first.
  let pip: string[] | undefined;
  for (const dependency of dependencies) if (isPipDependencies(dependency)) pip = dependency.pip ?? undefined;
  const document: PythonEnvDocument = {
    python,
    build_dependencies: buildDependencies ?? [],
    dependencies: options.hasRequirementsFile ? [`-r ${REQUIREMENTS_FILE_NAME}`] : (pip ?? []),
  };
  return { document, warnings };
}
