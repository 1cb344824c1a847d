/**
 * tracking/merged-store.ts: two in-memory stores read as one, the overlay's files winning on a
 * clash, each file downloaded from the store that holds the winning copy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/tracking/artifact-store.js';
import { mergeStores } from '../../src/tracking/merged-store.js';
import { tempDir } from '../support/temp.js';

function memoryStore(location: string, files: Record<string, string>): ArtifactStore {
  return {
    location,
    list: async () => Object.entries(files).map(([p, text]) => ({ path: p, size: text.length })).sort((a, b) => (a.path < b.path ? -1 : 1)),
    download: async (file, destination, onBytes) => {
      writeFileSync(destination, files[file.path]!);
      onBytes(files[file.path]!.length);
    },
  };
}

describe('mergeStores', () => {
  it('lists the union sorted by path, the overlay\'s copy (and size) on a clash, and downloads each file from its owner', async () => {
    const run = memoryStore('run', { MLmodel: 'run one', 'notes/a.txt': 'from the run' });
    const model = memoryStore('model', { MLmodel: 'the model\'s MLmodel', 'model.pkl': 'weights' });
    const merged = mergeStores(run, model);
    expect(merged.location).toBe('run + model');
    const listing = await merged.list();
    expect(listing).toEqual([
      { path: 'MLmodel', size: 'the model\'s MLmodel'.length },
      { path: 'model.pkl', size: 7 },
      { path: 'notes/a.txt', size: 12 },
    ]);
    const dir = tempDir();
    const read = async (name: string) => {
      const destination = path.join(dir, name.replace('/', '_'));
      await merged.download(listing.find((f) => f.path === name)!, destination, () => undefined);
      return readFileSync(destination, 'utf8');
    };
    expect(await read('MLmodel')).toBe('the model\'s MLmodel');
    expect(await read('notes/a.txt')).toBe('from the run');
    expect(await read('model.pkl')).toBe('weights');
  });
});
