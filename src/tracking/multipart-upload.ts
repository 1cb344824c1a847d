/**
 * A large file through the artifact proxy's multipart upload, as MLflow 3's client sends it
 * (mlflow/store/artifact/mlflow_artifacts_repo.py `_should_multipart_upload`,
 * `_is_multipart_upload_enabled`; http_artifact_repo.py `_try_multipart_upload`,
 * `create/complete/abort_multipart_upload`, `_upload_part`):
 *
 * - used for a file of at least `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE` bytes when
 *   `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD` says so or, unset, when the server's
 *   `/api/3.0/mlflow/server-info` answers `multipart_uploads_enabled: true` (asked once, and only
 *   when a file is that large; no answer is "off");
 * - `POST <api>/mlflow-artifacts/mpu/create/<dir>` `{path, num_parts}` → an upload id and one
 *   presigned URL per part; each part (`MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE` bytes, the last one
 *   shorter) is PUT to its URL with the headers the server gave, its ETag kept; then
 *   `mpu/complete` with the parts in order. A part or the completion failing aborts the upload on
 *   the server (`mpu/abort`) and the error goes on;
 * - a server whose artifact store has no multipart upload answers `create` with MLflow's
 *   "Multipart upload is not supported" error: the caller then sends the file as one PUT.
 *
 * Departures: `path` is the file's name, not the absolute local path MLflow sends (the server
 * keeps only its base name; the local path is nobody's business); parts stream from the file
 * instead of being read into memory, at most `PART_CONCURRENCY` at once; a part is retried as
 * every tracking request is (MLflow's part PUT has no retry).
 */
import type { Readable } from 'node:stream';
import type { TrackingClient } from './client.js';
import type { MultipartUploadSettings } from './config.js';
import { isTrackingError, TrackingError } from './errors.js';

/** mlflow/exceptions.py `_UnsupportedMultipartUploadException.MESSAGE`: the server's answer starts with it. */
export const UNSUPPORTED_MULTIPART_MESSAGE = 'Multipart upload is not supported for the current artifact repository';
/** mlflow/utils/server_info.py `SERVER_INFO_ENDPOINT`, beside `/api/2.0`. */
const SERVER_INFO_PATH = '/api/3.0/mlflow/server-info';
/** What precedes the artifact path in a proxy URL (http_artifact_repo.py splits on it). */
const ARTIFACTS_ROUTE = '/mlflow-artifacts/artifacts';
const API_ROOT = '/api/2.0';
/** Parts of one file in flight at once (MLflow's pool: 2 per CPU, at most 20). */
export const PART_CONCURRENCY = 4;

/** A file's bytes, by range: the same bytes every time (a retry opens the range again). */
export interface UploadSource {
  name: string;
  size: number;
  /** Bytes `start` to `end`, both included. */
  open(start: number, end: number): Readable | AsyncIterable<Uint8Array>;
}

interface CreateAnswer {
  upload_id?: string;
  credentials?: { url: string; part_number: number | string; headers?: Record<string, string> }[];
}

interface UploadedPart {
  part_number: number;
  etag: string;
  url: string;
}

/**
 * Whether a file of `size` bytes goes up in parts: the size first, so that a model of small files
 * never asks the server. `dirUrl` is any proxy URL of the model's artifacts (its origin and path
 * prefix say where the server is).
 */
export function multipartPolicy(tracking: TrackingClient, settings: MultipartUploadSettings, artifactsUrl: string): (size: number) => Promise<boolean> {
  let offered: Promise<boolean> | undefined;
  return async (size) => {
    if (size < settings.minimumFileSize || size === 0) return false;
    if (settings.enabled !== undefined) return settings.enabled;
    offered ??= serverOffersMultipart(tracking, artifactsUrl);
    return offered;
  };
}

async function serverOffersMultipart(tracking: TrackingClient, artifactsUrl: string): Promise<boolean> {
  const base = artifactsUrl.split(`${API_ROOT}${ARTIFACTS_ROUTE}`)[0]!;
  try {
    const info = await tracking.getJson<{ multipart_uploads_enabled?: unknown }>(`${base}${SERVER_INFO_PATH}`);
    return info.multipart_uploads_enabled === true;
  } catch {
    // mlflow_artifacts_repo.py `_fetch_server_capabilities`: any failure is "not offered".
    return false;
  }
}

/**
 * Uploads `source` in parts into the proxy directory `dirUrl`
 * (`…/api/2.0/mlflow-artifacts/artifacts/<dir>`). `'unsupported'`: the server's store has no
 * multipart upload, nothing was sent; send the file whole.
 */
export async function uploadInParts(tracking: TrackingClient, dirUrl: string, source: UploadSource, chunkSize: number): Promise<'uploaded' | 'unsupported'> {
  const mpu = (action: 'create' | 'complete' | 'abort') => dirUrl.replace(ARTIFACTS_ROUTE, `/mlflow-artifacts/mpu/${action}`);
  const numParts = Math.ceil(source.size / chunkSize);
  let created: CreateAnswer;
  try {
    created = await tracking.postJson<CreateAnswer>(mpu('create'), { path: source.name, num_parts: numParts });
  } catch (error) {
    if (isTrackingError(error) && error.serverMessage?.startsWith(UNSUPPORTED_MULTIPART_MESSAGE)) return 'unsupported';
    throw error;
  }
  const uploadId = created.upload_id;
  const credentials = created.credentials ?? [];
  if (!uploadId || credentials.length !== numParts) {
    if (uploadId) await abort(tracking, mpu('abort'), source.name, uploadId);
    throw new TrackingError('server', `the tracking server answered a multipart upload of \`${source.name}\` in ${numParts} parts with ${credentials.length} part URLs${uploadId ? '' : ' and no upload id'}`);
  }
  try {
    const parts: UploadedPart[] = [];
    const queue = credentials.map((credential, index) => ({ credential, index }));
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined && !failure; next = queue.shift()) {
        const start = chunkSize * next.index;
        const end = Math.min(source.size, start + chunkSize) - 1;
        const { url, headers } = next.credential;
        let answer: Awaited<ReturnType<TrackingClient['putForHeaders']>>;
        try {
          answer = await tracking.putForHeaders(url, () => source.open(start, end), { contentLength: end - start + 1, headers: headers ?? {}, peer: 'the artifact store' });
        } catch (error) {
          // The other workers finish the part they are sending and stop: the abort comes after the last part.
          failure ??= { error };
          return;
        }
        const etag = answer.etag;
        parts.push({ part_number: Number(next.credential.part_number), etag: (Array.isArray(etag) ? etag[0] : etag) ?? '', url });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, worker));
    if (failure) throw failure.error;
    parts.sort((a, b) => a.part_number - b.part_number);
    await tracking.postJson(mpu('complete'), { path: source.name, upload_id: uploadId, parts });
  } catch (error) {
    await abort(tracking, mpu('abort'), source.name, uploadId);
    throw error;
  }
  return 'uploaded';
}

/** Best effort: the upload's own error is the one to report. */
async function abort(tracking: TrackingClient, url: string, name: string, uploadId: string): Promise<void> {
  await tracking.postJson(url, { path: name, upload_id: uploadId }).catch(() => undefined);
}
