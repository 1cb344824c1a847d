import { normalizeRelative } from '../model/directory/paths.js';
import { parseStatement, type Statement } from '../deps/requirements-txt.js';
import { isMlfError } from '../errors.js';
import type { ModelFiles } from './model-files.js';
import { asRecord, type YamlSource } from '../model/directory/yaml-source.js';

/** conda.yaml and python_env.yaml of a model, under the names MLmodel gives them. */
export interface EnvSources {
  condaName: string;
  virtualenvName: string;
  conda?: YamlSource;
  pythonEnv?: YamlSource;
}

export function envSources(files: ModelFiles): EnvSources {
  const names = files.envFileNames;
  const condaName = normalizeRelative(names.conda);
  const virtualenvName = normalizeRelative(names.virtualenv);
  return {
    condaName,
    virtualenvName,
    ...(files.yaml.has(condaName) ? { conda: files.yaml.get(condaName)! } : {}),
    ...(files.yaml.has(virtualenvName) && virtualenvName !== condaName ? { pythonEnv: files.yaml.get(virtualenvName)! } : {}),
  };
}

/** One entry of a YAML list of pip lines (conda's `pip:` list, python_env's `dependencies`). */
export interface PipListEntry {
  index: number;
  text: string;
  line?: number;
  /** Undefined when the entry does not parse (`error` says why). */
  statement?: Statement;
  error?: { message: string; column?: number };
}

/** Where conda.yaml's pip list is: the index of the `{pip: [...]}` entry in `dependencies`. */
export function condaPipEntryIndex(conda: YamlSource): number | undefined {
  const dependencies = asRecord(conda.value)?.dependencies;
  if (!Array.isArray(dependencies)) return undefined;
  const index = dependencies.findIndex((dep) => asRecord(dep) !== undefined && 'pip' in asRecord(dep)!);
  return index >= 0 ? index : undefined;
}

/** conda.yaml's pip list, each entry parsed as a requirements-file line; undefined when there is none. */
export function condaPipList(conda: YamlSource): PipListEntry[] | undefined {
  const index = condaPipEntryIndex(conda);
  if (index === undefined) return undefined;
  const dependencies = asRecord(conda.value)!.dependencies as unknown[];
  const pip = asRecord(dependencies[index])!.pip;
  if (!Array.isArray(pip)) return undefined;
  return parsePipList(pip, conda, ['dependencies', index, 'pip']);
}

/** python_env.yaml's `dependencies`, parsed; undefined when absent or not a list. */
export function pythonEnvDependencies(pythonEnv: YamlSource): PipListEntry[] | undefined {
  const dependencies = asRecord(pythonEnv.value)?.dependencies;
  if (!Array.isArray(dependencies)) return undefined;
  return parsePipList(dependencies, pythonEnv, ['dependencies']);
}

function parsePipList(items: unknown[], source: YamlSource, path: (string | number)[]): PipListEntry[] {
  return items.map((item, index) => {
    const text = String(item);
    const line = source.lineOf([...path, index]);
    const entry: PipListEntry = { index, text, ...(line !== undefined ? { line } : {}) };
    try {
      entry.statement = parseStatement(text.trim(), source.file);
    } catch (error) {
      if (!isMlfError(error)) throw error;
      entry.error = { message: error.message, ...(error.location.column !== undefined ? { column: error.location.column } : {}) };
    }
    return entry;
  });
}

/** The Python version a conda.yaml pins: `python=3.11.7` / `python==3.11` / `python`; the operator and version as written. */
export interface CondaPython {
  index: number;
  line?: number;
  operator?: string;
  version?: string;
  text: string;
}

const CONDA_PYTHON = /^python(?:\s*(==|=|<=|>=|<|>|!=|~=)\s*([^\s=<>!~]+))?\s*$/;

export function condaPython(conda: YamlSource): CondaPython | undefined {
  const dependencies = asRecord(conda.value)?.dependencies;
  if (!Array.isArray(dependencies)) return undefined;
  for (const [index, dep] of dependencies.entries()) {
    if (typeof dep !== 'string') continue;
    const bare = dep.replace(/^[^:]+::/, '').trim();
    if (!/^python(?![A-Za-z0-9_.-])/.test(bare)) continue;
    const match = CONDA_PYTHON.exec(bare);
    const line = conda.lineOf(['dependencies', index]);
    return {
      index,
      text: dep,
      ...(line !== undefined ? { line } : {}),
      ...(match?.[1] ? { operator: match[1], version: match[2] } : {}),
    };
  }
  return undefined;
}
