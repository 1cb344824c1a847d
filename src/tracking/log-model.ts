/**
 * Puts a model directory into a tracking server with the REST calls MLflow 3's `Model.log`
 * makes (mlflow/models/model.py `Model.log`, mlflow/tracking/fluent.py `_create_logged_model` and
 * `_use_logged_model`, mlflow/tracking/_model_registry/fluent.py `_register_model`), in its order:
 *
 *   runs/create (unless a run is given; the server names it) → logged-models (PENDING, the run's
 *   params, the context tags and the user's) → runs/outputs (the model as the run's output, step 0)
 *   → the files through the artifact proxy, MLmodel rewritten as `Model.log` writes it
 *   (`artifact_path`, `model_id`, `model_uuid`, `run_id`, `utc_time_created`) → logged-models PATCH
 *   READY → with a registered model name: registered-models/create (an existing one is fine),
 *   model-versions/create from `models:/<model_id>`, waiting for READY, and the logged model's
 *   `mlflow.modelVersions` tag → the alias → runs/update FINISHED for a run it created.
 *
 * On a failure after the logged model exists it is finalized FAILED and a run it created is
 * ended FAILED (as `_use_logged_model` and `start_run`'s context do), then the error goes on.
 * No module state; it prints nothing (progress goes to `onProgress`).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import path from 'node:path';
import { parseMlmodel, serializeMlmodel, formatUtcTimeCreated } from '../model/mlmodel.js';
import { pythonJsonDumps } from '../model/input-example.js';
import { inputError, usageError } from '../errors.js';
import type { TrackingClient } from './client.js';
import { isTrackingError, TrackingError } from './errors.js';
import { proxyArtifactUrl } from './artifact-proxy.js';
import { TRACKING_DEFAULTS, type MultipartUploadSettings } from './config.js';
import { multipartPolicy, uploadInParts, type UploadSource } from './multipart-upload.js';

const API = '/api/2.0/mlflow';
/** mlflow/utils/mlflow_tags.py `MLFLOW_MODEL_VERSIONS`. */
const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';
/** Files uploaded at once (MLflow's thread pool is larger; these are a model's few files). */
const UPLOAD_CONCURRENCY = 4;
/** `DEFAULT_AWAIT_MAX_SLEEP_SECONDS`, and the poll interval of `_await_model_version_creation`. */
const AWAIT_REGISTRATION_MS = 300_000;
const AWAIT_POLL_MS = 1_000;

export interface ModelFileEntry {
  /** Relative to the model directory, `/`-separated. */
  relative: string;
  absolute: string;
  size: number;
}

export interface LogModelRequest {
  tracking: TrackingClient;
  registry: TrackingClient;
  mlmodelText: string;
  files: readonly ModelFileEntry[];
  /** Exactly one of these, or neither (experiment `0`, as MLflow's default). */
  experimentId?: string;
  experimentName?: string;
  /** The two came from MLFLOW_EXPERIMENT_NAME/_ID: both may be set, and must then agree. */
  experimentFromEnv?: boolean;
  runId?: string;
  name: string;
  registeredModelName?: string;
  alias?: string;
  tags: Readonly<Record<string, string>>;
  /** MLflow's context tags: `mlflow.user`, `mlflow.source.name`, `mlflow.source.type`. */
  context: { user: string; sourceName: string };
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (event: LogProgress) => void;
  /** Multipart uploads of large files (tracking/multipart-upload.ts); MLflow's defaults when absent. */
  multipart?: MultipartUploadSettings;
}

export type LogProgress =
  | { stage: 'run'; runId: string; created: boolean }
  | { stage: 'logged-model'; modelId: string }
  | { stage: 'upload'; file: string; bytes: number; done: number; total: number; parts?: number }
  | { stage: 'registered'; name: string; version: string };

export interface LogModelResult {
  experimentId: string;
  runId: string;
  runCreated: boolean;
  modelId: string;
  artifactUri: string;
  uploadedFiles: number;
  uploadedBytes: number;
  registered?: { name: string; version: string; alias?: string };
  uris: { model: string; run: string; version?: string; alias?: string };
}

interface RunInfo {
  run_id: string;
  experiment_id: string;
}

