import { existsSync } from 'node:fs';
import { canonicalizeName } from '../deps/pep508.js';
import { runTool } from './exec.js';
import { bootstrappedUvPath } from './select-manager.js';
import { findExecutable } from './which.js';

export interface InstallableVersionOptions {
  /** The distribution to look up, e.g. `tabulate`. */
  distribution: string;
  /** The Python the model runs on (X.Y or X.Y.Z): versions that do not support it are skipped. */
  pythonVersion?: string;
  mlfHome: string;
  env: Record<string, string | undefined>;
  cwd: string;
  timeoutMs?: number;
}

/**
 * The version an installer would pick today for a distribution, so that a missing-module hint
 * can suggest a pinned `PKG==VER` (what `update-pip-requirements add` should record). Asks uv's
 * resolver (`uv pip compile --no-deps`), which honours the user's index configuration; returns
 * undefined when uv is not there, the index cannot be reached or nothing matches, because the
 * hint is still useful without a version.
 */
export async function installableVersion(options: InstallableVersionOptions): Promise<string | undefined> {
  const uv = findExecutable('uv', options.env) ?? existingFile(bootstrappedUvPath(options.mlfHome));
  if (!uv) return undefined;
  const args = ['pip', 'compile', '--quiet', '--no-header', '--no-annotate', '--no-deps', '--color', 'never'];
  if (options.pythonVersion) args.push('--python-version', options.pythonVersion);
  args.push('-');
  try {
    const { stdout } = await runTool('uv', uv, args, {
      cwd: options.cwd,
      env: options.env,
      input: `${options.distribution}\n`,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    return parsePinnedVersion(stdout, options.distribution);
  } catch {
    return undefined;
  }
}

/** `tabulate==0.10.0` in a compile output -> `0.10.0`. */
export function parsePinnedVersion(output: string, distribution: string): string | undefined {
  const wanted = canonicalizeName(distribution);
  for (const line of output.split('\n')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)/.exec(line.trim());
    if (match && canonicalizeName(match[1]!) === wanted) return match[2];
  }
  return undefined;
}

function existingFile(file: string): string | undefined {
  return existsSync(file) ? file : undefined;
}
