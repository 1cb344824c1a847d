/**
 * `mlf models log`: validate a model directory (the validate rules; errors stop it unless told
 * not to), then put it into the tracking server as MLflow 3's `log_model` does
 * (tracking/log-model.ts), and optionally register it and set an alias.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { MlfError, usageError } from '../errors.js';
import { ENV, type EnvRecord } from '../config/env-vars.js';
import { locateModel } from '../model/directory/locate.js';
import { readModelDirectory } from '../model/directory/strict.js';
import { refuseSpecialFilesSync } from '../fs/special-files.js';
import { createTrackingClient } from '../tracking/client.js';
import { readTrackingConfig } from '../tracking/config.js';
import { isUploadedPath, logModelToServer, toPosix, type LogModelResult, type LogProgress, type ModelFileEntry } from '../tracking/log-model.js';
import type { Diagnostic } from '../validate/diagnostic.js';
import { validateOne } from './validate.js';

export interface LogOptions {
  model: string;
  cwd: string;
  env: EnvRecord;
  /** The user's home directory (for `~/.mlflow/credentials`). */
  home: string;
  /** `mlflow.user`, as MLflow's `getpass.getuser()`. */
  user: string;
  experimentName?: string;
  experimentId?: string;
  runId?: string;
  name?: string;
  registeredModelName?: string;
  alias?: string;
  /** `--tag K=V`: on the logged model and the model version. */
  tags?: Readonly<Record<string, string>>;
  validate?: boolean;
  onProgress?: (event: LogProgress) => void;
}

export interface LogResult extends LogModelResult {
  modelDir: string;
  trackingUri: string;
  /** The validate findings (warnings, and errors when `validate` was off). */
  diagnostics: Diagnostic[];
}

/** The flags, else MLflow's variables (`_get_experiment_id_from_env`); none for `--run-id`. */
function experimentOf(options: LogOptions): { experimentId?: string; experimentName?: string; experimentFromEnv?: boolean } {
  if (options.runId !== undefined) return {};
  if (options.experimentId !== undefined || options.experimentName !== undefined) return { experimentId: options.experimentId, experimentName: options.experimentName };
  const experimentName = options.env[ENV.MLFLOW_EXPERIMENT_NAME] || undefined;
  const experimentId = options.env[ENV.MLFLOW_EXPERIMENT_ID] || undefined;
  return experimentName === undefined && experimentId === undefined ? {} : { experimentName, experimentId, experimentFromEnv: true };
}

/** The run's name for the model when none is given, as `log_model(name=...)` is usually called. */
export const DEFAULT_MODEL_NAME = 'model';

export async function logModel(options: LogOptions): Promise<LogResult> {
  checkFlags(options);
  const tags = options.tags ?? {};
  // The model first: a wrong path or a broken model is the user's to fix before any server matters.
  const location = locateModel(options.model, options.cwd);
  // A missing directory or MLmodel is an input error (exit 2), not a validation finding (exit 1).
  const directory = await readModelDirectory(location);
  const report = await validateOne(options.model, { models: [options.model], cwd: options.cwd });
  const errors = report.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 && options.validate !== false) {
    const first = errors[0]!;
    throw new MlfError('check', 'MODEL_INVALID', `${location.shown} has ${errors.length} validation error${errors.length === 1 ? '' : 's'}; nothing was logged. First: ${first.code} ${first.file}: ${first.message}`, {
      hint: 'run `mlf models validate` on it for all of them, or pass --no-validate to log it anyway',
    });
  }
  refuseSpecialFilesSync(directory.dir, location.shown);
  const files = listModelFiles(directory.dir);
  const config = readTrackingConfig(options.env, options.home);
  const tracking = createTrackingClient(config);
  const registry = createTrackingClient(config, { server: 'registry' });
  try {
    const result = await logModelToServer({
      tracking,
      registry,
      mlmodelText: directory.mlmodelText,
      files,
      ...experimentOf(options),
      runId: options.runId,
      name: options.name ?? DEFAULT_MODEL_NAME,
      registeredModelName: options.registeredModelName,
      alias: options.alias,
      tags,
      context: { user: options.user, sourceName: 'mlf' },
      onProgress: options.onProgress,
      multipart: config.multipartUpload,
    });
    return { ...result, modelDir: directory.dir, trackingUri: tracking.baseUrl, diagnostics: report.diagnostics };
  } finally {
    await Promise.all([tracking.close(), registry.close()]);
  }
}

function checkFlags(options: LogOptions): void {
  if (options.experimentName !== undefined && options.experimentId !== undefined) {
    throw usageError('EXPERIMENT_FLAGS_EXCLUSIVE', '`--experiment-name` and `--experiment-id` name the experiment twice: give one');
  }
  if (options.runId !== undefined && (options.experimentName !== undefined || options.experimentId !== undefined)) {
    throw usageError('RUN_AND_EXPERIMENT', '`--run-id` logs into that run\'s experiment: drop `--experiment-name`/`--experiment-id`');
  }
  if (options.alias !== undefined && options.registeredModelName === undefined) {
    throw usageError('ALIAS_WITHOUT_REGISTERED_MODEL', '`--alias` names a version of a registered model: add `--registered-model-name`');
  }
  if (options.name !== undefined && (options.name === '' || options.name.includes('/'))) {
    throw usageError('INVALID_MODEL_NAME', `\`--name ${options.name}\` must be a non-empty name without '/'`);
  }
  if (options.alias !== undefined && (/^v\d+$/i.test(options.alias) || options.alias.toLowerCase() === 'latest' || options.alias === '')) {
    // mlflow/utils/validation.py `_validate_model_alias_name`: `latest` and `v<digits>` are reserved.
    throw usageError('INVALID_ALIAS', `\`--alias ${options.alias}\` is reserved by MLflow ('latest' and v<number> name versions)`);
  }
}

function listModelFiles(dir: string): ModelFileEntry[] {
  const files: ModelFileEntry[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = toPosix(path.relative(dir, absolute));
    if (!isUploadedPath(relative)) continue;
    // A symlink is uploaded as the file it points at, as Python's os.walk + open do.
    const stats = statSync(absolute);
    if (stats.isFile()) files.push({ relative, absolute, size: stats.size });
  }
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}
