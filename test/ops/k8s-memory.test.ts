/** The digest a serving-memory measurement is cached by: the model's bytes, not mlf's bookkeeping. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelContentDigest } from '../../src/ops/k8s-memory.js';
import { tempDir } from '../support/temp.js';

function model(): string {
  const dir = tempDir('mlf-k8s-digest-');
  writeFileSync(path.join(dir, 'MLmodel'), 'flavors: {}\n');
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'model.pkl'), 'weights-1');
  return dir;
}

describe('modelContentDigest', () => {
  it('changes with any byte or file name of the model, and not with mlf\'s own lock or journal', async () => {
    const dir = model();
    const digest = await modelContentDigest(dir);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await modelContentDigest(model())).toBe(digest);
    mkdirSync(path.join(dir, '.mlf-lock'));
    writeFileSync(path.join(dir, '.mlf-transaction.json'), '{}');
    expect(await modelContentDigest(dir)).toBe(digest);
    writeFileSync(path.join(dir, 'data', 'model.pkl'), 'weights-2');
    const changed = await modelContentDigest(dir);
    expect(changed).not.toBe(digest);
    writeFileSync(path.join(dir, 'data', 'extra.txt'), '');
    expect(await modelContentDigest(dir)).not.toBe(changed);
  });

  it('hashes a symlink to a file as the file, and one to a directory by its target, following no loop', async () => {
    const dir = model();
    const before = await modelContentDigest(dir);
    symlinkSync('.', path.join(dir, 'data', 'loop'));
    const withLoop = await modelContentDigest(dir);
    expect(withLoop).not.toBe(before);
    const twin = model();
    symlinkSync('model.pkl', path.join(twin, 'data', 'alias.pkl'));
    const copy = model();
    writeFileSync(path.join(copy, 'data', 'alias.pkl'), 'weights-1');
    expect(await modelContentDigest(twin)).toBe(await modelContentDigest(copy));
  });
});
