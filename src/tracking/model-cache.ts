/**
 * The model cache: models fetched from a tracking server or S3, under `$MLF_HOME/models-v1/`.
 *
 * An entry is content-addressed: its name is a digest of the resolved location and the
 * listing (each file's path, size and checksum when the store gives one), so that a model whose
 * files changed is a new entry and the same files reached through two URIs are one. An entry is
 * downloaded into `.partial-<key>-*`, verified (every listed file there with its size) and renamed
 * into place, so an entry that exists is complete; all of that under the entry's lock
 * (env/lock.ts), so concurrent commands download once, and a partial directory left by a killed
 * download is removed by the next holder of the lock, which downloads again.
 *
 * Beside the entries (all small JSON files, written whole by rename):
 * - `<key>.json`: what the entry holds (location, files, bytes) and, by its mtime, when it was last used;
 * - `locations/<digest>.json`: the entry last fetched for a location, so that a warm command
 *   that resolves to the same location uses it without listing again (a location's files are
 *   not rewritten in MLflow: a logged model's and a model version's artifacts are written once);
 * - `resolved/<digest>.json`: what a model URI resolved to last, per tracking server, for `--offline`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';
import { inputError } from '../errors.js';
import { ensureBucket } from '../env/home.js';
import { processesUsing } from '../env/in-use.js';
import { acquireEntryLock, isEntryLocked, withEntryLock } from '../env/lock.js';
import { removeTree } from '../env/remove-tree.js';
import type { ArtifactStore, ListedArtifact } from './artifact-store.js';

export type ModelDownloadEvent =
  | { kind: 'model-waiting'; location: string }
  | { kind: 'model-download-started'; location: string; files: number; bytes: number }
  | { kind: 'model-download-progress'; filesDone: number; files: number; bytesDone: number; bytes: number }
  | { kind: 'model-downloaded'; location: string; files: number; bytes: number; elapsedMs: number };

export interface CachedModel {
  /** The entry: the model directory. */
  dir: string;
  key: string;
  /** Whether this call downloaded it (false: it was in the cache). */
  downloaded: boolean;
  files: number;
  bytes: number;
}

export interface FetchModelOptions {
  mlfHome: string;
  store: ArtifactStore;
  onProgress?: (event: ModelDownloadEvent) => void;
  /** Files downloaded at once (MLflow's client uses up to 2×CPUs, at most 20). Default 8. */
  concurrency?: number;
  /** How long to wait for another process downloading the same entry. Default 10 minutes. */
  lockTimeoutMs?: number;
}

interface EntryMeta {
  version: 1;
  location: string;
  files: ListedArtifact[];
  bytes: number;
  fetchedAt: string;
}

const ENTRY_NAME = /^[0-9a-f]{32}$/;
const PROGRESS_EVERY_MS = 200;

function modelsBucket(mlfHome: string): string {
  return bucketDir(mlfHome, 'models');
}

/** The entry's name: the location and the listing, as data that sorts the same every time. */
export function modelCacheKey(location: string, listing: readonly ListedArtifact[]): string {
  const files = [...listing].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => [f.path, f.size, f.checksum ?? null]);
  return createHash('sha256').update(JSON.stringify({ location, files })).digest('hex').slice(0, 32);
}

/** The listing refused when a path would leave the entry (a hostile or broken server). */
function checkListing(location: string, listing: readonly ListedArtifact[]): void {
  if (listing.length === 0) {
    throw inputError('MODEL_ARTIFACTS_EMPTY', `there are no files at \`${location}\``, { hint: 'check the model URI: the run, model or path holds no artifacts' });
  }
  for (const file of listing) {
    const segments = file.path.split('/');
    if (file.path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || file.path.includes('\\')) {
      throw inputError('MODEL_ARTIFACT_PATH_UNSAFE', `the listing of \`${location}\` names the file \`${file.path}\`, which is not a plain relative path`);
    }
  }
}