interface LoggedModelInfo {
  model_id: string;
  artifact_uri: string;
  tags?: { key: string; value: string }[];
}

export async function logModelToServer(request: LogModelRequest): Promise<LogModelResult> {
  const { tracking, registry } = request;
  const now = request.now ?? (() => new Date());
  const progress = request.onProgress ?? (() => undefined);
  const contextTags = {
    'mlflow.user': request.context.user,
    'mlflow.source.name': request.context.sourceName,
    'mlflow.source.type': 'LOCAL',
  };

  let run: RunInfo;
  let runParams: Record<string, string> = {};
  let runCreated = false;
  if (request.runId !== undefined) {
    const existing = await getRun(tracking, request.runId);
    run = existing.info;
    runParams = existing.params;
  } else {
    const experimentId = await resolveExperiment(tracking, request);
    const created = await tracking.postJson<{ run: { info: RunInfo } }>(`${API}/runs/create`, {
      experiment_id: experimentId,
      user_id: request.context.user,
      start_time: now().getTime(),
      tags: keyValues(contextTags),
    });
    run = created.run.info;
    runCreated = true;
  }
  progress({ stage: 'run', runId: run.run_id, created: runCreated });

  let model: LoggedModelInfo | undefined;
  try {
    const createdModel = await tracking.postJson<{ model: { info: LoggedModelInfo } }>(`${API}/logged-models`, {
      experiment_id: run.experiment_id,
      name: request.name,
      source_run_id: run.run_id,
      params: keyValues(runParams),
      tags: keyValues({ ...contextTags, ...request.tags }),
    });
    model = createdModel.model.info;
    progress({ stage: 'logged-model', modelId: model.model_id });
    await tracking.postJson(`${API}/runs/outputs`, { run_id: run.run_id, models: [{ model_id: model.model_id, step: 0 }] });

    const mlmodel = loggedMlmodel(request.mlmodelText, { artifactUri: model.artifact_uri, modelId: model.model_id, runId: run.run_id, created: now() });
    const uploaded = await uploadFiles(tracking, model.artifact_uri, request.files, mlmodel, request.multipart, progress);
    await tracking.patchJson(`${API}/logged-models/${model.model_id}`, { model_id: model.model_id, status: 'LOGGED_MODEL_READY' });

    let registered: LogModelResult['registered'];
    if (request.registeredModelName !== undefined) {
      const name = request.registeredModelName;
      const version = await registerVersion(registry, tracking, { name, modelId: model.model_id, tags: request.tags, sleep: request.sleep });
      progress({ stage: 'registered', name, version });
      registered = { name, version };
      if (request.alias !== undefined) {
        await registry.postJson(`${API}/registered-models/alias`, { name, alias: request.alias, version });
        registered.alias = request.alias;
      }
    }
    if (runCreated) await endRun(tracking, run.run_id, 'FINISHED', now());
    return {
      experimentId: run.experiment_id,
      runId: run.run_id,
      runCreated,
      modelId: model.model_id,
      artifactUri: model.artifact_uri,
      uploadedFiles: uploaded.files,
      uploadedBytes: uploaded.bytes,
      registered,
      uris: {
        model: `models:/${model.model_id}`,
        run: `runs:/${run.run_id}/${request.name}`,
        ...(registered ? { version: `models:/${registered.name}/${registered.version}` } : {}),
        ...(registered?.alias ? { alias: `models:/${registered.name}@${registered.alias}` } : {}),
      },
    };
  } catch (error) {
    // Best effort: the server keeps what MLflow would leave after a failed log_model.
    if (model) await tracking.patchJson(`${API}/logged-models/${model.model_id}`, { model_id: model.model_id, status: 'LOGGED_MODEL_UPLOAD_FAILED' }).catch(() => undefined);
    if (runCreated) await endRun(tracking, run.run_id, 'FAILED', now()).catch(() => undefined);
    throw error;
  }
}

