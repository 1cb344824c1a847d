import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isMlfError } from '../errors.js';
import { FILE_TOO_LARGE, readRegularFileSync, readRegularTextSync, withRegularFileRangesSync } from '../fs/read-regular-file.js';
import { isInsideModel, normalizeRelative } from '../model/directory/paths.js';
import { DEFAULT_READ_LIMITS, readModelFiles, type ReadLimits } from '../model/directory/read.js';
import { asRecord, parseYamlSource, type YamlSource } from '../model/directory/yaml-source.js';
import { scanImports, type ImportRef } from '../scan/import-scan.js';
import { describeFile, isFileOfKind, KIND_NAMES } from '../scan/model-file-kind.js';
import { scanPickle, type PickleGlobal } from '../scan/pickle-scan.js';
import { scanSkopsFile } from '../scan/skops-schema.js';
import { knownFlavors } from './flavor-table.js';
import type { FileKindCheck, ModelFiles, PickleModules, ScanResult } from './model-files.js';

/**
 * What the rules need from one model directory: model/directory/read.ts's listing and texts
 * (MLmodel, the env files, the requirements files with their `-r`/`-c` includes, the input
 * examples), the env YAMLs loaded, and the static scans of the pickles and Python files. The only
 * I/O of validation; the rules are pure functions of the result. Never throws on content: a
 * directory that cannot be read is `directoryProblem`, a file that cannot be read (not a regular
 * UTF-8 file within `maxTextBytes`) is in `problems` (then nothing is scanned), and a scan that
 * cannot read its file reports it in its ScanResult.
 */
export interface LoadLimits extends ReadLimits {
  /** Pickles above this size are not scanned. */
  maxPickleBytes: number;
  /** At most this many Python files are scanned for imports; Python files above `maxTextBytes` are not scanned. */
  maxPythonFiles: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  ...DEFAULT_READ_LIMITS,
  maxPickleBytes: 512 * 1024 * 1024,
  maxPythonFiles: 2_000,
};

/** `dir`: the absolute path of the model directory (model/directory/locate.ts's `dir`). */
export async function loadModelFiles(dir: string, limits: LoadLimits = DEFAULT_LOAD_LIMITS): Promise<ModelFiles> {
  const read = await readModelFiles(dir, { list: true, examples: true, limits });
  const yaml = new Map<string, YamlSource>();
  for (const [relative, text] of read.envFiles) yaml.set(relative, parseYamlSource(text, relative));
  const pickles = new Map<string, ScanResult<PickleModules>>();
  const imports = new Map<string, ScanResult<ImportRef[]>>();
  const skops = new Map<string, ScanResult<PickleModules>>();
  const flavorFiles = new Map<string, ScanResult<FileKindCheck>>();
  const files: ModelFiles = { ...read, yaml, pickles, imports, skops, flavorFiles };
  // A file the rules need could not be read: validate reports that alone (ops/validate.ts).
  if (read.directoryProblem || read.problems.length > 0) return files;

  const mlmodelValue = asRecord(read.mlmodel?.value);
  const serialized = serializedFiles(mlmodelValue);
  for (const relative of serialized.pickles) {
    if (!read.entries.has(relative)) continue;
    pickles.set(relative, await scanPickleFile(path.join(dir, relative), relative, limits));
  }
  for (const relative of serialized.skops) {
    if (read.entries.has(relative)) skops.set(relative, scanSkops(path.join(dir, relative), relative));
  }
  for (const { spec, section } of knownFlavors(mlmodelValue)) {
    for (const named of spec.files(section)) {
      const present = named.candidates.find((candidate) => read.entries.has(candidate.path));
      if (!present || present.kinds.length === 0 || flavorFiles.has(present.path)) continue;
      flavorFiles.set(present.path, checkFileKind(path.join(dir, present.path), present.path, present.kinds));
    }
  }
  for (const relative of pythonFiles(mlmodelValue, read.entries).slice(0, limits.maxPythonFiles)) {
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
  return files;
}

/** The model files MLflow unpickles (the PythonModel, and what the flavor table says) and the skops files it reads. */
function serializedFiles(mlmodel: Record<string, unknown> | undefined): { pickles: string[]; skops: string[] } {
  const pickles: string[] = [];
  const skops: string[] = [];
  const pythonModel = asRecord(asRecord(mlmodel?.flavors)?.python_function)?.python_model;
  if (typeof pythonModel === 'string' && isInsideModel(pythonModel)) pickles.push(normalizeRelative(pythonModel));
  for (const { spec, section } of knownFlavors(mlmodel)) {
    const files = spec.serialized(section);
    pickles.push(...files.pickles);
    skops.push(...files.skops);
  }
  return { pickles: [...new Set(pickles)], skops: [...new Set(skops)] };
}

/** Python files whose imports run at load time: everything under `code/`, and the models-from-code file. */
function pythonFiles(mlmodel: Record<string, unknown> | undefined, entries: ReadonlySet<string>): string[] {
  const flavors = asRecord(mlmodel?.flavors);
  const found: string[] = [];
  const codeDirs = new Set<string>();
  for (const flavor of Object.values(flavors ?? {})) {
    const code = asRecord(flavor)?.code;
    if (typeof code === 'string' && code !== '' && isInsideModel(code)) codeDirs.add(`${normalizeRelative(code).replace(/\/$/, '')}/`);
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
    return { ok: true, value: asPickleModules(scanPickle(bytes, relative).modules) };
  } catch (error) {
    if (!isMlfError(error)) throw error;
    return { ok: false, kind: 'error', message: error.message };
  }
}

function scanSkops(full: string, relative: string): ScanResult<PickleModules> {
  try {
    return { ok: true, value: asPickleModules(withRegularFileRangesSync(full, { shown: relative }, (file) => scanSkopsFile(file, relative))) };
  } catch (error) {
    if (!isMlfError(error)) throw error;
    return { ok: false, kind: 'error', message: error.message };
  }
}

function checkFileKind(full: string, relative: string, kinds: readonly (keyof typeof KIND_NAMES)[]): ScanResult<FileKindCheck> {
  try {
    return {
      ok: true,
      value: withRegularFileRangesSync(full, { shown: relative }, (file) =>
        kinds.some((kind) => isFileOfKind(file, kind)) ? { matches: true } : { matches: false, found: describeFile(file) },
      ),
    };
  } catch (error) {
    if (!isMlfError(error)) throw error;
    return { ok: false, kind: 'error', message: error.message };
  }
}

/** Distinct modules and dotted globals, in order of first appearance. */
function asPickleModules(globals: readonly PickleGlobal[]): PickleModules {
  const modules = new Set<string>();
  const dotted = new Set<string>();
  for (const global of globals) {
    modules.add(global.module);
    dotted.add(global.name === '' ? global.module : `${global.module}.${global.name}`);
  }
  return { modules: [...modules], globals: [...dotted] };
}