/** The model at the store's location, from the cache or downloaded into it. */
export async function fetchModel(options: FetchModelOptions): Promise<CachedModel> {
  const { store } = options;
  const listing = await store.list();
  checkListing(store.location, listing);
  const bucket = await ensureBucket(options.mlfHome, 'models');
  const key = modelCacheKey(store.location, listing);
  const dir = path.join(bucket, key);
  const bytes = listing.reduce((sum, f) => sum + f.size, 0);
  const found = async (downloaded: boolean): Promise<CachedModel> => {
    await rememberLocation(options.mlfHome, store.location, key);
    await touch(metaPath(bucket, key));
    return { dir, key, downloaded, files: listing.length, bytes };
  };
  if (existsSync(dir)) return found(false);
  return withEntryLock(
    dir,
    { timeoutMs: options.lockTimeoutMs ?? 600_000, what: 'cached model', onWait: () => options.onProgress?.({ kind: 'model-waiting', location: store.location }) },
    async () => {
      // Another process finished it while this one waited.
      if (existsSync(dir)) return found(false);
      await removePartials(bucket, key);
      const partial = path.join(bucket, `.partial-${key}-${randomBytes(6).toString('hex')}`);
      try {
        await downloadAll(store, listing, partial, bytes, options);
        await verify(store.location, listing, partial);
        const meta: EntryMeta = { version: 1, location: store.location, files: listing, bytes, fetchedAt: new Date().toISOString() };
        await writeJsonAtomically(metaPath(bucket, key), meta);
        await rename(partial, dir);
      } catch (error) {
        await rm(partial, { recursive: true, force: true }).catch(() => undefined);
        throw error;
      }
      return found(true);
    },
  );
}

async function downloadAll(store: ArtifactStore, listing: readonly ListedArtifact[], into: string, bytes: number, options: FetchModelOptions): Promise<void> {
  const started = Date.now();
  options.onProgress?.({ kind: 'model-download-started', location: store.location, files: listing.length, bytes });
  let bytesDone = 0;
  let filesDone = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = now;
    options.onProgress?.({ kind: 'model-download-progress', filesDone, files: listing.length, bytesDone, bytes });
  };
  await mkdir(into, { recursive: true });
  // Largest first, so that one big file does not start last and run alone.
  const queue = [...listing].sort((a, b) => b.size - a.size);
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const destination = path.join(into, ...file.path.split('/'));
      await mkdir(path.dirname(destination), { recursive: true });
      await store.download(file, destination, (n) => {
        bytesDone += n;
        report();
      });
      filesDone += 1;
      report();
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, listing.length)) }, worker);
  // Every worker is awaited before the first failure is rethrown: no write continues into a
  // directory that is being removed.
  const outcomes = await Promise.allSettled(workers);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  report(true);
  options.onProgress?.({ kind: 'model-downloaded', location: store.location, files: listing.length, bytes, elapsedMs: Date.now() - started });
}

/** Every listed file present with its listed size: a short read is a failed download, not a model. */
async function verify(location: string, listing: readonly ListedArtifact[], dir: string): Promise<void> {
  for (const file of listing) {
    let size: number | undefined;
    try {
      const info = await lstat(path.join(dir, ...file.path.split('/')));
      size = info.isFile() ? info.size : undefined;
    } catch {
      size = undefined;
    }
    if (size !== file.size) {
      throw inputError('MODEL_DOWNLOAD_INCOMPLETE', `the download of \`${location}\` is incomplete: \`${file.path}\` has ${size === undefined ? 'no file' : `${size} bytes`} where the listing says ${file.size}`, {
        hint: 'run the command again; nothing of this download was kept',
      });
    }
  }
}

/** `.partial-<key>-*` of a download that died; called holding the entry's lock, so none is live. */
async function removePartials(bucket: string, key: string): Promise<void> {
  for (const name of await readdir(bucket)) {
    if (name.startsWith(`.partial-${key}-`)) await rm(path.join(bucket, name), { recursive: true, force: true });
  }
}

