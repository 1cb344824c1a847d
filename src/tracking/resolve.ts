/**
 * A remote model URI → where its files are, with the REST calls MLflow's client makes
 * (serving-facts.md §4.2): mlflow/store/artifact/models_artifact_repo.py (`_get_model_uri_infos`:
 * get-download-uri, the logged model's artifact location), utils/models.py (alias, latest and
 * stage lookups) and runs_artifact_repo.py (the run's artifact URI, and MLflow 3's fallback to
 * the logged model a run logged under that name when the run's own path is empty).
 */
import { inputError } from '../errors.js';
import { artifactLocationOf, type ArtifactLocation } from './artifact-location.js';
import type { ListedArtifact } from './artifact-store.js';
import type { ModelUri } from './model-uri.js';

/** The calls resolution makes (tracking/client.ts's client has them). */
export interface RestJson {
  getJson<T = unknown>(path: string, query?: Record<string, string>): Promise<T>;
  postJson<T = unknown>(path: string, body: unknown): Promise<T>;
}

export interface ResolveContext {
  /** The tracking server's client; created only when a URI needs it. */
  tracking: () => RestJson;
  /** The model registry's (MLFLOW_REGISTRY_URI, else the tracking server). */
  registry: () => RestJson;
  trackingUri: string | undefined;
  /** Lists a location (for `runs:/`, whose own path may be empty in MLflow 3). */
  list: (location: ArtifactLocation) => Promise<ListedArtifact[]>;
}

export interface ResolvedModel {
  location: ArtifactLocation;
  /** The registered model and version a `models:/<name>/...` URI resolved to. */
  registered?: { name: string; version: string };
  /** The logged model a `runs:/` URI fell back to, or a `models:/m-...` URI named. */
  loggedModelId?: string;
  /** The location's listing when resolution already read it. */
  listing?: ListedArtifact[];
  /**
   * `runs:/<id>/<name>` of a run that has files at `<name>` and logged a model named `<name>`:
   * that model's files, which MLflow downloads over the run's (tracking/merged-store.ts).
   */
  overlay?: ArtifactLocation;
  /** Said to the user (a stage URI is deprecated in MLflow). */
  warnings: string[];
}

const API = '/api/2.0/mlflow';

interface ModelVersion {
  name: string;
  version: string;
}

interface LoggedModelInfo {
  model_id: string;
  name?: string;
  source_run_id?: string;
  artifact_uri: string;
}

export async function resolveModelUri(uri: Exclude<ModelUri, { kind: 'local' }>, context: ResolveContext): Promise<ResolvedModel> {
  switch (uri.kind) {
    case 'mlflow-artifacts':
    case 'http':
      return { location: artifactLocationOf(uri.kind === 'http' ? uri.url : uri.uri, '', context.trackingUri), warnings: [] };
    case 's3':
      return { location: { kind: 's3', bucket: uri.bucket, prefix: uri.key }, warnings: [] };
    case 'logged-model': {
      const info = await loggedModel(context.tracking(), uri.modelId);
      return { location: artifactLocationOf(info.artifact_uri, uri.subPath, context.trackingUri), loggedModelId: info.model_id, warnings: [] };
    }
    case 'registered': {
      const registry = context.registry();
      const warnings: string[] = [];
      let version: string;
      switch (uri.selector.kind) {
        case 'version':
          version = uri.selector.version;
          break;
        case 'alias': {
          const answer = await registry.getJson<{ model_version?: ModelVersion }>(`${API}/registered-models/alias`, { name: uri.name, alias: uri.selector.alias });
          if (!answer.model_version) throw inputError('MODEL_ALIAS_NOT_FOUND', `registered model \`${uri.name}\` has no alias \`${uri.selector.alias}\``);
          version = answer.model_version.version;
          break;
        }
        case 'latest':
        case 'stage': {
          const stage = uri.selector.kind === 'stage' ? uri.selector.stage : undefined;
          if (stage !== undefined) {
            warnings.push(`\`models:/${uri.name}/${stage}\` names a stage: model registry stages are deprecated in MLflow (since 2.9.0) and will be removed; use an alias (\`models:/${uri.name}@<alias>\`)`);
          }
          const answer = await registry.postJson<{ model_versions?: ModelVersion[] }>(`${API}/registered-models/get-latest-versions`, { name: uri.name, ...(stage ? { stages: [stage] } : {}) });
          const versions = (answer.model_versions ?? []).map((v) => Number(v.version)).filter(Number.isFinite);
          if (versions.length === 0) {
            throw inputError('MODEL_VERSION_NOT_FOUND', `No versions of model with name '${uri.name}'${stage ? ` and stage '${stage}'` : ''} found`);
          }
          version = String(Math.max(...versions));
          break;
        }
      }
      const download = await registry.getJson<{ artifact_uri: string }>(`${API}/model-versions/get-download-uri`, { name: uri.name, version });
      return { location: artifactLocationOf(download.artifact_uri, uri.subPath, context.trackingUri), registered: { name: uri.name, version }, warnings };
    }
    case 'run':
      return resolveRun(uri, context);
  }
}

