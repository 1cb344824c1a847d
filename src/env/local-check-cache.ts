import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';

/**
 * The answers of `--env-manager local`'s requirement check (managers/local.ts), kept in MLF_HOME
 * so that a warm predict starts one Python less before the worker (~90 ms of CPU, a sixth of a
 * sub-second model's whole run).
 *
 * What the answers depend on: which interpreter runs (its path, and the binary's size and mtime),
 * what decides its `sys.path` (the working directory and the PYTHON* variables below), the
 * requirements asked about (names and markers), and what is installed on that `sys.path`. The last
 * is read off the directories themselves: installing, upgrading or removing a distribution adds or
 * removes a `*.dist-info` (or `.egg-info`, or `.pth`) entry in a `sys.path` directory, which changes
 * that directory's mtime. The check records each entry's mtime (nanoseconds, or that it was absent)
 * as it started, and an answer is used only while every one is the same. What this cannot see:
 * a distribution's metadata rewritten in place inside an existing `.egg-info` of a source checkout
 * (an editable install's version bumped without reinstalling). The check only warns, so the cost of
 * that is a stale warning, not a wrong prediction.
 */

/** Bump when the check script answers something new. */
const CHECK_CACHE_VERSION = 1;

/** The variables that move `sys.path` or the user site (docs.python.org, "Command line and environment"). */
const SYS_PATH_VARIABLES = ['PYTHONPATH', 'PYTHONHOME', 'PYTHONUSERBASE', 'PYTHONNOUSERSITE', 'PYTHONSAFEPATH', 'PYTHONPLATLIBDIR'];

export interface CheckAnswer {
  version: string | null;
  applies: boolean | null;
}

/** What the check script prints: an answer per requirement, and the `sys.path` entries it read. */
export interface CheckOutput {
  answers: CheckAnswer[];
  /** [directory or zip, its mtime in ns as a decimal string, or null when absent]. */
  paths: Array<[string, string | null]>;
}

interface CheckKey {
  cacheVersion: number;
  python: string;
  target: string;
  size: number;
  mtimeMs: number;
  cwd: string;
  variables: Record<string, string>;
  requirements: Array<[string, string | null]>;
}

interface CachedCheck {
  key: CheckKey;
  output: CheckOutput;
}

export interface CheckCacheRequest {
  mlfHome: string;
  pythonPath: string;
  cwd: string;
  env: Record<string, string | undefined>;
  requirements: Array<[string, string | null]>;
}

/** The key of a check, or undefined when the interpreter cannot be stat'ed (then nothing is cached). */
export async function checkKey(request: CheckCacheRequest): Promise<CheckKey | undefined> {
  try {
    const target = await realpath(request.pythonPath);
    const st = await stat(target);
    const variables: Record<string, string> = {};
    for (const name of SYS_PATH_VARIABLES) {
      const value = request.env[name];
      if (value !== undefined) variables[name] = value;
    }
    return {
      cacheVersion: CHECK_CACHE_VERSION,
      python: request.pythonPath,
      target,
      size: st.size,
      mtimeMs: st.mtimeMs,
      cwd: path.resolve(request.cwd),
      variables,
      requirements: request.requirements,
    };
  } catch {
    return undefined;
  }
}

function cacheFile(mlfHome: string, key: CheckKey): string {
  const digest = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32);
  return path.join(bucketDir(mlfHome, 'localChecks'), `${digest}.json`);
}

/** The cached answers, if every `sys.path` entry the check read is as it was. */
export async function readCachedCheck(mlfHome: string, key: CheckKey): Promise<CheckOutput | undefined> {
  let cached: CachedCheck;
  try {
    cached = JSON.parse(await readFile(cacheFile(mlfHome, key), 'utf8')) as CachedCheck;
  } catch {
    return undefined;
  }
  if (JSON.stringify(cached.key) !== JSON.stringify(key) || !isCheckOutput(cached.output)) return undefined;
  for (const [entry, mtimeNs] of cached.output.paths) {
    if ((await mtimeNsOf(entry)) !== mtimeNs) return undefined;
  }
  return cached.output;
}

/** Keeps the answers (atomically: a reader sees the old file or the new one). A cache that cannot be written only costs time. */
export async function writeCachedCheck(mlfHome: string, key: CheckKey, output: CheckOutput): Promise<void> {
  const file = cacheFile(mlfHome, key);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, output } satisfies CachedCheck));
    await rename(tmp, file);
  } catch {
    // the next run asks the interpreter again
  }
}

async function mtimeNsOf(entry: string): Promise<string | null> {
  try {
    return (await stat(entry, { bigint: true })).mtimeNs.toString();
  } catch {
    return null;
  }
}

export function isCheckOutput(value: unknown): value is CheckOutput {
  if (typeof value !== 'object' || value === null) return false;
  const { answers, paths } = value as Partial<CheckOutput>;
  return (
    Array.isArray(answers) &&
    answers.every((a) => typeof a === 'object' && a !== null && (typeof a.version === 'string' || a.version === null)) &&
    Array.isArray(paths) &&
    paths.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && (typeof p[1] === 'string' || p[1] === null))
  );
}
