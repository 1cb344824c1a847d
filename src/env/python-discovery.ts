import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';
import { ENV } from '../config/env-vars.js';
import { environmentError, inputError } from '../errors.js';
import { runTool } from './exec.js';
import type { PythonVersionStrategy } from './types.js';
import { findExecutable, isExecutableFile, pathDirectories } from './which.js';

/**
 * Finding a Python interpreter for a model: python_env.yaml's exact `X.Y.Z` where one exists,
 * looked for on PATH, in pyenv's versions directory and in uv's managed interpreters.
 * Every candidate is asked for its own version (a file name can lie: `python3` is anything);
 * the answers are cached on disk by path, size and mtime, as uv caches interpreter queries,
 * so a warm run does not start a Python per candidate.
 */

export type InterpreterSource = 'PATH' | 'pyenv' | 'uv';

export interface InterpreterInfo {
  /** X.Y.Z */
  version: string;
  /**
   * What environments are created from: `sys.executable`, or for a virtual environment's
   * python its base interpreter (`sys._base_executable`, else found under `sys.base_prefix`),
   * since an environment made from a venv's python is one made from its base.
   */
  path: string;
  /**
   * `sys.executable` as found, a venv's own python included: what `--env-manager local` runs,
   * since that manager uses the interpreter as it is, with the packages it has.
   */
  executable?: string;
  implementation: string;
  /** What decides which wheels and bytecode fit: the cache key uses this, not the path. */
  identity?: InterpreterIdentity;
  source: InterpreterSource;
}

/**
 * An interpreter's identity: two interpreters equal in all of it install the same packages, so
 * that the same requirements give the same environment whichever of them (or a venv made from
 * either) was found first.
 */
export interface InterpreterIdentity {
  /** `sys.implementation.name`: cpython, pypy. */
  implementation: string;
  /** `sys.version_info` in full: `3.13.0.candidate.1`, `3.11.7.final.0`. */
  versionInfo: string;
  /** `sys.abiflags` (`t` free-threaded, `d` debug); '' when none. */
  abiFlags: string;
  /** `sysconfig.get_config_var('SOABI')`, e.g. `cpython-311-x86_64-linux-gnu`; '' when none. */
  soabi: string;
  /** `sys.platform` and `platform.machine()`. */
  platform: string;
  machine: string;
  /** Pointer size in bits (a 32-bit build on a 64-bit machine). */
  bits: number;
}

export interface PythonRequest {
  /** As written in python_env.yaml: normally X.Y.Z; X.Y means "any micro" (MLflow's prefix match). */
  version: string;
  strategy: PythonVersionStrategy;
}

export interface DiscoveryOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where the interpreter query cache lives; no disk cache when absent. */
  mlfHome?: string;
  /** uv, to ask for its managed interpreters; looked up on PATH when absent. */
  uvPath?: string;
  /** Test seam: answers for a candidate path instead of running it. */
  query?: (candidate: string) => Promise<Omit<InterpreterInfo, 'source'> | undefined>;
}

export interface FoundPython {
  interpreter: InterpreterInfo;
  /** Set when the strategy accepted a version other than the one asked for. */
  warning?: string;
}

export interface PythonCandidate {
  path: string;
  source: InterpreterSource;
}

const VERSION_RE = /^\d+(\.\d+){0,2}$/;

/**
 * The interpreter to build an environment with. Throws MlfError `PYTHON_NOT_FOUND`
 * (environment, exit 3) naming what was asked, what was found and the flag that accepts
 * a compatible version.
 */