function metaPath(bucket: string, key: string): string {
  return path.join(bucket, `${key}.json`);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

async function rememberLocation(mlfHome: string, location: string, key: string): Promise<void> {
  await writeJsonAtomically(path.join(modelsBucket(mlfHome), 'locations', `${digest(location)}.json`), { location, key });
}

/**
 * The complete entry last fetched for `location`, without listing it again; undefined when there
 * is none (never fetched, or pruned since).
 */
export async function cachedModelAt(mlfHome: string, location: string): Promise<CachedModel | undefined> {
  const bucket = modelsBucket(mlfHome);
  const record = await readJson<{ location: string; key: string }>(path.join(bucket, 'locations', `${digest(location)}.json`));
  if (record?.location !== location || !ENTRY_NAME.test(record.key)) return undefined;
  const meta = await readJson<EntryMeta>(metaPath(bucket, record.key));
  const dir = path.join(bucket, record.key);
  if (meta === undefined || !existsSync(dir)) return undefined;
  await touch(metaPath(bucket, record.key));
  return { dir, key: record.key, downloaded: false, files: meta.files.length, bytes: meta.bytes };
}

/** What a model URI resolved to, kept for `--offline` and an unreachable server. */
export interface ResolutionRecord {
  modelUri: string;
  /** The tracking server it was resolved against (without credentials), or '' for URIs that need none. */
  server: string;
  location: string;
  /** `name` and `version` when the URI named a registered model. */
  registered?: { name: string; version: string };
  /** The logged model (`m-...`) a `models:/m-...` or `runs:/` URI reached. */
  loggedModelId?: string;
  resolvedAt: string;
}

function resolutionPath(mlfHome: string, modelUri: string, server: string): string {
  return path.join(modelsBucket(mlfHome), 'resolved', `${digest(JSON.stringify([server, modelUri]))}.json`);
}

export async function rememberResolution(mlfHome: string, record: ResolutionRecord): Promise<void> {
  await writeJsonAtomically(resolutionPath(mlfHome, record.modelUri, record.server), record);
}

export async function lastResolution(mlfHome: string, modelUri: string, server: string): Promise<ResolutionRecord | undefined> {
  const record = await readJson<ResolutionRecord>(resolutionPath(mlfHome, modelUri, server));
  return record?.modelUri === modelUri && record.server === server ? record : undefined;
}

/** A cached model, as `mlf envs list` shows it. */
export interface CachedModelEntry {
  key: string;
  dir: string;
  location: string;
  files: number;
  bytes: number;
  fetchedAt: string;
  lastUsed: string;
}

export async function listCachedModels(mlfHome: string): Promise<{ bucket: string; models: CachedModelEntry[] }> {
  const bucket = modelsBucket(mlfHome);
  let names: string[];
  try {
    names = await readdir(bucket);
  } catch {
    return { bucket, models: [] };
  }
  const models: CachedModelEntry[] = [];
  for (const key of names.filter((n) => ENTRY_NAME.test(n))) {
    const meta = await readJson<EntryMeta>(metaPath(bucket, key));
    if (meta === undefined) continue;
    const used = await stat(metaPath(bucket, key)).catch(() => undefined);
    models.push({
      key,
      dir: path.join(bucket, key),
      location: meta.location,
      files: meta.files.length,
      bytes: meta.bytes,
      fetchedAt: meta.fetchedAt,
      lastUsed: (used?.mtime ?? new Date(meta.fetchedAt)).toISOString(),
    });
  }
  models.sort((a, b) => b.lastUsed.localeCompare(a.lastUsed));
  return { bucket, models };
}

/**
 * Removes cached models not used within `olderThanMs` (all when absent), each under its lock and
 * unless a running command uses it (`markModelInUse`); partial downloads whose lock nobody holds
 * go too. The records that point at removed entries are left: they are checked on every use.
 */
export async function pruneCachedModels(
  mlfHome: string,
  options: { olderThanMs?: number; now?: Date } = {},
): Promise<{ bucket: string; removed: CachedModelEntry[]; skipped: CachedModelEntry[]; bytes: number }> {
  const now = (options.now ?? new Date()).getTime();
  const { bucket, models } = await listCachedModels(mlfHome);
  const result = { bucket, removed: [] as CachedModelEntry[], skipped: [] as CachedModelEntry[], bytes: 0 };
  for (const entry of models) {
    if (options.olderThanMs !== undefined && now - Date.parse(entry.lastUsed) < options.olderThanMs) continue;
    let release: (() => Promise<void>) | undefined;
    try {
      release = await acquireEntryLock(entry.dir, { timeoutMs: 0 });
    } catch {
      result.skipped.push(entry);
      continue;
    }
    try {
      if ((await processesUsing(inUseDir(entry.dir))).length > 0) {
        result.skipped.push(entry);
        continue;
      }
      await removeTree(entry.dir);
      await rm(metaPath(bucket, entry.key), { force: true });
      await rm(inUseDir(entry.dir), { recursive: true, force: true });
      result.removed.push(entry);
      result.bytes += entry.bytes;
    } finally {
      await release();
    }
  }
  let names: string[] = [];
  try {
    names = await readdir(bucket);
  } catch {
    return result;
  }
  for (const name of names) {
    const partial = /^\.partial-([0-9a-f]{32})-/.exec(name);
    if (partial && (await isEntryLocked(path.join(bucket, partial[1]!)))) continue;
    if (partial || name.startsWith('.trash-')) await rm(path.join(bucket, name), { recursive: true, force: true }).catch(() => undefined);
  }
  return result;
}

/** Where the in-use marks of a cached model live (env/in-use.ts), beside it: nothing is written into the model. */
export function inUseDir(entryDir: string): string {
  return `${entryDir}.use`;
}

/** Whether `dir` is an entry of the model cache (and so may be marked in use). */
export function isCachedModelDir(mlfHome: string, dir: string): boolean {
  return path.dirname(dir) === modelsBucket(mlfHome) && ENTRY_NAME.test(path.basename(dir));
}

async function touch(file: string): Promise<void> {
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, file);
}
