/**
 * The one reader of a model directory: its listing (when asked), MLmodel, the env files under
 * the names MLmodel gives them, requirements.txt and constraints.txt with the files they
 * include, and (when asked) the input examples. Never throws on what it finds: a directory that
 * is not there and a file that cannot be read (not a regular file, too large, not UTF-8) are
 * data, in the order they were met, for validate's rules to report and for strict.ts to throw.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMlfError, type MlfError } from '../../errors.js';
import { readOptionalRegularTextSync, TEXT_FILE_LIMIT } from '../../fs/read-regular-file.js';
import { CONSTRAINTS_FILE_NAME, MLMODEL_FILE_NAME, REQUIREMENTS_FILE_NAME } from '../file-names.js';
import { envFileNames, type EnvFileNames } from '../mlmodel.js';
import { isInsideModel, normalizeRelative } from './paths.js';
import { asRecord, parseYamlSource, type YamlSource } from './yaml-source.js';

export interface ReadLimits {
  /** Stop listing after this many entries (a model dir with a huge artifacts tree). */
  maxEntries: number;
  /** Text files above this size are refused. */
  maxTextBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxEntries: 20_000, maxTextBytes: TEXT_FILE_LIMIT };

export interface ReadModelFilesOptions {
  /**
   * List the whole tree (validate's rules look for files MLmodel names), and read only files
   * the listing holds; without it, a file is absent when nothing is at its path.
   */
  list?: boolean;
  /** Also read the input examples `saved_input_example_info` names. */
  examples?: boolean;
  limits?: ReadLimits;
  /** How a file is named in the messages of its problems (default: model-relative, `conda.yaml`). */
  label?: (relative: string) => string;
}

/** Why the directory itself could not be read. `reason` is worded for `cannot read \`model\`: <reason>`. */
export interface DirectoryProblem {
  kind: 'missing' | 'not-a-directory' | 'unreadable';
  reason: string;
  cause?: Error;
}

/** A file that is there but could not be read (fs/read-regular-file.ts's refusal). */
export interface FileProblem {
  /** Model-relative, `/`-separated. */
  file: string;
  error: MlfError;
}

export interface ModelDirectoryFiles {
  /** Absolute path of the model directory. */
  dir: string;
  /** Set when the directory could not be read; everything else is then empty. */
  directoryProblem?: DirectoryProblem;
  /**
   * With `list`: every file and directory under `dir` (relative, `/`-separated; directories end
   * with `/`), capped for huge directories (`entriesTruncated`). Empty without `list`.
   */
  entries: ReadonlySet<string>;
  entriesTruncated: boolean;
  /** MLmodel, loaded as PyYAML would (never throws); undefined when the directory has none. */
  mlmodel?: YamlSource;
  /** The env file names MLmodel declares (model-relative), whether or not they exist. */
  envFileNames: EnvFileNames;
  /** conda.yaml and python_env.yaml (under the names MLmodel gives them) by normalized relative path. */
  envFiles: ReadonlyMap<string, string>;
  /** requirements.txt, constraints.txt and the files they include (`-r`/`-c`), by relative path. */
  requirementFiles: ReadonlyMap<string, string>;
  /** With `examples`: the input example files named by `saved_input_example_info`, by relative path. */
  examples: ReadonlyMap<string, string>;
  /** Files that are there but could not be read, in the order they were met. */
  problems: readonly FileProblem[];
}

