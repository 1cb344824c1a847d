import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isToolError, runTool } from '../env/exec.js';
import { findExecutable } from '../env/which.js';
import { ENV } from '../config/env-vars.js';

/**
 * `--lock`: MLflow's `_lock_requirements` (mlflow-format.md §9). The deduplicated list (mlflow
 * pin included) goes to `requirements.in`; `uv pip compile` resolves it for the model's
 * Python version across platforms (`--universal`); the output lines follow the original list
 * as comments in requirements.txt and conda.yaml. `--hashes` adds `--generate-hashes`.
 * Constraints are the user's `-c` lines, or else the file `PIP_CONSTRAINT` names.
 */

export interface LockRequest {
  requirements: readonly string[];
  constraints: readonly string[];
  pythonVersion: string;
  hashes: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  /** The uv executable; default: `uv` on PATH. */
  uv?: string;
  timeoutMs?: number;
}

export type LockOutcome =
  | { ok: true; lines: string[]; argv: string[] }
  | { ok: false; reason: string; output?: string };

/** The arguments after `uv`, exactly as MLflow passes them (plus `--generate-hashes`). */
export function uvCompileArgs(options: {
  pythonVersion: string;
  outputFile: string;
  inputFile: string;
  constraintsFile?: string;
  hashes: boolean;
}): string[] {
  return [
    'pip',
    'compile',
    '--color=never',
    '--universal',
    '--no-annotate',
    '--no-header',
    `--python-version=${options.pythonVersion}`,
    `--output-file=${options.outputFile}`,
    ...(options.constraintsFile ? [`--constraints=${options.constraintsFile}`] : []),
    ...(options.hashes ? ['--generate-hashes'] : []),
    options.inputFile,
  ];
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Never throws for a lock failure: the caller decides (a warning, or an error with `--lock=strict`). */
export async function lockRequirements(request: LockRequest): Promise<LockOutcome> {
  const uv = request.uv ?? findExecutable('uv', request.env);
  if (!uv) return { ok: false, reason: '`uv` is not on PATH' };
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'mlf-lock-'));
  try {
    const inputFile = path.join(scratch, 'requirements.in');
    const outputFile = path.join(scratch, 'requirements.out');
    await writeFile(inputFile, request.requirements.join('\n'));
    let constraintsFile: string | undefined;
    if (request.constraints.length > 0) {
      constraintsFile = path.join(scratch, 'constraints.txt');
      await writeFile(constraintsFile, request.constraints.join('\n'));
    } else if (request.env[ENV.PIP_CONSTRAINT]) {
      constraintsFile = request.env[ENV.PIP_CONSTRAINT];
    }
    const args = uvCompileArgs({ pythonVersion: request.pythonVersion, outputFile, inputFile, constraintsFile, hashes: request.hashes });
    try {
      await runTool('uv', uv, args, { cwd: request.cwd, env: request.env, timeoutMs: request.timeoutMs ?? 600_000 });
    } catch (error) {
      if (isToolError(error)) return { ok: false, reason: error.message, output: error.stderrTail };
      throw error;
    }
    return { ok: true, lines: splitLines(await readFile(outputFile, 'utf8')), argv: [uv, ...args] };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