export async function findPython(request: PythonRequest, options: DiscoveryOptions): Promise<FoundPython> {
  if (!VERSION_RE.test(request.version)) {
    throw inputError('INVALID_PYTHON_VERSION', `invalid Python version \`${request.version}\`: expected \`X.Y.Z\``, {
      field: 'python',
    });
  }
  const found: InterpreterInfo[] = [];
  const seen = new Set<string>();
  const consider = async (candidates: PythonCandidate[]): Promise<InterpreterInfo | undefined> => {
    for (const candidate of candidates) {
      const info = await queryCandidate(candidate, options);
      if (!info || seen.has(info.path)) continue;
      seen.add(info.path);
      found.push(info);
      if (matchesExactly(request.version, info.version)) return info;
    }
    return undefined;
  };
  // Cheap sources first; uv's list is consulted only when they have no exact match.
  const local = await consider([...pathCandidates(request.version, options.env), ...(await pyenvCandidates(request.version, options.env))]);
  if (local) return { interpreter: local };
  const uv = await consider(await uvCandidates(options));
  if (uv) return { interpreter: uv };
  return selectCompatible(request, found);
}

/** Whether `found` satisfies `requested` exactly: equal X.Y.Z, or any micro for a requested X.Y. */
export function matchesExactly(requested: string, found: string): boolean {
  const want = requested.split('.');
  const have = found.split('.');
  return want.every((part, i) => Number(part) === Number(have[i]));
}

/**
 * The strategy's fallback over everything found: the highest version sharing X.Y (`minor`)
 * or X (`major`), with a warning; otherwise the not-found error.
 */
export function selectCompatible(request: PythonRequest, found: InterpreterInfo[]): FoundPython {
  const exact = found.find((info) => matchesExactly(request.version, info.version));
  if (exact) return { interpreter: exact };
  const parts = request.strategy === 'minor' ? 2 : request.strategy === 'major' ? 1 : 0;
  if (parts > 0) {
    const prefix = request.version.split('.').slice(0, parts).join('.');
    const compatible = found
      .filter((info) => matchesExactly(prefix, info.version))
      .sort((a, b) => compareVersions(b.version, a.version));
    const best = compatible[0];
    if (best) {
      return {
        interpreter: best,
        warning: `python_env.yaml asks for Python \`${request.version}\`, which was not found; using \`${best.version}\` at \`${best.path}\` (--python-version-strategy ${request.strategy})`,
      };
    }
  }
  throw pythonNotFound(request, found);
}