/** `dir`: the absolute path of the model directory (locate.ts's `dir`). */
export async function readModelFiles(dir: string, options: ReadModelFilesOptions = {}): Promise<ModelDirectoryFiles> {
  const limits = options.limits ?? DEFAULT_READ_LIMITS;
  const label = options.label ?? ((relative: string) => relative);
  const empty: ModelDirectoryFiles = {
    dir,
    entries: new Set(),
    entriesTruncated: false,
    envFileNames: envFileNames(undefined),
    envFiles: new Map(),
    requirementFiles: new Map(),
    examples: new Map(),
    problems: [],
  };
  const directoryProblem = await checkDirectory(dir);
  if (directoryProblem) return { ...empty, directoryProblem };

  const { entries, truncated } = options.list ? await listEntries(dir, limits.maxEntries) : { entries: undefined, truncated: false };
  const problems: FileProblem[] = [];
  const readText = (relative: string): string | undefined => {
    if (entries !== undefined && !entries.has(relative)) return undefined;
    try {
      return readOptionalRegularTextSync(path.join(dir, relative), { shown: label(relative), limit: limits.maxTextBytes });
    } catch (error) {
      if (!isMlfError(error)) throw error;
      problems.push({ file: relative, error });
      return undefined;
    }
  };

  const mlmodelText = readText(MLMODEL_FILE_NAME);
  const mlmodel = mlmodelText === undefined ? undefined : parseYamlSource(mlmodelText, MLMODEL_FILE_NAME);
  const mlmodelValue = asRecord(mlmodel?.value);
  const names = envFileNames(mlmodelValue);

  const envFiles = new Map<string, string>();
  for (const name of [names.conda, names.virtualenv]) {
    const relative = normalizeRelative(name);
    if (!isInsideModel(name) || envFiles.has(relative)) continue;
    const text = readText(relative);
    if (text !== undefined) envFiles.set(relative, text);
  }

  const requirementFiles = readRequirementFiles(readText);

  const examples = new Map<string, string>();
  const exampleInfo = options.examples ? asRecord(mlmodelValue?.saved_input_example_info) : undefined;
  for (const key of ['artifact_path', 'serving_input_path']) {
    const name = exampleInfo?.[key];
    if (typeof name !== 'string' || !isInsideModel(name)) continue;
    const text = readText(normalizeRelative(name));
    if (text !== undefined) examples.set(normalizeRelative(name), text);
  }

  return {
    ...empty,
    entries: entries ?? new Set(),
    entriesTruncated: truncated,
    ...(mlmodel ? { mlmodel } : {}),
    envFileNames: names,
    envFiles,
    requirementFiles,
    examples,
    problems,
  };
}

async function checkDirectory(dir: string): Promise<DirectoryProblem | undefined> {
  let stats;
  try {
    stats = await fs.stat(dir);
  } catch (error) {
    const cause = error as NodeJS.ErrnoException;
    if (cause.code === 'ENOENT') return { kind: 'missing', reason: 'no such file or directory', cause };
    return { kind: cause.code === 'ENOTDIR' ? 'missing' : 'unreadable', reason: cause.message, cause };
  }
  return stats.isDirectory() ? undefined : { kind: 'not-a-directory', reason: 'not a directory' };
}

async function listEntries(dir: string, max: number): Promise<{ entries: Set<string>; truncated: boolean }> {
  const entries = new Set<string>();
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relative = pending.shift()!;
    const dirents = await fs.readdir(path.join(dir, relative), { withFileTypes: true }).catch(() => []);
    for (const dirent of dirents) {
      if (entries.size >= max) return { entries, truncated: true };
      const child = relative ? `${relative}/${dirent.name}` : dirent.name;
      let isDirectory = dirent.isDirectory();
      if (dirent.isSymbolicLink()) {
        // A symlink counts as what it points to, but is never followed into (no cycles).
        isDirectory = await fs.stat(path.join(dir, child)).then((s) => s.isDirectory(), () => false);
        entries.add(isDirectory ? `${child}/` : child);
        continue;
      }
      if (isDirectory) {
        entries.add(`${child}/`);
        if (dirent.name !== '__pycache__' && dirent.name !== '.git') pending.push(child);
      } else {
        entries.add(child);
      }
    }
  }
  return { entries, truncated: false };
}

const INCLUDE_LINE = /^\s*(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s=-]))(\S+)/;

/** requirements.txt, constraints.txt and every file they include that lies inside the model directory. */
function readRequirementFiles(readText: (relative: string) => string | undefined): Map<string, string> {
  const files = new Map<string, string>();
  const visited = new Set<string>();
  const pending = [REQUIREMENTS_FILE_NAME, CONSTRAINTS_FILE_NAME];
  while (pending.length > 0) {
    const relative = pending.shift()!;
    if (visited.has(relative)) continue;
    visited.add(relative);
    const text = readText(relative);
    if (text === undefined) continue;
    files.set(relative, text);
    const base = path.posix.dirname(relative);
    for (const line of text.split(/\r\n|\n|\r/)) {
      const target = INCLUDE_LINE.exec(line)?.[1];
      if (!target || !isInsideModel(target)) continue;
      pending.push(normalizeRelative(base === '.' ? target : `${base}/${target}`));
    }
  }
  return files;
}
