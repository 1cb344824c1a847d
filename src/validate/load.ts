import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isMlfError } from '../errors.js';
import { FILE_TOO_LARGE, readRegularFileSync, readRegularTextSync } from '../fs/read-regular-file.js';
import { scanImports, type ImportRef } from '../scan/import-scan.js';
import { scanPickle } from '../scan/pickle-scan.js';
import { envFileNamesOf, normalizeRelative, type ModelFiles, type PickleModules, type ScanResult } from './model-files.js';
import { asRecord, parseYamlSource, type YamlSource } from './yaml-source.js';
import { isInsidePath } from './rules/shared.js';

/**
 * Reads what the rules need from one model directory: the listing, MLmodel and the env files,
 * the requirements files (following `-r`/`-c` inside the directory), the input examples, and
 * the static scans of the pickles and Python files. The only I/O of validation; the rules are
 * pure functions of the result. Throws ModelDirectoryUnreadable when `dir` is not a readable
 * directory, and fs/read-regular-file.ts's MlfError when MLmodel, an env file, a requirements
 * file or an input example is not a regular UTF-8 file within `maxTextBytes` (a scan that cannot
 * read its file reports it in its ScanResult instead).
 */
export interface LoadLimits {
  /** Stop listing after this many entries (a model dir with a huge artifacts tree). */
  maxEntries: number;
  /** Text files above this size are refused (MLmodel, env files, requirements, examples); Python files above it are not scanned. */
  maxTextBytes: number;
  /** Pickles above this size are not scanned. */
  maxPickleBytes: number;
  /** At most this many Python files are scanned for imports. */
  maxPythonFiles: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxEntries: 20_000,
  maxTextBytes: 16 * 1024 * 1024,
  maxPickleBytes: 512 * 1024 * 1024,
  maxPythonFiles: 2_000,
};

export class ModelDirectoryUnreadable extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export async function loadModelFiles(dir: string, limits: LoadLimits = DEFAULT_LOAD_LIMITS): Promise<ModelFiles> {
  const stat = await fs.stat(dir).catch((error: NodeJS.ErrnoException) => {
    throw new ModelDirectoryUnreadable(dir, error.code === 'ENOENT' ? 'no such file or directory' : error.message);
  });
  if (!stat.isDirectory()) throw new ModelDirectoryUnreadable(dir, 'not a directory');

  const { entries, truncated } = await listEntries(dir, limits.maxEntries);
  const readText = async (relative: string): Promise<string | undefined> => {
    if (!entries.has(relative)) return undefined;
    return readRegularTextSync(path.join(dir, relative), { shown: relative, limit: limits.maxTextBytes });
  };

  const mlmodelText = await readText('MLmodel');
  const mlmodel = mlmodelText === undefined ? undefined : parseYamlSource(mlmodelText, 'MLmodel');
  const mlmodelValue = asRecord(mlmodel?.value);

  const yaml = new Map<string, YamlSource>();
  const envNames = envFileNamesOf(mlmodelValue);
  for (const name of [envNames.conda, envNames.virtualenv]) {
    const relative = normalizeRelative(name);
    if (!isInsidePath(name) || yaml.has(relative)) continue;
    const text = await readText(relative);
    if (text !== undefined) yaml.set(relative, parseYamlSource(text, relative));
  }

  const requirementFiles = await readRequirementFiles(readText);

  const examples = new Map<string, string>();
  const exampleInfo = asRecord(mlmodelValue?.saved_input_example_info);
  for (const key of ['artifact_path', 'serving_input_path']) {
    const name = exampleInfo?.[key];
    if (typeof name !== 'string' || !isInsidePath(name)) continue;
    const text = await readText(normalizeRelative(name));
    if (text !== undefined) examples.set(normalizeRelative(name), text);
  }

  const pickles = new Map<string, ScanResult<PickleModules>>();
  for (const relative of picklePaths(mlmodelValue)) {
    if (!entries.has(relative)) continue;
    pickles.set(relative, await scanPickleFile(path.join(dir, relative), relative, limits));
  }

  const imports = new Map<string, ScanResult<ImportRef[]>>();
  for (const relative of pythonFiles(mlmodelValue, entries).slice(0, limits.maxPythonFiles)) {
    try {
      const text = readRegularTextSync(path.join(dir, relative), { shown: relative, limit: limits.maxTextBytes });
      imports.set(relative, { ok: true, value: scanImports(text, relative) });
    } catch (error) {
      if (!isMlfError(error)) throw error;
      imports.set(
        relative,
        error.code === FILE_TOO_LARGE
          ? { ok: false, kind: 'skipped', message: 'the file is too large to scan' }
          : { ok: false, kind: 'error', message: error.message, line: error.location.line },
      );
    }
  }

