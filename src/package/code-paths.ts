import { existsSync, lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { inputError, usageError } from '../errors.js';
import { fileKindOf, readRegularTextSync } from '../fs/read-regular-file.js';
import { scanImports, type ImportRef } from '../scan/import-scan.js';
import { CODE_DIR_NAME } from '../model/file-names.js';

/**
 * `code_paths` as MLflow copies them (mlflow-format.md §8): each path goes to
 * `code/<basename>`, directories whole without `__pycache__`. mlf refuses what would make a
 * broken or surprising model: a path that does not exist, one outside the working directory,
 * a symlink that leads out of it, and two paths with the same basename.
 *
 * `--infer-code-paths` follows imports from the model's entry files and collects the local
 * modules (files under the working directory, not site-packages) with their package path
 * kept: `core/preprocessing.py` goes to `code/core/preprocessing.py`, as MLflow's inference does.
 */

/** One file to copy into the model directory. */
export interface CodeFile {
  /** Absolute source path. */
  source: string;
  /** Destination relative to the model directory, `/`-separated (`code/core/preprocessing.py`). */
  target: string;
}

export interface CodePathPlan {
  files: CodeFile[];
  /** Top-level module names the `code/` layout provides (`utils` for `code/utils.py`). */
  providedModules: Set<string>;
  /** The user's paths as given, relative to cwd (`src/utils.py`), with where each lands. */
  entries: { given: string; relative: string; target: string; isDirectory: boolean }[];
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realCwd(cwd: string): string {
  try {
    return realpathSync(cwd);
  } catch {
    return cwd;
  }
}

/** The module name a file or directory in `code/` provides at the top level. */
function moduleNameOf(basename: string, isDirectory: boolean): string | undefined {
  if (isDirectory) return basename;
  if (basename.endsWith('.py')) return basename.slice(0, -3);
  return undefined;
}

/**
 * Checks the user's `--code-path` values and lists the files to copy. Throws (exit 2) with one
 * line for each refusal.
 */
export function planCodePaths(given: readonly string[], cwd: string): CodePathPlan {
  const root = realCwd(cwd);
  const files: CodeFile[] = [];
  const providedModules = new Set<string>();
  const entries: CodePathPlan['entries'] = [];
  const seenBasenames = new Map<string, string>();

  for (const value of given) {
    const absolute = path.resolve(cwd, value);
    try {
      lstatSync(absolute);
    } catch {
      throw inputError('CODE_PATH_NOT_FOUND', `code path \`${value}\` does not exist`, {
        hint: 'paths are relative to the working directory',
      });
    }
    if (!isInside(absolute, cwd) && !isInside(absolute, root)) {
      throw inputError('CODE_PATH_OUTSIDE_CWD', `code path \`${value}\` lies outside the working directory \`${cwd}\``, {
        hint: 'run mlf from the project root, so that the code keeps its place in the package',
      });
    }
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      throw inputError('CODE_PATH_NOT_FOUND', `code path \`${value}\` is a broken symlink`);
    }
    if (!isInside(real, root)) {
      throw inputError('CODE_PATH_SYMLINK_OUTSIDE', `code path \`${value}\` is a symlink to \`${real}\`, outside the working directory`, {
        hint: 'copy the code into the project instead of linking to it',
      });
    }
    const stats = statSync(real);
    refuseUncopyable(stats, `code path \`${value}\` is ${fileKindOf(stats)}`);
    const isDirectory = stats.isDirectory();
    const basename = path.basename(absolute);
    const previous = seenBasenames.get(basename);
    if (previous !== undefined) {
      throw inputError('CODE_PATH_DUPLICATE', `code paths \`${previous}\` and \`${value}\` would both be copied to \`${CODE_DIR_NAME}/${basename}\``, {
        hint: 'pass their common parent directory instead',
      });
    }
    seenBasenames.set(basename, value);
    const target = `${CODE_DIR_NAME}/${basename}`;
    entries.push({ given: value, relative: path.relative(cwd, absolute).split(path.sep).join('/'), target, isDirectory });
    const moduleName = moduleNameOf(basename, isDirectory);
    if (moduleName) providedModules.add(moduleName);
    if (isDirectory) {
      for (const file of walkTree(absolute, root, value)) {
        files.push({ source: file, target: `${target}/${path.relative(absolute, file).split(path.sep).join('/')}` });
      }
    } else {
      files.push({ source: absolute, target });
    }
  }
  return { files, providedModules, entries };
}

/** Every file under `dir` (following symlinks that stay inside `root`), without `__pycache__`. */
function walkTree(dir: string, root: string, given: string): string[] {
  const out: string[] = [];
  const visit = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === '__pycache__') continue;
      const full = path.join(current, entry.name);
      let real = full;
      if (entry.isSymbolicLink()) {
        try {
          real = realpathSync(full);
        } catch {
          throw inputError('CODE_PATH_NOT_FOUND', `code path \`${given}\` contains a broken symlink \`${path.relative(root, full)}\``);
        }
        if (!isInside(real, root)) {
          throw inputError(
            'CODE_PATH_SYMLINK_OUTSIDE',
            `code path \`${given}\` contains \`${path.relative(dir, full)}\`, a symlink to \`${real}\`, outside the working directory`,
            { hint: 'copy the code into the project instead of linking to it' },
          );
        }
      }
      const st = statSync(real);
      refuseUncopyable(st, `code path \`${given}\` contains \`${path.relative(root, full)}\`, ${fileKindOf(st)}`);
      if (st.isDirectory()) visit(full);
      else out.push(full);
    }
  };
  visit(dir);
  return out;
}

