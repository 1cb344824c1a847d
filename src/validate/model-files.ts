import type { ImportRef } from '../scan/import-scan.js';
import type { YamlSource } from './yaml-source.js';

/**
 * Everything the rules read from one model directory, read up front by `loadModelFiles`
 * (load.ts) so that the rules themselves are pure functions of this value.
 */
export interface ModelFiles {
  /** Absolute path of the model directory. */
  dir: string;
  /**
   * Every file and directory under `dir` (relative, `/`-separated; directories end with `/`).
   * Capped for huge directories: `entriesTruncated` says so.
   */
  entries: ReadonlySet<string>;
  entriesTruncated: boolean;
  /** MLmodel, parsed; undefined when the directory has none. */
  mlmodel?: YamlSource;
  /** conda.yaml and python_env.yaml (under the names MLmodel gives them), parsed. */
  yaml: ReadonlyMap<string, YamlSource>;
  /** requirements.txt, constraints.txt and the files they include (`-r`/`-c`), by relative path. */
  requirementFiles: ReadonlyMap<string, string>;
  /** The input example files named by `saved_input_example_info`, by relative path. */
  examples: ReadonlyMap<string, string>;
  /** Static pickle scans of the model's pickle files. */
  pickles: ReadonlyMap<string, ScanResult<PickleModules>>;
  /** Static import scans of the Python files in `code/` and of the model code file. */
  imports: ReadonlyMap<string, ScanResult<ImportRef[]>>;
}

export interface PickleModules {
  /** Dotted module names the pickle imports, in order of first appearance. */
  modules: string[];
  /** Every global it references (`module.name`), in order of first appearance. */
  globals: string[];
}

export type ScanResult<T> =
  | { ok: true; value: T }
  | { ok: false; kind: 'error'; message: string; line?: number }
  | { ok: false; kind: 'skipped'; message: string };

/** Does the model directory hold a file at `relative`? */
export function hasFile(files: ModelFiles, relative: string): boolean {
  return files.entries.has(normalizeRelative(relative));
}

/** Does the model directory hold a directory at `relative`? */
export function hasDirectory(files: ModelFiles, relative: string): boolean {
  const normalized = normalizeRelative(relative).replace(/\/$/, '');
  return normalized === '' || files.entries.has(`${normalized}/`);
}

/** `./a//b/` -> `a/b/`; `..` segments are kept (they point outside and never match). */
export function normalizeRelative(relative: string): string {
  const trailing = relative.endsWith('/') ? '/' : '';
  const parts = relative.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  return parts.join('/') + (parts.length > 0 ? trailing : '');
}

/** The env file names MLmodel declares (MLflow's `_get_conda_env_file` / `_get_python_env_file`), defaults when absent. */
export function envFileNamesOf(mlmodel: unknown): { conda: string; virtualenv: string } {
  const flavors = (mlmodel as { flavors?: unknown } | null | undefined)?.flavors;
  const env = (flavors as { python_function?: { env?: unknown } } | null | undefined)?.python_function?.env;
  if (typeof env === 'string' && env !== '') return { conda: env, virtualenv: 'python_env.yaml' };
  if (env !== null && typeof env === 'object' && !Array.isArray(env)) {
    const record = env as Record<string, unknown>;
    return {
      conda: typeof record.conda === 'string' && record.conda !== '' ? record.conda : 'conda.yaml',
      virtualenv: typeof record.virtualenv === 'string' && record.virtualenv !== '' ? record.virtualenv : 'python_env.yaml',
    };
  }
  return { conda: 'conda.yaml', virtualenv: 'python_env.yaml' };
}
