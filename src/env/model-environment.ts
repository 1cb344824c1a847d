import path from 'node:path';
import { parseRequirementsFile, resolveIncludes, type ResolvedLine } from '../deps/requirements-txt.js';
import { readRegularTextSync } from '../fs/read-regular-file.js';
import { inputError } from '../errors.js';
import { getCondaDependencies, getPipDependencies, parseCondaEnv } from '../model/conda-env.js';
import { normalizeRelative } from '../model/directory/paths.js';
import type { ModelDirectory } from '../model/directory/strict.js';
import { parsePythonEnv, pythonEnvFromConda } from '../model/python-env.js';

/**
 * What env/ needs to know about a model to build its environment: the Python version asked
 * for, the build dependencies, and the requirement and constraint lines with every `-r`/`-c`
 * expanded against the model directory (MLflow's `_get_python_env` and `_parse_requirements`).
 * Works from the texts model/directory/strict.ts read: nothing here reads MLmodel or an env
 * file again; only an include it did not read (outside the directory, or named through an
 * environment variable) is read here.
 */
export interface ModelEnvironment {
  modelDir: string;
  /** The Python version asked for (python_env.yaml, else conda.yaml's `python=`). */
  python: string;
  buildDependencies: string[];
  /** python_env.yaml's `dependencies` expanded: requirement, option and URL lines in order. */
  requirements: ResolvedLine[];
  constraints: ResolvedLine[];
  /** conda.yaml's raw text, when the model has one. */
  condaText?: string;
  /** conda.yaml's pip list expanded (what `conda env create` installs with pip). */
  condaRequirements?: ResolvedLine[];
  condaConstraints?: ResolvedLine[];
  /** conda.yaml's non-pip dependency strings. */
  condaDependencies?: string[];
  condaPython?: string;
  /** MLmodel's `mlflow_version`, which --install-mlflow installs. */
  mlflowVersion?: string;
  warnings: string[];
}

export interface LoadModelEnvironmentOptions {
  env: Record<string, string | undefined>;
  /** The Python version to assume when conda.yaml pins none (MLflow uses its own). */
  fallbackPython?: () => Promise<string>;
}

