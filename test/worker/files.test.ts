/** worker/files.ts: the worker's Python files are found from mlf's package root, wherever the code runs. */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findPackageRoot, workerFiles } from '../../src/worker/files.js';
import { tempDir } from '../support/cli.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('worker files', () => {
  it('finds the repository root from src/ (as under vitest)', () => {
    expect(workerFiles().packageRoot).toBe(repoRoot);
    expect(workerFiles().launcher).toBe(path.join(repoRoot, 'src', 'worker', 'worker.py'));
    expect(workerFiles().packageDir).toBe(path.join(repoRoot, 'src', 'worker', 'mlf_worker'));
    expect(existsSync(workerFiles().launcher)).toBe(true);
  });

  it('finds it from a bundle chunk, skipping package.json files that are not mlf\'s', () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'mlf' }));
    mkdirSync(path.join(root, 'dist', 'bundle'), { recursive: true });
    writeFileSync(path.join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
    expect(findPackageRoot(path.join(root, 'dist', 'bundle', 'chunk-X.mjs'))).toBe(root);
  });

  it('says so when there is no mlf package above', () => {
    const outside = path.join(tempDir(), 'a', 'b.mjs');
    expect(() => findPackageRoot(outside)).toThrow(/mlf's package.json was not found/);
  });
});
