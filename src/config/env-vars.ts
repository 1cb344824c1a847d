/**
 * Every environment variable mlf reads, in one place (style.md, practice 10). Core modules
 * take an `env` record in their options and read it through these names, never process.env.
 */
export const ENV = {
  /** Root of mlf's caches (environments, uv bootstrap). Default: the user cache dir. */
  MLF_HOME: 'MLF_HOME',
  /** `0` or `false`: never start a predict's worker before the CLI loads (cli/early-start.ts). */
  MLF_EARLY_START: 'MLF_EARLY_START',
  /** Disable colour (https://no-color.org). */
  NO_COLOR: 'NO_COLOR',
  /** Where conda lives, and which command creates envs (honoured as MLflow does). */
  MLFLOW_CONDA_HOME: 'MLFLOW_CONDA_HOME',
  MLFLOW_CONDA_CREATE_ENV_CMD: 'MLFLOW_CONDA_CREATE_ENV_CMD',
  /** Makes MLflow's signature errors generic; the worker honours it too. */
  MLFLOW_DISABLE_SCHEMA_DETAILS: 'MLFLOW_DISABLE_SCHEMA_DETAILS',
  /** Dev install path of MLflow used by --install-mlflow, as in MLflow. */
  MLFLOW_HOME: 'MLFLOW_HOME',
  /** Timeout for requirement inference capture (seconds, default 120). */
  MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT: 'MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT',
  /** Constraints applied when locking, as MLflow does when no -c lines exist. */
  PIP_CONSTRAINT: 'PIP_CONSTRAINT',
} as const;

export type EnvRecord = Readonly<Record<string, string | undefined>>;

/** MLflow's boolean parsing: true/false/1/0, case-insensitive. */
export function readBooleanEnv(env: EnvRecord, name: string, fallback = false): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const lowered = raw.trim().toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  return fallback;
}

/** An environment record as a child process takes it: the variables that are set. */
export function definedVariables(env: EnvRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
