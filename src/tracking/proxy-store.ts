/**
 * A model's files behind a tracking server's artifact proxy, read as
 * mlflow/store/artifact/http_artifact_repo.py reads them: `GET <api>/mlflow-artifacts/artifacts?path=<dir>`
 * lists one directory (basenames; `file_size` absent for directories and empty files), directories
 * are walked, and `GET <api>/mlflow-artifacts/artifacts/<path>` streams one file.
 */
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inputError, isMlfError } from '../errors.js';
import type { ArtifactStore, ListedArtifact } from './artifact-store.js';
import { describeLocation } from './artifact-location.js';
import { PROXY_ARTIFACTS_PATH } from './model-uri.js';
import { networkError } from './network-error.js';

/** What the store needs of the tracking client (tracking/client.ts): absolute URLs are allowed. */
export interface ProxyRest {
  getJson<T = unknown>(url: string, query?: Record<string, string>): Promise<T>;
  getStream(url: string): Promise<{ body: Readable | AsyncIterable<Uint8Array> }>;
}

interface ListAnswer {
  files?: { path: string; is_dir?: boolean; file_size?: number | string }[];
}

export function createProxyStore(location: { apiBase: string; root: string }, rest: ProxyRest): ArtifactStore {
  const shown = describeLocation({ kind: 'proxy', ...location });
  const listUrl = `${location.apiBase}${PROXY_ARTIFACTS_PATH}`;
  const fileUrl = (relative: string) =>
    `${listUrl}/${[location.root, relative].filter((p) => p !== '').join('/').split('/').map(encodeURIComponent).join('/')}`;

  const listDir = async (relative: string): Promise<ListedArtifact[]> => {
    const dir = [location.root, relative].filter((p) => p !== '').join('/');
    const answer = await rest.getJson<ListAnswer>(listUrl, { path: dir });
    const entries = answer.files ?? [];
    // A path that names one file lists that file: as MLflow, that is no directory to read.
    if (entries.length === 1 && !entries[0]!.is_dir && relative === '' && location.root.split('/').at(-1) === entries[0]!.path) return [];
    const nested = await Promise.all(
      entries.map(async (entry) => {
        if (entry.path.includes('/') || entry.path === '..' || entry.path === '.' || entry.path === '') {
          throw inputError('MODEL_ARTIFACT_PATH_UNSAFE', `the listing of \`${shown}\` names the file \`${entry.path}\`, which is not a plain name`);
        }
        const child = relative === '' ? entry.path : `${relative}/${entry.path}`;
        if (entry.is_dir) return listDir(child);
        return [{ path: child, size: entry.file_size === undefined ? 0 : Number(entry.file_size) }];
      }),
    );
    return nested.flat();
  };

  return {
    location: shown,
    async list() {
      const files = await listDir('');
      return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async download(file, destination, onBytes) {
      try {
        const response = await rest.getStream(fileUrl(file.path));
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            onBytes(chunk.length);
            done(null, chunk);
          },
        });
        await pipeline(response.body, counter, createWriteStream(destination));
      } catch (error) {
        if (isMlfError(error)) throw error;
        // The answer began and then stopped (the server went away midway).
        throw networkError('MODEL_DOWNLOAD_FAILED', `the download of \`${file.path}\` from \`${shown}\` stopped midway: ${(error as Error).message ?? String(error)}`, {
          hint: 'run the command again; nothing of this download was kept',
        });
      }
    },
  };
}