  return {
    dir,
    entries,
    entriesTruncated: truncated,
    ...(mlmodel ? { mlmodel } : {}),
    yaml,
    requirementFiles,
    examples,
    pickles,
    imports,
  };
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
async function readRequirementFiles(readText: (relative: string) => Promise<string | undefined>): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const pending = ['requirements.txt', 'constraints.txt'];
  while (pending.length > 0) {
    const relative = pending.shift()!;
    if (files.has(relative)) continue;
    const text = await readText(relative);
    if (text === undefined) continue;
    files.set(relative, text);
    const base = path.posix.dirname(relative);
    for (const line of text.split(/\r\n|\n|\r/)) {
      const target = INCLUDE_LINE.exec(line)?.[1];
      if (!target || !isInsidePath(target)) continue;
      pending.push(normalizeRelative(base === '.' ? target : `${base}/${target}`));
    }
  }
  return files;
}

/** The model files MLflow unpickles: the PythonModel, and the sklearn model unless saved with skops. */
function picklePaths(mlmodel: Record<string, unknown> | undefined): string[] {
  const flavors = asRecord(mlmodel?.flavors);
  const found: string[] = [];
  const pythonModel = asRecord(flavors?.python_function)?.python_model;
  if (typeof pythonModel === 'string' && isInsidePath(pythonModel)) found.push(normalizeRelative(pythonModel));
  const sklearn = asRecord(flavors?.sklearn);
  const pickled = sklearn?.pickled_model;
  const format = sklearn?.serialization_format;
  if (typeof pickled === 'string' && isInsidePath(pickled) && (format === undefined || format === null || format === 'pickle' || format === 'cloudpickle')) {
    found.push(normalizeRelative(pickled));
  }
  return [...new Set(found)];
}

/** Python files whose imports run at load time: everything under `code/`, and the models-from-code file. */
function pythonFiles(mlmodel: Record<string, unknown> | undefined, entries: ReadonlySet<string>): string[] {
  const flavors = asRecord(mlmodel?.flavors);
  const found: string[] = [];
  const codeDirs = new Set<string>();
  for (const flavor of Object.values(flavors ?? {})) {
    const code = asRecord(flavor)?.code;
    if (typeof code === 'string' && code !== '' && isInsidePath(code)) codeDirs.add(`${normalizeRelative(code).replace(/\/$/, '')}/`);
  }
  for (const entry of entries) {
    if (entry.endsWith('.py') && [...codeDirs].some((prefix) => entry.startsWith(prefix))) found.push(entry);
  }
  const modelCodePath = asRecord(flavors?.python_function)?.model_code_path;
  if (typeof modelCodePath === 'string' && modelCodePath !== '') {
    const base = modelCodePath.split(/[\\/]/).pop() ?? '';
    if (entries.has(base)) found.push(base);
  }
  return [...new Set(found)].sort();
}

async function scanPickleFile(full: string, relative: string, limits: LoadLimits): Promise<ScanResult<PickleModules>> {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(full, { shown: relative, limit: limits.maxPickleBytes });
  } catch (error) {
    if (!isMlfError(error)) throw error;
    if (error.code === FILE_TOO_LARGE) return { ok: false, kind: 'skipped', message: `the pickle is larger than ${limits.maxPickleBytes} bytes` };
    return { ok: false, kind: 'error', message: error.message };
  }
  if (relative.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      return { ok: false, kind: 'error', message: `not a gzip file: ${(error as Error).message}` };
    }
  } else if (relative.endsWith('.xz') || relative.endsWith('.bz2')) {
    return { ok: false, kind: 'skipped', message: `${relative.endsWith('.xz') ? 'lzma' : 'bzip2'}-compressed pickles are not scanned` };
  }
  try {
    const scan = scanPickle(bytes, relative);
    const modules: string[] = [];
    const globals: string[] = [];
    for (const global of scan.modules) {
      if (!modules.includes(global.module)) modules.push(global.module);
      const dotted = `${global.module}.${global.name}`;
      if (!globals.includes(dotted)) globals.push(dotted);
    }
    return { ok: true, value: { modules, globals } };
  } catch (error) {
    if (!isMlfError(error)) throw error;
    return { ok: false, kind: 'error', message: error.message };
  }
}
