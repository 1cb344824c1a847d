/**
 * conda.yaml (mlflow-format.md §2.1): `{name, channels, dependencies: [conda specs..., {pip: [...]}]}`.
 *
 * One zod schema (`CondaEnvDocument`); unknown keys are kept. `serializeCondaEnv` writes what
 * MLflow writes (PyYAML `safe_dump`, keys sorted). The pip list is read and replaced the way
 * MLflow does (`_get_pip_deps`, `_overwrite_pip_deps` in `mlflow/utils/environment.py`).
 */
import { z } from 'zod';
import { CONDA_ENV_FILE_NAME } from './file-names.js';
import { safeDump, type PyValue } from './pyyaml.js';
import { parseYamlWithSchema, type LoadedYaml } from './yaml-file.js';

/** `{pip: [...]}` inside `dependencies`. */
export interface CondaPipDependencies {
  pip: string[] | null;
  [key: string]: PyValue;
}

/** One entry of `dependencies`: a conda spec (`python=3.10.12`, `pip<=24.0`) or a mapping. */
export type CondaDependency = string | CondaPipDependencies | { [key: string]: PyValue };

function isMapping(value: unknown): value is Record<string, PyValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Entries are checked one by one so that an error names the exact entry (`dependencies.2.pip.0`). */
const CondaDependencies = z.array(z.custom<CondaDependency>(() => true)).superRefine((entries, ctx) => {
  entries.forEach((entry, index) => {
    if (typeof entry === 'string') return;
    if (!isMapping(entry)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a conda package spec (a string) or a mapping like `{pip: [...]}`',
        path: [index],
      });
      return;
    }
    if (!('pip' in entry)) return;
    const pip = entry.pip;
    if (pip === null) return;
    if (!Array.isArray(pip)) {
      ctx.addIssue({ code: 'custom', message: 'expected a list of pip requirements', path: [index, 'pip'] });
      return;
    }
    pip.forEach((item, itemIndex) => {
      if (typeof item !== 'string') {
        ctx.addIssue({ code: 'custom', message: 'expected a pip requirement (a string)', path: [index, 'pip', itemIndex] });
      }
    });
  });
});

export const CondaEnvDocument = z.looseObject({
  name: z.string().nullable().optional(),
  channels: z.array(z.string()).nullable().optional(),
  dependencies: CondaDependencies.nullable().optional(),
});
export type CondaEnvDocument = z.infer<typeof CondaEnvDocument>;

export interface CondaEnvWarning {
  code: string;
  message: string;
  field?: string;
  line?: number;
}

export interface ParsedCondaEnv {
  document: CondaEnvDocument;
  warnings: CondaEnvWarning[];
  yaml: LoadedYaml;
}

/** Parse conda.yaml text; MALFORMED_YAML / INVALID_CONDA_ENV (exit 2) with file and line. */
export function parseCondaEnv(text: string, file: string = CONDA_ENV_FILE_NAME): ParsedCondaEnv {
  const { document, loaded } = parseYamlWithSchema(text, file, CondaEnvDocument, 'INVALID_CONDA_ENV');
  const warnings: CondaEnvWarning[] = [];
  const pipEntries = (document.dependencies ?? []).flatMap((dependency, index) => (isPipDependencies(dependency) ? [index] : []));
  if (pipEntries.length > 1) {
    // MLflow reads the first `pip:` list in one place (_get_pip_deps) and the last in another
    // (get_dependencies_from_conda_yaml), so which one applies depends on the code path.
    warnings.push({
      code: 'CONDA_MULTIPLE_PIP_LISTS',
      message: `\`${file}\` has ${pipEntries.length} \`pip:\` lists; MLflow reads the first in some places and the last in others`,
      field: `dependencies.${pipEntries[1]}`,
      line: loaded.lineOf(['dependencies', pipEntries[1]!])?.line,
    });
  }
  return { document, warnings, yaml: loaded };
}

/** What MLflow writes for this document. */
export function serializeCondaEnv(document: CondaEnvDocument): string {
  return safeDump(document);
}

/** MLflow's `_is_pip_deps`: a mapping with a `pip` key. */
export function isPipDependencies(dependency: CondaDependency): dependency is CondaPipDependencies {
  return isMapping(dependency) && 'pip' in dependency;
}

/**
 * The pip list (MLflow's `_get_pip_deps`): the `pip` list of the first `{pip: [...]}` entry, or
 * undefined when there is none.
 */
export function getPipDependencies(document: CondaEnvDocument): string[] | undefined {
  for (const dependency of document.dependencies ?? []) {
    if (isPipDependencies(dependency)) return dependency.pip ?? [];
  }
  return undefined;
}

/** The conda (non-pip) dependency strings, in order. */
export function getCondaDependencies(document: CondaEnvDocument): string[] {
  return (document.dependencies ?? []).filter((dependency): dependency is string => typeof dependency === 'string');
}

/**
 * A copy with the pip list replaced (MLflow's `_overwrite_pip_deps`): every `{pip: ...}` entry
 * becomes `{pip: pip}`, or one is appended when there is none. Everything else is kept.
 */
export function withPipDependencies(document: CondaEnvDocument, pip: readonly string[]): CondaEnvDocument {
  let replaced = false;
  const dependencies: CondaDependency[] = (document.dependencies ?? []).map((dependency) => {
    if (!isPipDependencies(dependency)) return dependency;
    replaced = true;
    return { pip: [...pip] };
  });
  if (!replaced) dependencies.push({ pip: [...pip] });
  return { ...document, dependencies };
}

export function getChannels(document: CondaEnvDocument): string[] {
  return document.channels ?? [];
}

/** A copy with `channels` replaced. */
export function withChannels(document: CondaEnvDocument, channels: readonly string[]): CondaEnvDocument {
  return { ...document, channels: [...channels] };
}

export interface CondaEnvSpec {
  /** `X.Y.Z` of the Python the model was saved with. */
  pythonVersion: string;
  /** The final pip list (identical to requirements.txt's lines). */
  pipDependencies: readonly string[];
  /** The installed pip version, for the `pip<=` pin; undefined writes a bare `pip`. */
  pipVersion?: string;
  additionalCondaDependencies?: readonly string[];
  additionalChannels?: readonly string[];
}

/**
 * The document MLflow's `_mlflow_conda_env` builds: name `mlflow-env`, channel `conda-forge`,
 * `python=X.Y.Z`, the `pip<=` pin only when the pip list is non-empty, then `{pip: [...]}`.
 */
export function buildCondaEnv(spec: CondaEnvSpec): CondaEnvDocument {
  const condaDependencies = [...(spec.additionalCondaDependencies ?? [])];
  if (spec.pipDependencies.length > 0) {
    condaDependencies.push(spec.pipVersion === undefined ? 'pip' : `pip<=${spec.pipVersion}`);
  }
  return {
    name: 'mlflow-env',
    channels: ['conda-forge', ...(spec.additionalChannels ?? [])],
    dependencies: [`python=${spec.pythonVersion}`, ...condaDependencies, { pip: [...spec.pipDependencies] }],
  };
}