function keyValues(record: Readonly<Record<string, string>>): { key: string; value: string }[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

async function getRun(tracking: TrackingClient, runId: string): Promise<{ info: RunInfo; params: Record<string, string> }> {
  try {
    const answer = await tracking.getJson<{ run: { info: RunInfo; data?: { params?: { key: string; value: string }[] } } }>(`${API}/runs/get`, { run_id: runId });
    const params = Object.fromEntries((answer.run.data?.params ?? []).map(({ key, value }) => [key, value]));
    return { info: answer.run.info, params };
  } catch (error) {
    if (isTrackingError(error, 'not-found')) throw inputError('RUN_NOT_FOUND', `no run ${runId} on the tracking server (--run-id)`, { cause: error });
    throw error;
  }
}

/** `mlflow.set_experiment(name)`: the experiment of that name, created when there is none. */
async function resolveExperiment(tracking: TrackingClient, request: LogModelRequest): Promise<string> {
  if (request.experimentName !== undefined) {
    const id = await experimentByName(tracking, request.experimentName);
    if (request.experimentId !== undefined && request.experimentId !== id) {
      throw usageError('EXPERIMENT_MISMATCH', `MLFLOW_EXPERIMENT_ID (${request.experimentId}) is not the id of MLFLOW_EXPERIMENT_NAME's experiment '${request.experimentName}' (${id})`);
    }
    return id;
  }
  if (request.experimentId !== undefined) {
    const flag = request.experimentFromEnv ? 'MLFLOW_EXPERIMENT_ID' : '--experiment-id';
    try {
      await tracking.getJson(`${API}/experiments/get`, { experiment_id: request.experimentId });
    } catch (error) {
      if (isTrackingError(error, 'not-found')) throw inputError('EXPERIMENT_NOT_FOUND', `no experiment with id ${request.experimentId} on the tracking server (${flag})`, { cause: error });
      throw error;
    }
    return request.experimentId;
  }
  return '0';
}

async function experimentByName(tracking: TrackingClient, name: string): Promise<string> {
  try {
    const found = await tracking.getJson<{ experiment: { experiment_id: string } }>(`${API}/experiments/get-by-name`, { experiment_name: name });
    return found.experiment.experiment_id;
  } catch (error) {
    if (!isTrackingError(error, 'not-found')) throw error;
  }
  const created = await tracking.postJson<{ experiment_id: string }>(`${API}/experiments/create`, { name });
  return created.experiment_id;
}

/** MLmodel as `Model.log` writes it into the logged model's artifacts. */
export function loggedMlmodel(text: string, ids: { artifactUri: string; modelId: string; runId: string; created: Date }): string {
  const { document } = parseMlmodel(text);
  return serializeMlmodel({
    ...document,
    artifact_path: ids.artifactUri,
    model_id: ids.modelId,
    model_uuid: ids.modelId,
    run_id: ids.runId,
    utc_time_created: formatUtcTimeCreated(ids.created),
  });
}

async function uploadFiles(
  tracking: TrackingClient,
  artifactUri: string,
  files: readonly ModelFileEntry[],
  mlmodel: string,
  multipart: MultipartUploadSettings = DEFAULT_MULTIPART,
  progress: (event: LogProgress) => void,
): Promise<{ files: number; bytes: number }> {
  let done = 0;
  let bytes = 0;
  const queue = [...files];
  const inParts = multipartPolicy(tracking, multipart, proxyArtifactUrl(artifactUri, tracking.baseUrl));
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const source = sourceOf(file, file.relative === 'MLmodel' ? Buffer.from(mlmodel) : undefined);
      let parts: number | undefined;
      if (await inParts(source.size)) {
        const dir = file.relative.includes('/') ? file.relative.slice(0, file.relative.lastIndexOf('/')) : '';
        const sent = await uploadInParts(tracking, proxyArtifactUrl(artifactUri, tracking.baseUrl, dir), source, multipart.chunkSize);
        if (sent === 'uploaded') parts = Math.ceil(source.size / multipart.chunkSize);
      }
      // MLflow's fallback too: a store without multipart upload takes the file in one PUT.
      if (parts === undefined) await tracking.putStream(proxyArtifactUrl(artifactUri, tracking.baseUrl, file.relative), () => source.open(0, source.size - 1), { contentLength: source.size });
      done += 1;
      bytes += source.size;
      progress({ stage: 'upload', file: file.relative, bytes, done, total: files.length, ...(parts === undefined ? {} : { parts }) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, files.length) }, worker));
  return { files: done, bytes };
}

