import { execa } from 'execa';
import { existsSync, cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.join(repoRoot, 'fixtures');
export const mlfBin = path.join(repoRoot, 'bin', 'mlf.js');

/** Whether `npm run build` has made the bundle bin/mlf.js runs. */
export function cliIsBuilt(): boolean {
  return existsSync(path.join(repoRoot, 'dist', 'bundle', 'main.mjs'));
}

/** The Python with real MLflow that e2e tests compare against (.ci/run creates it). */
export function e2ePython(): string | undefined {
  const candidate = process.env.MLF_E2E_PYTHON ?? path.join(repoRoot, '.e2e', 'venv', 'bin', 'python');
  return existsSync(candidate) ? candidate : undefined;
}

/** The Python with real MLflow, PyTorch's CPU build and Keras 3 (.ci/run creates it from test/e2e/torch.lock). */
export function e2eTorchPython(): string | undefined {
  const candidate = process.env.MLF_E2E_TORCH_PYTHON ?? path.join(repoRoot, '.e2e', 'torch', 'bin', 'python');
  return existsSync(candidate) ? candidate : undefined;
}

/** The Python with real MLflow, TensorFlow's CPU build and Keras 3 (.ci/run creates it from test/e2e/tf.lock). */
export function e2eTfPython(): string | undefined {
  const candidate = process.env.MLF_E2E_TF_PYTHON ?? path.join(repoRoot, '.e2e', 'tf', 'bin', 'python');
  return existsSync(candidate) ? candidate : undefined;
}

/** The reason a case that needs .e2e/tf gives in its title when it is skipped ('' when it runs). */
export const NO_TF_REASON = ' [skipped: no .e2e/tf (MLF_E2E_TF_PYTHON); .ci/run makes it]';

/** Why e2e tests cannot run here, or undefined when they can. Shown in the skip reason. */
export function e2eUnavailableReason(): string | undefined {
  if (!cliIsBuilt()) return 'the CLI is not built (run `npm run build`)';
  if (!e2ePython()) return 'no MLflow test environment (set MLF_E2E_PYTHON or run .ci/run)';
  return undefined;
}

export interface MlfResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, in an isolated MLF_HOME unless one is given. */
export async function runMlf(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string | Buffer; mlfHome?: string } = {},
): Promise<MlfResult> {
  const result = await execa(process.execPath, [mlfBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { NO_COLOR: '1', MLF_HOME: options.mlfHome ?? tempDir('mlf-home-'), ...options.env },
    input: options.input,
    reject: false,
    stripFinalNewline: false,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export { tempDir } from './temp.js';

/** A private copy of a fixture model directory, safe to modify. */
export function copyFixtureModel(name: string): string {
  const target = path.join(tempDir(`mlf-${name}-`), name);
  cpSync(path.join(fixturesDir, 'models', name), target, { recursive: true });
  return target;
}