/** Only files and directories are copied: copying a FIFO blocks, copying a device never ends. */
function refuseUncopyable(stats: Stats, what: string): void {
  if (stats.isFile() || stats.isDirectory()) return;
  throw inputError('CODE_PATH_NOT_A_FILE', `${what}, not a regular file or a directory`, {
    hint: 'mlf copies only regular files and directories: remove it, or pass the paths around it',
  });
}

// ---------------------------------------------------------------------------------------------
// Local modules

/** Where a dotted module lives under `root` as a source file: `a/b/__init__.py` or `a/b.py`. */
export function localModuleFiles(root: string, dotted: string): string[] {
  const rel = dotted.split('.').join(path.sep);
  const out: string[] = [];
  const init = path.join(root, rel, '__init__.py');
  const file = path.join(root, `${rel}.py`);
  if (existsSync(init) && statSync(init).isFile()) out.push(init);
  if (existsSync(file) && statSync(file).isFile()) out.push(file);
  return out;
}

/** Whether `root/<name>` is a Python module or package (a `.py` file, or a directory with `.py` files). */
export function localTopLevel(root: string, name: string): string | undefined {
  const file = path.join(root, `${name}.py`);
  if (existsSync(file) && statSync(file).isFile()) return `${name}.py`;
  const dir = path.join(root, name);
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    try {
      if (readdirSync(dir).some((entry) => entry.endsWith('.py'))) return name;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The absolute dotted name an import refers to, from the file that contains it. */
export function absoluteModule(ref: ImportRef, importingFile: string, root: string): string | undefined {
  if (ref.level === 0) return ref.module;
  const rel = path.relative(root, importingFile).split(path.sep);
  // The importing module's package: its directory (a module's parent package, or the package itself for __init__).
  const packageParts = rel.slice(0, -1);
  const up = ref.level - 1;
  if (up > packageParts.length) return undefined;
  const base = packageParts.slice(0, packageParts.length - up);
  const parts = ref.module ? [...base, ...ref.module.split('.')] : base;
  return parts.length > 0 ? parts.join('.') : undefined;
}

export interface InferredCodePaths {
  files: CodeFile[];
  /** Relative paths collected, for --explain. */
  collected: string[];
  providedModules: Set<string>;
}

/**
 * `--infer-code-paths`: follow imports from the entry files (and the named entry modules) and
 * collect every local module file and its parent packages' `__init__.py`, keeping their paths
 * relative to the working directory. Files under `excluded` (site-packages) never count.
 */
export function inferCodePaths(options: {
  cwd: string;
  entryFiles: readonly string[];
  entryModules?: readonly string[];
  excluded?: readonly string[];
}): InferredCodePaths {
  const root = options.cwd;
  const excluded = (options.excluded ?? []).map((p) => path.resolve(p));
  const collected = new Set<string>();
  const queue: string[] = [];
  const visitedFiles = new Set<string>();

  const collectModule = (dotted: string) => {
    const parts = dotted.split('.');
    for (let i = 1; i <= parts.length; i++) {
      for (const file of localModuleFiles(root, parts.slice(0, i).join('.'))) {
        if (excluded.some((dir) => isInside(file, dir))) continue;
        if (!isInside(realCwdSafe(file), realCwd(root))) continue;
        if (!collected.has(file)) {
          collected.add(file);
          queue.push(file);
        }
      }
    }
  };

  for (const module of options.entryModules ?? []) collectModule(module);
  const follow = (file: string) => {
    if (visitedFiles.has(file)) return;
    visitedFiles.add(file);
    const relative = path.relative(root, file);
    let refs: ImportRef[];
    try {
      refs = scanImports(readRegularTextSync(file, { shown: relative }), relative);
    } catch {
      return; // the caller's own scan of the same file reports it
    }
    for (const ref of refs) {
      const module = absoluteModule(ref, file, root);
      if (module === undefined) continue;
      collectModule(module);
      for (const name of ref.names) if (name !== '*') collectModule(`${module}.${name}`);
    }
  };
  for (const file of options.entryFiles) follow(path.resolve(root, file));
  while (queue.length > 0) follow(queue.shift()!);

  const sorted = [...collected].sort();
  const providedModules = new Set(sorted.map((file) => path.relative(root, file).split(path.sep)[0]!.replace(/\.py$/, '')));
  return {
    files: sorted.map((file) => ({ source: file, target: `${CODE_DIR_NAME}/${path.relative(root, file).split(path.sep).join('/')}` })),
    collected: sorted.map((file) => path.relative(root, file).split(path.sep).join('/')),
    providedModules,
  };
}

function realCwdSafe(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

// ---------------------------------------------------------------------------------------------
// The `from src.utils import` caveat

export interface CodePathCaveat {
  message: string;
  file: string;
  line: number;
}

/**
 * The seeds' caveat: `--code-path src/utils.py` lands in `code/utils.py`, so `from src.utils
 * import f` fails at load with ModuleNotFoundError. For each dotted absolute import whose top
 * package the `code/` layout does not provide, but whose path names a file or directory a code
 * path copied from deeper in the tree, warn with the fix: pass the top directory.
 */
export function findCodePathCaveats(options: {
  imports: readonly { file: string; ref: ImportRef }[];
  plan: CodePathPlan;
  cwd: string;
}): CodePathCaveat[] {
  const caveats: CodePathCaveat[] = [];
  const seen = new Set<string>();
  for (const { file, ref } of options.imports) {
    if (ref.level !== 0) continue;
    const parts = ref.module.split('.');
    const top = parts[0]!;
    if (parts.length < 2 || options.plan.providedModules.has(top)) continue;
    for (const entry of options.plan.entries) {
      const relativeModule = entry.relative.replace(/\.py$/, '').split('/');
      // The code path's own location, as a dotted module, is a prefix of (or equal to) the import.
      const matches = relativeModule.length >= 2 && relativeModule.every((part, i) => parts[i] === part);
      if (!matches) continue;
      const key = `${file}:${ref.line}:${entry.given}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const basenameModule = relativeModule[relativeModule.length - 1]!;
      caveats.push({
        file,
        line: ref.line,
        message: `\`${file}:${ref.line}\` imports \`${ref.module}\`, but \`--code-path ${entry.given}\` is copied to \`${entry.target}\`, where it imports as \`${[basenameModule, ...parts.slice(relativeModule.length)].join('.')}\`; the model will fail with ModuleNotFoundError: No module named '${top}'. Pass \`--code-path ${top}\` to keep the package path`,
      });
    }
  }
  return caveats;
}

export function refuseCodePathsWithInference(codePaths: readonly string[], infer: boolean): void {
  if (infer && codePaths.length > 0) {
    throw usageError('CODE_PATHS_AND_INFERENCE', '`--code-path` and `--infer-code-paths` cannot be used together', {
      hint: 'MLflow refuses both at once too: pass the paths, or let mlf infer them',
    });
  }
}