async function loggedModel(rest: RestJson, modelId: string): Promise<LoggedModelInfo> {
  const answer = await rest.getJson<{ model?: { info?: LoggedModelInfo } }>(`${API}/logged-models/${encodeURIComponent(modelId)}`);
  if (!answer.model?.info) throw inputError('LOGGED_MODEL_NOT_FOUND', `logged model \`${modelId}\` not found`);
  return answer.model.info;
}

/**
 * runs_artifact_repo.py `download_artifacts` as `load_model` calls it (with the URI's last segment
 * as the path): the run's files at the path, and the files of the model the run logged under the
 * path's first segment (MLflow 3 writes a model's files under its logged model, not the run).
 * For `runs:/<id>/<name>` both land in one directory, the model's over the run's on a clash; for
 * a longer path they land in two, and MLflow returns the run's when it has any, else the model's.
 */
async function resolveRun(uri: { runId: string; path: string }, context: ResolveContext): Promise<ResolvedModel> {
  const tracking = context.tracking();
  const answer = await tracking.getJson<{ run?: { info?: { artifact_uri: string; experiment_id: string } } }>(`${API}/runs/get`, { run_id: uri.runId });
  const info = answer.run?.info;
  if (!info) throw inputError('RUN_NOT_FOUND', `run \`${uri.runId}\` not found`);
  const location = artifactLocationOf(info.artifact_uri, uri.path, context.trackingUri);
  const listing = await context.list(location);
  const [name, ...rest] = uri.path.split('/');
  const merges = rest.length === 0;
  if (uri.path === '' || (listing.length > 0 && !merges)) return { location, listing, warnings: [] };
  const matched = await findLoggedModel(tracking, info.experiment_id, name!, uri.runId);
  if (!matched) return { location, listing, warnings: [] };
  const modelLocation = artifactLocationOf(matched.artifact_uri, rest.join('/'), context.trackingUri);
  if (listing.length === 0) return { location: modelLocation, loggedModelId: matched.model_id, warnings: [] };
  // Both have files. A directory on this machine is read in place, so it cannot be layered: the run's, as before.
  if (location.kind === 'local' || modelLocation.kind === 'local') return { location, listing, warnings: [] };
  return { location, listing, overlay: modelLocation, loggedModelId: matched.model_id, warnings: [] };
}

async function findLoggedModel(rest: RestJson, experimentId: string, name: string, runId: string): Promise<LoggedModelInfo | undefined> {
  let pageToken: string | undefined;
  // Bounded: a server that keeps answering with a page token does not keep mlf here.
  for (let page = 0; page < 100; page += 1) {
    const answer = await rest.postJson<{ models?: { info?: LoggedModelInfo }[]; next_page_token?: string }>(`${API}/logged-models/search`, {
      experiment_ids: [experimentId],
      filter: `name = '${name.replace(/'/g, "\\'")}'`,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    const found = (answer.models ?? []).map((m) => m.info).find((m) => m?.source_run_id === runId);
    if (found) return found;
    pageToken = answer.next_page_token;
    if (!pageToken) return undefined;
  }
  return undefined;
}
