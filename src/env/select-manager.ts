import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';
import { environmentError } from '../errors.js';
import { runTool, isToolError } from './exec.js';
import { withEntryLock } from './lock.js';
import { findExecutable, isExecutableFile } from './which.js';
import type { EnvManagerName, ProgressEventInput } from './types.js';

/**
 * Which manager builds the environment when the user did not say, and where uv comes from:
 * uv on PATH; else a uv that mlf installed earlier into its own cache; else mlf installs uv
 * there with the local interpreter's pip (saying so); and when that fails, virtualenv (saying so).
 */
export interface ManagerChoice {
  manager: EnvManagerName;
  uvPath?: string;
}

export interface SelectManagerOptions {
  requested?: EnvManagerName;
  env: Record<string, string | undefined>;
  cwd: string;
  mlfHome: string;
  emit: (event: ProgressEventInput) => void;
  /** Test seam: how uv is installed into `target` (default: `python3 -m pip install --target`). */
  installUv?: (target: string) => Promise<void>;
}

export function bootstrappedUvPath(mlfHome: string): string {
  return path.join(bucketDir(mlfHome, 'tools'), 'uv', 'bin', 'uv');
}

export async function selectManager(options: SelectManagerOptions): Promise<ManagerChoice> {
  const { requested } = options;
  if (requested && requested !== 'uv') return { manager: requested };
  const onPath = findExecutable('uv', options.env);
  if (onPath) return { manager: 'uv', uvPath: onPath };
  const cached = bootstrappedUvPath(options.mlfHome);
  if (isExecutableFile(cached)) return { manager: 'uv', uvPath: cached };
  try {
    options.emit({ kind: 'warning', message: `uv was not found on PATH; installing it into \`${path.dirname(path.dirname(cached))}\` with pip` });
    await bootstrapUv(options);
    return { manager: 'uv', uvPath: cached };
  } catch (error) {
    const why = isToolError(error) ? error.stderrTail.split('\n').pop() : error instanceof Error ? error.message : String(error);
    if (requested === 'uv') {
      throw environmentError('UV_NOT_FOUND', `--env-manager uv needs uv, which is not on PATH and could not be installed: ${why}`, {
        hint: 'install uv (https://docs.astral.sh/uv/), or use `--env-manager virtualenv`',
        cause: error,
      });
    }
    options.emit({ kind: 'warning', message: `uv could not be installed (${why}); using virtualenv instead` });
    return { manager: 'virtualenv' };
  }
}

async function bootstrapUv(options: SelectManagerOptions): Promise<void> {
  const tools = bucketDir(options.mlfHome, 'tools');
  await mkdir(tools, { recursive: true });
  const finalDir = path.join(tools, 'uv');
  await withEntryLock(finalDir, { timeoutMs: 5 * 60_000 }, async () => {
    if (isExecutableFile(bootstrappedUvPath(options.mlfHome))) return;
    // pip --target writes a self-contained tree: install beside, then rename into place.
    const staging = `${finalDir}.staging-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    try {
      if (options.installUv) await options.installUv(staging);
      else await pipInstallUv(staging, options);
      await rm(finalDir, { recursive: true, force: true });
      await rename(staging, finalDir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
  if (!isExecutableFile(bootstrappedUvPath(options.mlfHome))) throw new Error(`no uv executable at \`${bootstrappedUvPath(options.mlfHome)}\` after install`);
}

async function pipInstallUv(target: string, options: SelectManagerOptions): Promise<void> {
  const python = findExecutable('python3', options.env) ?? findExecutable('python', options.env);
  if (!python) throw new Error('no `python3` on PATH to install uv with');
  await runTool('pip', python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--target', target, 'uv'], {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: 10 * 60_000,
  });
}
