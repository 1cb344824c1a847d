import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArtifactStore, ListedArtifact } from '../../src/tracking/artifact-store.js';
import {
  cachedModelAt,
  fetchModel,
  lastResolution,
  listCachedModels,
  modelCacheKey,
  pruneCachedModels,
  rememberResolution,
  type ModelDownloadEvent,
} from '../../src/tracking/model-cache.js';
import { rejectedMlfError } from '../support/errors.js';
import { tempDir } from '../support/temp.js';

/** A store over a local directory that counts downloads and can be told to fail or cut a file short. */
class DirectoryStore implements ArtifactStore {
  downloads = 0;
  failAfter?: number;
  shortFile?: string;
  constructor(readonly root: string, readonly location = `test://${root}`) {}
  async list(): Promise<ListedArtifact[]> {
    const out: ListedArtifact[] = [];
    const walk = (rel: string) => {
      for (const entry of readdirSync(path.join(this.root, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(child);
        else out.push({ path: child, size: readFileSync(path.join(this.root, child)).length });
      }
    };
    walk('');
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }
  async download(file: ListedArtifact, destination: string, onBytes: (n: number) => void): Promise<void> {
    this.downloads += 1;
    if (this.failAfter !== undefined && this.downloads > this.failAfter) throw new Error('connection reset');
    if (file.path === this.shortFile) {
      writeFileSync(destination, 'x');
      onBytes(1);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pipeline(createReadStream(path.join(this.root, file.path)), createWriteStream(destination));
    onBytes(file.size);
  }
}

function modelSource(): string {
  const dir = tempDir('mlf-model-src-');
  writeFileSync(path.join(dir, 'MLmodel'), 'flavors: {}\n');
  mkdirSync(path.join(dir, 'code'));
  writeFileSync(path.join(dir, 'code', 'model.py'), 'x = 1\n');
  writeFileSync(path.join(dir, 'model.pkl'), Buffer.alloc(4096, 7));
  return dir;
}

const scratch = (mlfHome: string) => readdirSync(path.join(mlfHome, 'models-v1')).filter((n) => n.startsWith('.'));

describe('fetchModel', () => {
  it('downloads once, verifies, and serves the entry from the cache after', async () => {
    const mlfHome = tempDir('mlf-home-');
    const store = new DirectoryStore(modelSource());
    const events: ModelDownloadEvent[] = [];
    const first = await fetchModel({ mlfHome, store, onProgress: (e) => events.push(e) });
    expect(first.downloaded).toBe(true);
    expect(first.files).toBe(3);
    expect(readFileSync(path.join(first.dir, 'code', 'model.py'), 'utf8')).toBe('x = 1\n');
    expect(store.downloads).toBe(3);
    expect(events[0]).toEqual({ kind: 'model-download-started', location: store.location, files: 3, bytes: 4096 + 6 + 12 });
    expect(events.at(-1)).toMatchObject({ kind: 'model-downloaded', files: 3 });
    const second = await fetchModel({ mlfHome, store });
    expect(second).toEqual({ ...first, downloaded: false });
    expect(store.downloads).toBe(3);
    expect(await cachedModelAt(mlfHome, store.location)).toEqual({ ...first, downloaded: false });
    expect(scratch(mlfHome)).toEqual([]);
  });

  it('downloads once for concurrent callers', async () => {
    const mlfHome = tempDir('mlf-home-');
    const store = new DirectoryStore(modelSource());
    const results = await Promise.all([fetchModel({ mlfHome, store }), fetchModel({ mlfHome, store }), fetchModel({ mlfHome, store })]);
    expect(store.downloads).toBe(3);
    expect(results.filter((r) => r.downloaded)).toHaveLength(1);
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
  });

  it('keeps nothing of an interrupted download, and the next call downloads it whole', async () => {
    const mlfHome = tempDir('mlf-home-');
    const store = new DirectoryStore(modelSource());
    store.failAfter = 1;
    await expect(fetchModel({ mlfHome, store, concurrency: 1 })).rejects.toThrow('connection reset');
    expect(readdirSync(path.join(mlfHome, 'models-v1')).filter((n) => /^[0-9a-f]{32}$/.test(n))).toEqual([]);
    expect(scratch(mlfHome)).toEqual([]);
    expect(await cachedModelAt(mlfHome, store.location)).toBeUndefined();
    store.failAfter = undefined;
    const again = await fetchModel({ mlfHome, store });
    expect(again.downloaded).toBe(true);
    expect(readFileSync(path.join(again.dir, 'model.pkl')).length).toBe(4096);
  });

  it('removes the partial directory a killed download left', async () => {
    const mlfHome = tempDir('mlf-home-');
    const store = new DirectoryStore(modelSource());
    const key = modelCacheKey(store.location, await store.list());
    const left = path.join(mlfHome, 'models-v1', `.partial-${key}-deadbeef0000`);
    mkdirSync(left, { recursive: true });
    writeFileSync(path.join(left, 'MLmodel'), 'half');
    const fetched = await fetchModel({ mlfHome, store });
    expect(fetched.downloaded).toBe(true);
    expect(existsSync(left)).toBe(false);
  });

  it('refuses a file shorter than the listing says, keeping nothing', async () => {
    const mlfHome = tempDir('mlf-home-');
    const store = new DirectoryStore(modelSource());
    store.shortFile = 'model.pkl';
    const error = await rejectedMlfError(fetchModel({ mlfHome, store }));
    expect(error.code).toBe('MODEL_DOWNLOAD_INCOMPLETE');
    expect(error.message).toBe(`the download of \`${store.location}\` is incomplete: \`model.pkl\` has 1 bytes where the listing says 4096`);
    expect(await listCachedModels(mlfHome)).toMatchObject({ models: [] });
    expect(scratch(mlfHome)).toEqual([]);
  });

  it('refuses an empty listing and a path that leaves the entry', async () => {
    const mlfHome = tempDir('mlf-home-');
    const empty = new DirectoryStore(tempDir('mlf-empty-'));
    expect((await rejectedMlfError(fetchModel({ mlfHome, store: empty }))).code).toBe('MODEL_ARTIFACTS_EMPTY');
    const hostile: ArtifactStore = { location: 'test://hostile', list: async () => [{ path: '../escape', size: 1 }], download: async () => undefined };
    expect((await rejectedMlfError(fetchModel({ mlfHome, store: hostile }))).code).toBe('MODEL_ARTIFACT_PATH_UNSAFE');
  });

  it('keys entries by location and listing', async () => {
    const files = [{ path: 'MLmodel', size: 3 }, { path: 'a', size: 1 }];
    expect(modelCacheKey('x', files)).toBe(modelCacheKey('x', [...files].reverse()));
    expect(modelCacheKey('x', files)).not.toBe(modelCacheKey('y', files));
    expect(modelCacheKey('x', files)).not.toBe(modelCacheKey('x', [{ path: 'MLmodel', size: 4 }, { path: 'a', size: 1 }]));
    expect(modelCacheKey('x', files)).not.toBe(modelCacheKey('x', [{ ...files[0]!, checksum: 'e1' }, files[1]!]));
  });
});

describe('the model cache on disk', () => {
  it('lists and prunes entries, by last use', async () => {
    const mlfHome = tempDir('mlf-home-');
    const fetched = await fetchModel({ mlfHome, store: new DirectoryStore(modelSource()) });
    const { models } = await listCachedModels(mlfHome);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ key: fetched.key, dir: fetched.dir, files: 3 });
    expect((await pruneCachedModels(mlfHome, { olderThanMs: 3_600_000 })).removed).toEqual([]);
    const pruned = await pruneCachedModels(mlfHome);
    expect(pruned.removed.map((m) => m.key)).toEqual([fetched.key]);
    expect(existsSync(fetched.dir)).toBe(false);
    expect((await listCachedModels(mlfHome)).models).toEqual([]);
  });

  it('remembers the last resolution of a URI per server', async () => {
    const mlfHome = tempDir('mlf-home-');
    const record = { modelUri: 'models:/iris@champion', server: 'http://127.0.0.1:5000', location: 'x', registered: { name: 'iris', version: '2' }, resolvedAt: '2026-01-01T00:00:00.000Z' };
    await rememberResolution(mlfHome, record);
    expect(await lastResolution(mlfHome, 'models:/iris@champion', 'http://127.0.0.1:5000')).toEqual(record);
    expect(await lastResolution(mlfHome, 'models:/iris@champion', 'http://127.0.0.1:5001')).toBeUndefined();
  });
});
