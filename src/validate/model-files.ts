import type { ImportRef } from '../scan/import-scan.js';
import type { ModelDirectoryFiles } from '../model/directory/read.js';
import { normalizeRelative } from '../model/directory/paths.js';
import type { YamlSource } from '../model/directory/yaml-source.js';

/**
 * Everything the rules read from one model directory, read up front by `loadModelFiles`
 * (load.ts: model/directory/read.ts's listing and texts, the env YAMLs loaded, and the static
 * scans), so that the rules themselves are pure functions of this value.
 */
export interface ModelFiles extends ModelDirectoryFiles {
  /** conda.yaml and python_env.yaml (under the names MLmodel gives them), parsed. */
  yaml: ReadonlyMap<string, YamlSource>;
  /** Static pickle scans of the model's pickle files. */
  pickles: ReadonlyMap<string, ScanResult<PickleModules>>;
  /** Static import scans of the Python files in `code/` and of the model code file. */
  imports: ReadonlyMap<string, ScanResult<ImportRef[]>>;
  /** Static scans of the types skops files name in their `schema.json` (as `modules`/`globals`, like a pickle's). */
  skops: ReadonlyMap<string, ScanResult<PickleModules>>;
  /** The model files flavor sections name (flavor-table.ts), each checked for the kind its loader reads. */
  flavorFiles: ReadonlyMap<string, ScanResult<FileKindCheck>>;
}

export interface FileKindCheck {
  /** Whether the file is of one of the kinds the flavor's loader reads. */
  matches: boolean;
  /** What the file looks like, for messages, when it does not match. */
  found?: string;
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
