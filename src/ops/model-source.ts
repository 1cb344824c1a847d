/**
 * The model argument of every command that reads a model (predict, serve, prepare-env, validate,
 * `envs path`, `models download`) → a local directory. A path or `file:` URI is located as always
 * (model/directory/locate.ts, still the only rule for those); a remote URI (`runs:/`, `models:/`,
 * `mlflow-artifacts:/`, proxy URLs, `s3://`) is fetched into the model cache by remote-model.ts,
 * and the readers read the cache's entry.
 */
import type { EnvRecord } from '../config/env-vars.js';
import { locateModel, type ModelLocation } from '../model/directory/locate.js';
import type { ModelDownloadEvent } from '../tracking/model-cache.js';
import { isRemoteModelUri, parseModelUri } from '../tracking/model-uri.js';

export type ModelSourceEvent =
  | ModelDownloadEvent
  | { kind: 'model-resolved'; modelUri: string; location: string; registered?: { name: string; version: string }; cached: boolean }
  | { kind: 'model-warning'; message: string };

/** What a command that reads a model passes for a remote URI (the CLI fills it). */
export interface ModelSourceOptions {
  /** `--offline`: no network; the URI's last resolution, from the cache. */
  offline?: boolean;
  /** The user's home (`~/.mlflow/credentials`); default the OS's. */
  home?: string;
  onModelEvent?: (event: ModelSourceEvent) => void;
}

export interface ModelSourceRequest extends ModelSourceOptions {
  cwd: string;
  env: EnvRecord;
  mlfHome?: string;
}

/** Where a remote model came from, for `--json` and messages. */
export interface RemoteModel {
  modelUri: string;
  location: string;
  registered?: { name: string; version: string };
  /** The logged model (`m-...`) the URI reached, when it went through one. */
  loggedModelId?: string;
  /** Whether this run downloaded it. */
  downloaded: boolean;
  /** Set when the server was not asked (offline) or could not be reached. */
  offline?: { reason: 'offline' | 'unreachable'; resolvedAt: string };
}

export interface ModelSource extends ModelLocation {
  remote?: RemoteModel;
}

export async function locateModelSource(modelUri: string, request: ModelSourceRequest): Promise<ModelSource> {
  if (!isRemoteModelUri(modelUri)) return locateModel(modelUri, request.cwd);
  const parsed = parseModelUri(modelUri);
  if (parsed.kind === 'local') return locateModel(modelUri, request.cwd);
  const { fetchRemoteModel } = await import('./remote-model.js');
  return fetchRemoteModel(modelUri, parsed, request);
}
