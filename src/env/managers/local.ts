import path from 'node:path';
import { SpecifierSet } from '../../deps/specifier-set.js';
import { parseStatement, type ResolvedLine } from '../../deps/requirements-txt.js';
import { environmentError } from '../../errors.js';
import { runTool } from '../exec.js';
import { checkKey, isCheckOutput, readCachedCheck, writeCachedCheck, type CheckAnswer } from '../local-check-cache.js';
import { queryInterpreter } from '../python-discovery.js';
import { findExecutable } from '../which.js';

/**
 * The local "manager": the interpreter on PATH as it is (`python3`), nothing installed, no
 * isolation. Its only job besides finding the interpreter is saying when that interpreter
 * does not satisfy the model, which MLflow leaves to a failure at load time.
 */

export interface LocalInterpreter {
  pythonPath: string;
  version: string;
  prefix: string;
}

/**
 * `mlfHome` lets the interpreter's answers be cached (keyed by its path, size and mtime, as
 * discovery does): a warm predict then starts one Python less before the worker.
 */
export async function findLocalPython(env: Record<string, string | undefined>, cwd: string, mlfHome?: string): Promise<LocalInterpreter> {
  const candidate = findExecutable('python3', env) ?? findExecutable('python', env);
  const info = candidate ? await queryInterpreter(candidate, { env, cwd, ...(mlfHome ? { mlfHome } : {}) }) : undefined;
  if (!candidate || !info) {
    throw environmentError('PYTHON_NOT_FOUND', '--env-manager local needs `python3` on PATH, and none runs', {
      hint: 'put a Python 3 interpreter on PATH, or use `--env-manager uv`',
    });
  }
  // The interpreter as it is (a venv's own python, not its base: its packages are the point).
  // A venv's sys.executable is <prefix>/bin/python: its prefix is two levels up.
  const executable = info.executable ?? info.path;
  return { pythonPath: executable, version: info.version, prefix: path.dirname(path.dirname(executable)) };
}

export interface UnsatisfiedRequirement {
  requirement: string;
  origin: string;
  /** The installed version, or undefined when the distribution is not installed. */
  installed?: string;
}

/**
 * Asks the interpreter (importlib.metadata) for the installed version of every requirement
 * and compares with the specifiers. Markers are evaluated by `packaging` when the interpreter
 * has it; a requirement whose marker cannot be evaluated is not judged. The script also says which
 * `sys.path` entries it read and their mtimes, taken before any lookup, so that its answers can be
 * reused while those stay the same (local-check-cache.ts).
 */
const CHECK_SCRIPT = `
import json, os, site, sys
# \`-c\` puts the working directory first on sys.path; the worker, a script, does not see it.
if sys.path and sys.path[0] == "":
    del sys.path[0]
paths = [os.path.abspath(p) for p in sys.path]
if site.ENABLE_USER_SITE:
    paths.append(site.getusersitepackages())
stamps = []
for p in dict.fromkeys(paths):
    try:
        stamps.append([p, str(os.stat(p).st_mtime_ns)])
    except OSError:
        stamps.append([p, None])
from importlib import metadata
try:
    from packaging.markers import Marker
except Exception:
    Marker = None
out = []
for name, marker in json.loads(sys.argv[1]):
    applies = True
    if marker is not None:
        applies = None
        if Marker is not None:
            try:
                applies = bool(Marker(marker).evaluate())
            except Exception:
                applies = None
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = None
    out.append({"version": version, "applies": applies})
print(json.dumps({"answers": out, "paths": stamps}))
`;

export async function checkLocalRequirements(
  pythonPath: string,
  requirements: ResolvedLine[],
  options: { env: Record<string, string | undefined>; cwd: string; mlfHome?: string },
): Promise<UnsatisfiedRequirement[]> {
  const parsed = requirements.flatMap((line) => {
    try {
      const statement = parseStatement(line.text);
      return statement.kind === 'requirement' ? [{ line, requirement: statement.requirement }] : [];
    } catch {
      return [];
    }
  });
  if (parsed.length === 0) return [];
  const asked = parsed.map(({ requirement }): [string, string | null] => [requirement.name, requirement.marker ?? null]);
  const answers = await installedVersions(pythonPath, asked, options);
  const unsatisfied: UnsatisfiedRequirement[] = [];
  parsed.forEach(({ line, requirement }, i) => {
    const answer = answers[i];
    if (!answer || answer.applies !== true) return;
    if (answer.version === null) {
      unsatisfied.push({ requirement: line.text, origin: line.origin });
      return;
    }
    let ok = true;
    try {
      ok = SpecifierSet.parse(requirement.specifier).contains(answer.version, { prereleases: true });
    } catch {
      ok = true; // a specifier we cannot judge is not reported
    }
    if (!ok) unsatisfied.push({ requirement: line.text, origin: line.origin, installed: answer.version });
  });
  return unsatisfied;
}

/** The check's answers: from MLF_HOME's cache while `sys.path` is unchanged, else from the interpreter. */
async function installedVersions(
  pythonPath: string,
  asked: Array<[string, string | null]>,
  options: { env: Record<string, string | undefined>; cwd: string; mlfHome?: string },
): Promise<CheckAnswer[]> {
  const key = options.mlfHome ? await checkKey({ mlfHome: options.mlfHome, pythonPath, cwd: options.cwd, env: options.env, requirements: asked }) : undefined;
  if (options.mlfHome && key) {
    const cached = await readCachedCheck(options.mlfHome, key);
    if (cached) return cached.answers;
  }
  const { stdout } = await runTool('python', pythonPath, ['-c', CHECK_SCRIPT, JSON.stringify(asked)], { cwd: options.cwd, env: options.env, timeoutMs: 60_000 });
  const output: unknown = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  if (!isCheckOutput(output)) return [];
  if (options.mlfHome && key) await writeCachedCheck(options.mlfHome, key, output);
  return output.answers;
}

export function describeUnsatisfied(pythonPath: string, items: UnsatisfiedRequirement[]): string {
  const shown = items.slice(0, 8).map((u) => (u.installed ? `\`${u.requirement}\` (installed: \`${u.installed}\`)` : `\`${u.requirement}\` (not installed)`));
  const more = items.length > 8 ? `, and ${items.length - 8} more` : '';
  return `the local Python \`${pythonPath}\` does not satisfy the model's requirements: ${shown.join(', ')}${more}`;
}
