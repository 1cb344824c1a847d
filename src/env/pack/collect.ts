import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { environmentError } from '../../errors.js';
import { IN_USE_DIR } from '../in-use.js';
import { MARKER_FILE } from '../marker.js';
import { ENV_MODEL_CACHE_DIR } from '../../config/cache-layout.js';
import { PACK_MANIFEST_FILE, PACK_WORKER_DIR } from './manifest.js';
import { ACTIVATE_SCRIPT, isDroppedBinFile, launcherScript, relocatePyvenvCfg, relocateScript, type LauncherFacts } from './relocate.js';
import type { TarEntry } from './archive.js';

/**
 * The archive's entries: the environment with every file that names its build directory rewritten
 * (relocate.ts) or left out, mlf's worker under `mlf-worker/`, and the manifest; sorted by path.
 * A file that still names the build directory and that no rule rewrites fails the pack, so an
 * archive never carries a path that only worked where it was made.
 */
export interface CollectInput {
  envDir: string;
  /** Other spellings of envDir (its real path when a symlink leads to it). */
  envDirAliases: string[];
  launcher: LauncherFacts;
  worker: { launcher: string; packageDir: string };
  manifestText: string;
}

/** mlf's own files in a cache entry, and uv's lock: never part of the environment. */
const LEFT_OUT_AT_ROOT = new Set([MARKER_FILE, IN_USE_DIR, ENV_MODEL_CACHE_DIR, '.lock', PACK_MANIFEST_FILE, PACK_WORKER_DIR]);

export async function collectEntries(input: CollectInput): Promise<TarEntry[]> {
  const prefixes = [...new Set([input.envDir, ...input.envDirAliases])];
  const entries: TarEntry[] = [];
  const problems: string[] = [];
  await walk(input.envDir, '', async (rel, stat, absolute) => {
    const top = rel.split('/')[0]!;
    if (!rel.includes('/') && LEFT_OUT_AT_ROOT.has(top)) return 'skip';
    if (path.posix.basename(rel) === '__pycache__' && stat.isDirectory()) return 'skip';
    if (stat.isDirectory()) {
      entries.push({ type: 'dir', path: rel, mode: 0o755 });
      return 'descend';
    }
    const inBin = path.posix.dirname(rel) === 'bin';
    const name = path.posix.basename(rel);
    if (inBin && isDroppedBinFile(name)) return 'skip';
    if (inBin && name === 'python') {
      entries.push({ type: 'file', path: rel, mode: 0o755, data: Buffer.from(launcherScript(input.launcher)) });
      return 'skip';
    }
    if (stat.isSymbolicLink()) {
      if (inBin && /^python[0-9.]*$/.test(name)) {
        entries.push({ type: 'symlink', path: rel, target: 'python' });
        return 'skip';
      }
      const target = await readlink(absolute);
      const inside = prefixes.map((p) => insideRelative(p, target)).find((r) => r !== undefined);
      entries.push({ type: 'symlink', path: rel, target: inside !== undefined ? path.posix.relative(path.posix.dirname(rel), inside) || '.' : target });
      return 'skip';
    }
    if (!stat.isFile()) {
      problems.push(`${rel} (not a regular file, directory or symlink)`);
      return 'skip';
    }
    const mode = stat.mode & 0o111 ? 0o755 : 0o644;
    if (rel === 'bin/activate') {
      entries.push({ type: 'file', path: rel, mode: 0o644, data: Buffer.from(ACTIVATE_SCRIPT) });
      return 'skip';
    }
    if (!(await fileContainsAny(absolute, prefixes))) {
      entries.push({ type: 'file', path: rel, mode, source: absolute, size: stat.size });
      return 'skip';
    }
    const text = await readFile(absolute, 'utf8');
    let rewritten: string | undefined;
    if (rel === 'pyvenv.cfg') rewritten = prefixes.reduce((t, p) => relocatePyvenvCfg(t, p), text);
    else if (inBin) rewritten = prefixes.map((p) => relocateScript(text, p)).find((r) => r !== undefined);
    if (rewritten === undefined || prefixes.some((p) => rewritten!.includes(p))) problems.push(rel);
    else entries.push({ type: 'file', path: rel, mode, data: Buffer.from(rewritten) });
    return 'skip';
  });
  if (problems.length > 0) {
    throw environmentError('PACK_NOT_RELOCATABLE', `${problems.length} file${problems.length === 1 ? '' : 's'} of \`${input.envDir}\` name the directory the environment was built in, and mlf does not know how to rewrite ${problems.length === 1 ? 'it' : 'them'}: ${problems.slice(0, 5).join(', ')}${problems.length > 5 ? ', ...' : ''}`, {
      hint: 'such a file would point back at the cache entry from wherever the archive is unpacked; report it with the package that installs it',
    });
  }
  entries.push(...(await workerEntries(input.worker)));
  entries.push({ type: 'file', path: PACK_MANIFEST_FILE, mode: 0o644, data: Buffer.from(input.manifestText) });
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The worker's launcher and its package's Python files (no bytecode), under `mlf-worker/`. */
async function workerEntries(worker: CollectInput['worker']): Promise<TarEntry[]> {
  const entries: TarEntry[] = [{ type: 'dir', path: PACK_WORKER_DIR, mode: 0o755 }];
  const launcherStat = await lstat(worker.launcher);
  entries.push({ type: 'file', path: `${PACK_WORKER_DIR}/${path.basename(worker.launcher)}`, mode: 0o644, source: worker.launcher, size: launcherStat.size });
  const packageRoot = `${PACK_WORKER_DIR}/${path.basename(worker.packageDir)}`;
  entries.push({ type: 'dir', path: packageRoot, mode: 0o755 });
  await walk(worker.packageDir, packageRoot, async (rel, stat, absolute) => {
    if (stat.isDirectory()) {
      if (path.posix.basename(rel) === '__pycache__') return 'skip';
      entries.push({ type: 'dir', path: rel, mode: 0o755 });
      return 'descend';
    }
    if (stat.isFile() && rel.endsWith('.py')) entries.push({ type: 'file', path: rel, mode: 0o644, source: absolute, size: stat.size });
    return 'skip';
  });
  return entries;
}

type Visit = (rel: string, stat: Stats, absolute: string) => Promise<'descend' | 'skip'>;

async function walk(dir: string, relDir: string, visit: Visit): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const absolute = path.join(dir, name);
    const rel = relDir ? `${relDir}/${name}` : name;
    const stat = await lstat(absolute);
    if ((await visit(rel, stat, absolute)) === 'descend') await walk(absolute, rel, visit);
  }
}

/** `target` as a path relative to `prefix` when it is `prefix` or inside it; undefined otherwise. */
function insideRelative(prefix: string, target: string): string | undefined {
  if (!path.isAbsolute(target)) return undefined;
  const rel = path.relative(prefix, target);
  return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
}

/** Whether the file's bytes hold any of the strings (streamed: a shared library can be large). */
export async function fileContainsAny(file: string, needles: readonly string[]): Promise<boolean> {
  const buffers = needles.map((n) => Buffer.from(n));
  const keep = Math.max(...buffers.map((b) => b.length)) - 1;
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const window = tail.length > 0 ? Buffer.concat([tail, chunk as Buffer]) : (chunk as Buffer);
    if (buffers.some((b) => window.includes(b))) return true;
    tail = window.subarray(Math.max(0, window.length - keep));
  }
  return false;
}
