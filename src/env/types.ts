import type { EnvironmentCaches } from '../config/cache-layout.js';
import { MlfError } from '../errors.js';
import type { ModelDirectory } from '../model/directory/strict.js';

/**
 * The vocabulary of environments: what a caller asks for (`EnvRequest`), what it gets back
 * (`PreparedEnvironment`), and what it hears while an environment builds (`ProgressEvent`).
 */

export type EnvManagerName = 'uv' | 'virtualenv' | 'conda' | 'local';

export const ENV_MANAGER_NAMES: readonly EnvManagerName[] = ['local', 'conda', 'virtualenv', 'uv'];

/**
 * How strictly python_env.yaml's `python: X.Y.Z` must be matched by a found interpreter.
 * `exact` (the default) needs X.Y.Z; `minor` accepts the highest X.Y.*; `major` the highest X.*.
 */
export type PythonVersionStrategy = 'exact' | 'minor' | 'major';

export interface EnvRequest {
  /** The model, read once by model/directory/strict.ts (env/ never reads MLmodel itself). */
  model: ModelDirectory;
  /** Default: uv when found on PATH (or bootstrapped), else virtualenv. */
  manager?: EnvManagerName;
  /** Requirements installed on top of the model's, replacing same-name ones (already split on commas). */
  pipRequirementsOverride?: string[];
  /**
   * Requirements installed with the model's, in the same resolve (so the model's pins win where
   * both name a package): what a consumer of the environment needs besides the model, e.g. pyarrow
   * for Spark's Python workers (`mlf envs pack`). A non-empty list gives a distinct cached environment.
   */
  extraRequirements?: string[];
  /** Install mlflow (the version the model was saved with) into the environment. */
  installMlflow?: boolean;
  pythonVersionStrategy?: PythonVersionStrategy;
  /** Extra variables for the installer processes (the user's `--env KEY=VALUE`). */
  extraEnv?: Record<string, string>;
  /** Cache root; default `env.MLF_HOME`, else the user cache dir (env-paths `mlf`). */
  mlfHome?: string;
  /** The environment the tool runs in (PATH, HOME, proxies, credentials) — never process.env. */
  env: Record<string, string | undefined>;
  cwd: string;
  onProgress?: (event: ProgressEvent) => void;
  /** Stream installer output through `output` progress events. */
  verbose?: boolean;
  /** How long to wait for another process that is building the same environment. Default 15 min. */
  lockTimeoutMs?: number;
  /** Timeout of each installer command. Default 30 min. */
  installTimeoutMs?: number;
}

export interface PreparedEnvironment {
  manager: EnvManagerName;
  /** The environment's root (the venv / conda prefix); for `local`, the interpreter's `sys.prefix`. */
  envDir: string;
  /** The interpreter to start the worker with. */
  pythonPath: string;
  /** The cache key (hex digest); `local` for the local manager. */
  key: string;
  /** True when this call built the environment, false when it was reused. */
  built: boolean;
  /** Everything also reported as `warning` progress events, for callers without a progress callback. */
  warnings: string[];
  /** The Python version of the environment's interpreter (X.Y.Z), when known. */
  pythonVersion?: string;
  /** Where a worker in this environment keeps its bytecode and model caches (config/cache-layout.ts). */
  caches: EnvironmentCaches;
}

/** A phase of the build, for progress rendering. */
export type InstallStep = 'build dependencies' | 'requirements' | 'override' | 'mlflow';

export type ProgressEvent =
  | { kind: 'resolving-python'; requested: string; elapsedMs: number }
  | { kind: 'python-found'; version: string; path: string; elapsedMs: number }
  | { kind: 'cache-hit'; envDir: string; elapsedMs: number }
  | { kind: 'waiting-for-lock'; envDir: string; elapsedMs: number }
  | { kind: 'creating'; manager: EnvManagerName; envDir: string; elapsedMs: number }
  | { kind: 'installing'; step: InstallStep; count: number; packages: string[]; elapsedMs: number }
  | { kind: 'output'; line: string; elapsedMs: number }
  | { kind: 'built'; envDir: string; elapsedMs: number }
  | { kind: 'warning'; message: string; elapsedMs: number };

/** A progress event as emitted, before the clock is read. */
export type ProgressEventInput = ProgressEvent extends infer E ? (E extends { elapsedMs: number } ? Omit<E, 'elapsedMs'> : never) : never;

/**
 * Checks an `--env-manager` value. The message is MLflow's (`_EnvManager.validate`), so a script
 * that swaps `mlflow` for `mlf` sees the same words.
 */
export function parseEnvManagerName(value: string): EnvManagerName {
  if ((ENV_MANAGER_NAMES as readonly string[]).includes(value)) return value as EnvManagerName;
  throw new MlfError('usage', 'INVALID_ENV_MANAGER', `Invalid value for \`env_manager\`: ${value}. Must be one of ['local', 'conda', 'virtualenv', 'uv']`);
}

export function parsePythonVersionStrategy(value: string): PythonVersionStrategy {
  if (value === 'exact' || value === 'minor' || value === 'major') return value;
  throw new MlfError('usage', 'INVALID_PYTHON_VERSION_STRATEGY', `Invalid value for \`--python-version-strategy\`: \`${value}\``, {
    hint: 'use `exact` (the default), `minor` (same X.Y) or `major` (same X)',
  });
}