const DEFAULT_MULTIPART: MultipartUploadSettings = {
  enabled: undefined,
  minimumFileSize: TRACKING_DEFAULTS.multipartUploadMinimumFileSize,
  chunkSize: TRACKING_DEFAULTS.multipartUploadChunkSize,
};

/** A model file's bytes by range: from disk, or the rewritten MLmodel from memory. */
function sourceOf(file: ModelFileEntry, inMemory: Buffer | undefined): UploadSource {
  const name = file.relative.split('/').at(-1)!;
  if (inMemory) return { name, size: inMemory.length, open: (start, end) => Readable.from([inMemory.subarray(start, end + 1)]) };
  // An empty range is no range for createReadStream (end before start reads one byte).
  return { name, size: file.size, open: (start, end) => (end < start ? Readable.from([]) : createReadStream(file.absolute, { start, end })) };
}

interface RegisterRequest {
  name: string;
  modelId: string;
  tags: Readonly<Record<string, string>>;
  sleep?: (ms: number) => Promise<void>;
}

async function registerVersion(registry: TrackingClient, tracking: TrackingClient, request: RegisterRequest): Promise<string> {
  try {
    await registry.postJson(`${API}/registered-models/create`, { name: request.name });
  } catch (error) {
    if (!(isTrackingError(error) && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.errorCode === 'ALREADY_EXISTS'))) throw error;
  }
  const tags = keyValues(request.tags);
  const created = await registry.postJson<{ model_version: { version: string; status?: string } }>(`${API}/model-versions/create`, {
    name: request.name,
    source: `models:/${request.modelId}`,
    model_id: request.modelId,
    ...(tags.length > 0 ? { tags } : {}),
  });
  const version = String(created.model_version.version);
  await awaitReady(registry, request.name, version, created.model_version.status, request.sleep);

  // _register_model: the logged model lists the versions made from it, appended as it reads them.
  const current = await tracking.getJson<{ model: { info: LoggedModelInfo } }>(`${API}/logged-models/${request.modelId}`);
  const existing = current.model.info.tags?.find((tag) => tag.key === MODEL_VERSIONS_TAG)?.value;
  const list: unknown[] = existing ? (JSON.parse(existing) as unknown[]) : [];
  list.push({ name: request.name, version });
  await tracking.patchJson(`${API}/logged-models/${request.modelId}/tags`, { model_id: request.modelId, tags: [{ key: MODEL_VERSIONS_TAG, value: pythonJsonDumps(list) }] });
  return version;
}

/** `_await_model_version_creation`: a registry that copies files answers PENDING_REGISTRATION first. */
async function awaitReady(registry: TrackingClient, name: string, version: string, status: string | undefined, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<void> {
  const deadline = Date.now() + AWAIT_REGISTRATION_MS;
  let current = status;
  while (current === 'PENDING_REGISTRATION') {
    if (Date.now() > deadline) throw new TrackingError('server', `model version ${name}/${version} was still pending registration after ${AWAIT_REGISTRATION_MS / 1000} s`);
    await sleep(AWAIT_POLL_MS);
    const answer = await registry.getJson<{ model_version: { status?: string; status_message?: string } }>(`${API}/model-versions/get`, { name, version });
    current = answer.model_version.status;
    if (current === 'FAILED_REGISTRATION') throw new TrackingError('server', `the registry failed to register ${name}/${version}: ${answer.model_version.status_message ?? 'no reason given'}`);
  }
}

async function endRun(tracking: TrackingClient, runId: string, status: 'FINISHED' | 'FAILED', at: Date): Promise<void> {
  await tracking.postJson(`${API}/runs/update`, { run_id: runId, run_uuid: runId, status, end_time: at.getTime() });
}

/** Files of a model directory as `Model.log` uploads them: every regular file, `__pycache__` and mlf's own lock and journal left out. */
export function isUploadedPath(relative: string): boolean {
  const parts = relative.split('/');
  return !parts.includes('__pycache__') && !parts.some((part) => part.startsWith('.mlf-'));
}

export function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}