function pythonNotFound(request: PythonRequest, found: InterpreterInfo[]): Error {
  const versions = [...new Set(found.map((info) => info.version))].sort((a, b) => compareVersions(b, a));
  const foundText = versions.length ? versions.map((v) => `\`${v}\``).join(', ') : 'none';
  const [major, minor] = request.version.split('.');
  const sameMinor = versions.find((v) => matchesExactly(`${major}.${minor}`, v));
  const sameMajor = versions.find((v) => matchesExactly(`${major}`, v));
  let hint = `install it (e.g. \`uv python install ${request.version}\` or \`pyenv install ${request.version}\`)`;
  if (request.strategy === 'exact' && sameMinor) hint += `, or pass \`--python-version-strategy minor\` to accept \`${sameMinor}\``;
  else if (request.strategy !== 'major' && sameMajor) hint += `, or pass \`--python-version-strategy major\` to accept \`${sameMajor}\``;
  else if (request.strategy === 'exact') hint += ', or pass `--python-version-strategy minor` to accept a compatible version';
  return environmentError(
    'PYTHON_NOT_FOUND',
    `no Python \`${request.version}\` interpreter found (asked for by the model's python_env.yaml); versions found: ${foundText}`,
    { hint, data: { requested: request.version, strategy: request.strategy, found: found.map(({ version, path: p }) => ({ version, path: p })) } },
  );
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Candidates

/** pyenv's root: `$PYENV_ROOT`, else `~/.pyenv`. */
export function pyenvRoot(env: Record<string, string | undefined>): string | undefined {
  const root = env[ENV.PYENV_ROOT];
  if (root) return root;
  const home = env[ENV.HOME];
  return home ? path.join(home, '.pyenv') : undefined;
}

const PYTHON_NAME_RE = /^python(\d+(\.\d+)?)?$/;

/**
 * `pythonX.Y`, `python3` and `python` in every PATH directory, the requested minor first.
 * pyenv's shim directories are skipped: a shim only forwards to one of pyenv's versions
 * (which are looked at directly) and costs a bash start per query.
 */
export function pathCandidates(requested: string, env: Record<string, string | undefined>): PythonCandidate[] {
  const root = pyenvRoot(env);
  const shimDirs = new Set(root ? [path.join(root, 'shims'), path.join(root, 'plugins', 'pyenv-virtualenv', 'shims')] : []);
  const [major, minor] = requested.split('.');
  const names = [minor !== undefined ? `python${major}.${minor}` : undefined, `python${major}`, 'python'].filter(
    (n): n is string => n !== undefined,
  );
  const out: PythonCandidate[] = [];
  for (const dir of pathDirectories(env)) {
    if (shimDirs.has(path.resolve(dir))) continue;
    for (const name of names) {
      const file = path.join(dir, name);
      if (isExecutableFile(file)) out.push({ path: file, source: 'PATH' });
    }
  }
  return out;
}

/** `<pyenv root>/versions/*\/bin/python3`, a directory named as the request first. */
export async function pyenvCandidates(requested: string, env: Record<string, string | undefined>): Promise<PythonCandidate[]> {
  const root = pyenvRoot(env);
  if (!root) return [];
  let names: string[];
  try {
    names = await readdir(path.join(root, 'versions'));
  } catch {
    return [];
  }
  // Likely matches first (`3.11.7` for 3.11.7, `3.11.*` for 3.11), the rest newest first.
  names.sort((a, b) => Number(matchesLoosely(requested, b)) - Number(matchesLoosely(requested, a)) || compareVersionNames(b, a));
  const out: PythonCandidate[] = [];
  for (const name of names) {
    for (const exe of ['python3', 'python']) {
      const file = path.join(root, 'versions', name, 'bin', exe);
      if (isExecutableFile(file)) {
        out.push({ path: file, source: 'pyenv' });
        break;
      }
    }
  }
  return out;
}

function matchesLoosely(requested: string, dirName: string): boolean {
  return /^\d+(\.\d+)*$/.test(dirName) && matchesExactly(requested, dirName);
}

function compareVersionNames(a: string, b: string): number {
  const va = /^\d+(\.\d+)*$/.test(a);
  const vb = /^\d+(\.\d+)*$/.test(b);
  if (va && vb) return compareVersions(a, b);
  return va === vb ? a.localeCompare(b) : va ? 1 : -1;
}

/** uv's managed and found interpreters (`uv python list --only-installed`). */
async function uvCandidates(options: DiscoveryOptions): Promise<PythonCandidate[]> {
  const uv = options.uvPath ?? findExecutable('uv', options.env);
  if (!uv) return [];
  try {
    const { stdout } = await runTool('uv', uv, ['python', 'list', '--only-installed', '--output-format', 'json'], {
      cwd: options.cwd,
      env: options.env,
      timeoutMs: 60_000,
    });
    const entries = JSON.parse(stdout) as Array<{ path?: string | null }>;
    return entries.flatMap((e) => (e.path ? [{ path: e.path, source: 'uv' as const }] : []));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------
// Asking an interpreter about itself

/**
 * Works on Python 2.7 too, so that an old interpreter is listed rather than crashing. In a
 * virtual environment (`sys.prefix` differs from `sys.base_prefix`, or virtualenv 20-'s
 * `sys.real_prefix`) the path reported is the base interpreter's: `sys._base_executable` where
 * it points outside the environment (Python 3.11+), else `pythonX.Y`/`python3`/`python` under
 * the base prefix.
 */
const QUERY_SCRIPT = `
import sys, json, os, platform, struct
try:
    import sysconfig
    soabi = sysconfig.get_config_var("SOABI") or ""
except Exception:
    soabi = ""
v = sys.version_info
exe = sys.executable
base_prefix = getattr(sys, "real_prefix", None) or getattr(sys, "base_prefix", sys.prefix)
if os.path.realpath(base_prefix) != os.path.realpath(sys.prefix):
    base = getattr(sys, "_base_executable", None)
    if not base or not os.path.exists(base) or os.path.abspath(base).startswith(os.path.abspath(sys.prefix) + os.sep):
        base = None
        for name in ("python%d.%d" % (v[0], v[1]), "python%d" % v[0], "python"):
            candidate = os.path.join(base_prefix, "bin", name)
            if os.path.exists(candidate):
                base = candidate
                break
    if base:
        exe = base
print(json.dumps({
    "version": "%d.%d.%d" % tuple(v[:3]),
    "path": exe,
    "executable": sys.executable,
    "implementation": platform.python_implementation().lower(),
    "identity": {
        "implementation": getattr(getattr(sys, "implementation", None), "name", platform.python_implementation().lower()),
        "versionInfo": "%d.%d.%d.%s.%d" % tuple(v[:5]),
        "abiFlags": getattr(sys, "abiflags", ""),
        "soabi": soabi,
        "platform": sys.platform,
        "machine": platform.machine(),
        "bits": struct.calcsize("P") * 8,
    },
}))
`;

/** Bump when QUERY_SCRIPT answers something new, so that cached answers are asked again. */
const QUERY_VERSION = 3;

interface CachedQuery {
  queryVersion: number;
  candidate: string;
  target: string;
  size: number;
  mtimeMs: number;
  info: Omit<InterpreterInfo, 'source'>;
}

async function queryCandidate(candidate: PythonCandidate, options: DiscoveryOptions): Promise<InterpreterInfo | undefined> {
  if (options.query) {
    const info = await options.query(candidate.path);
    return info ? { ...info, source: candidate.source } : undefined;
  }
  const info = await queryInterpreter(candidate.path, options);
  return info ? { ...info, source: candidate.source } : undefined;
}

/**
 * Runs the interpreter (or reads the cached answer, valid while the resolved binary keeps its
 * size and mtime). Undefined when it does not run or is not CPython/PyPy.
 */
export async function queryInterpreter(
  candidate: string,
  options: Pick<DiscoveryOptions, 'env' | 'cwd' | 'mlfHome'>,
): Promise<Omit<InterpreterInfo, 'source'> | undefined> {
  let target: string;
  let size: number;
  let mtimeMs: number;
  try {
    target = await realpath(candidate);
    const st = await stat(target);
    size = st.size;
    mtimeMs = st.mtimeMs;
  } catch {
    return undefined;
  }
  const cacheFile = options.mlfHome
    ? path.join(bucketDir(options.mlfHome, 'interpreters'), `${createHash('sha256').update(candidate).digest('hex').slice(0, 24)}.json`)
    : undefined;
  if (cacheFile) {
    try {
      const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as CachedQuery;
      if (cached.queryVersion === QUERY_VERSION && cached.candidate === candidate && cached.target === target && cached.size === size && cached.mtimeMs === mtimeMs) {
        return cached.info;
      }
    } catch {
      // absent or unreadable: ask the interpreter
    }
  }
  let info: Omit<InterpreterInfo, 'source'>;
  try {
    const { stdout } = await runTool('python', candidate, ['-c', QUERY_SCRIPT], { cwd: options.cwd, env: options.env, timeoutMs: 20_000 });
    const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<InterpreterInfo>;
    if (typeof parsed.version !== 'string' || typeof parsed.path !== 'string' || !parsed.path) return undefined;
    info = {
      version: parsed.version,
      path: parsed.path,
      ...(typeof parsed.executable === 'string' && parsed.executable ? { executable: parsed.executable } : {}),
      implementation: String(parsed.implementation ?? 'cpython'),
      ...(parsed.identity && typeof parsed.identity === 'object' ? { identity: parsed.identity } : {}),
    };
  } catch {
    return undefined;
  }
  if (cacheFile) {
    try {
      await mkdir(path.dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ queryVersion: QUERY_VERSION, candidate, target, size, mtimeMs, info } satisfies CachedQuery));
      await rename(tmp, cacheFile);
    } catch {
      // a cache that cannot be written only costs time
    }
  }
  return info;
}