export async function loadModelEnvironment(model: ModelDirectory, options: LoadModelEnvironmentOptions): Promise<ModelEnvironment> {
  const dir = model.dir;
  const readInclude = includeReader(model);
  const names = model.envFileNames;
  const pythonEnvPath = path.join(dir, names.virtualenv);
  const condaPath = path.join(dir, names.conda);
  const { pythonEnvText, condaText, requirementsText } = model;
  const warnings: string[] = [];
  const conda = condaText !== undefined ? parseCondaEnv(condaText, condaPath) : undefined;

  let python: string | undefined;
  let buildDependencies: string[];
  let dependencies: string[];
  let dependenciesOrigin: string;
  if (pythonEnvText !== undefined) {
    const parsed = parsePythonEnv(pythonEnvText, pythonEnvPath);
    for (const w of parsed.warnings) warnings.push(w.message);
    python = parsed.document.python ?? undefined;
    buildDependencies = parsed.document.build_dependencies ?? [];
    dependencies = parsed.document.dependencies ?? [];
    dependenciesOrigin = names.virtualenv;
  } else if (conda) {
    const fallback = pythonEnvFromConda(conda.document, { hasRequirementsFile: requirementsText !== undefined, file: condaPath, yaml: conda.yaml });
    warnings.push(`\`${dir}\` has no ${names.virtualenv}; the Python version and build dependencies are taken from ${names.conda}, as MLflow does`);
    for (const w of fallback.warnings) if (w.code !== 'CONDA_PYTHON_MISSING') warnings.push(w.message);
    python = fallback.document.python ?? undefined;
    buildDependencies = fallback.document.build_dependencies ?? [];
    dependencies = fallback.document.dependencies ?? [];
    dependenciesOrigin = names.conda;
  } else {
    throw inputError('MODEL_ENV_MISSING', `\`${dir}\` has neither ${names.virtualenv} nor ${names.conda}: its environment cannot be built`, {
      file: pythonEnvPath,
      hint: 'add a python_env.yaml (`python: X.Y.Z` and `dependencies: [-r requirements.txt]`), or use `--env-manager local`',
    });
  }
  if (python === undefined) {
    if (!options.fallbackPython) {
      throw inputError('PYTHON_VERSION_MISSING', `the model does not say which Python it needs (no \`python\` in ${dependenciesOrigin})`, {
        file: path.join(dir, dependenciesOrigin),
        field: 'python',
        hint: 'add `python: X.Y.Z` to python_env.yaml',
      });
    }
    python = await options.fallbackPython();
    warnings.push(`${dependenciesOrigin} does not say which Python the model needs; using the local Python \`${python}\``);
  }

  const expanded = expandLines(dependencies, dir, dependenciesOrigin, pythonEnvText !== undefined ? 'dependencies' : 'pip', options.env, readInclude);
  warnings.push(...expanded.warnings);
  const result: ModelEnvironment = {
    modelDir: dir,
    python,
    buildDependencies,
    requirements: expanded.requirements,
    constraints: expanded.constraints,
    warnings,
    ...(typeof model.mlmodel.mlflow_version === 'string' ? { mlflowVersion: model.mlmodel.mlflow_version } : {}),
  };
  if (conda && condaText !== undefined) {
    const pip = expandLines(getPipDependencies(conda.document) ?? [], dir, names.conda, 'pip', options.env, readInclude);
    const condaDependencies = getCondaDependencies(conda.document);
    const pythonSpec = condaDependencies.map((d) => /^python\s*(?:==?|<=|>=)\s*([\d.]+)$/.exec(d)?.[1]).find((v) => v !== undefined);
    result.condaText = condaText;
    result.condaRequirements = pip.requirements;
    result.condaConstraints = pip.constraints;
    result.condaDependencies = condaDependencies;
    if (pythonSpec) result.condaPython = pythonSpec;
  }
  return result;
}

/**
 * Expands a list of requirement lines (python_env.yaml `dependencies`, conda's pip list) as
 * a requirements file living in the model directory: `-r`/`-c` resolve against it.
 */
function expandLines(
  lines: string[],
  dir: string,
  origin: string,
  listName: string,
  env: Record<string, string | undefined>,
  readInclude: (file: string) => string,
): { requirements: ResolvedLine[]; constraints: ResolvedLine[]; warnings: string[] } {
  if (lines.length === 0) return { requirements: [], constraints: [], warnings: [] };
  const file = parseRequirementsFile(lines.join('\n'), path.join(dir, origin), { env });
  const resolved = resolveIncludes(file, readInclude, dir, { env });
  // Lines of the YAML list itself are named by list entry (their line in the YAML is not known here).
  const listFile = path.join(dir, origin);
  const relabel = (l: ResolvedLine): ResolvedLine => ({
    ...l,
    origin: l.file === listFile ? `${origin}, ${listName} entry ${l.line}` : l.file ? `${path.relative(dir, l.file) || l.file}:${l.line}` : l.origin,
  });
  return {
    requirements: resolved.requirements.map(relabel),
    constraints: resolved.constraints.map(relabel),
    warnings: resolved.cycles.map((c) => `requirement files include each other (${c.chain.map((f) => path.relative(dir, f)).join(' -> ')}); the cycle was skipped`),
  };
}

/** An included file's text: the one the model's reader read, when it read it. */
function includeReader(model: ModelDirectory): (file: string) => string {
  return (file) => {
    const relative = path.relative(model.dir, file);
    const read = path.isAbsolute(relative) || relative.startsWith('..') ? undefined : model.requirementFiles.get(normalizeRelative(relative));
    return read ?? readRegularTextSync(file);
  };
}
