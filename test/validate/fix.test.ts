import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateOne } from '../../src/ops/validate.js';
import { fixturesDir } from '../support/cli.js';
import { copyDirectory, snapshotDirectory } from '../support/files.js';

/** `--fix` on copies of corpus models: what it changes, that the result is what MLflow writes, and that a second run changes nothing. */


const broken = path.join(fixturesDir, 'broken');
const baseConda = readFileSync(path.join(broken, '_base', 'conda.yaml'), 'utf8');

describe('--fix', () => {
  it.each([
    ['conda-defaults-channel', [['MLF401', 'channel `defaults` -> `conda-forge`']]],
    ['conda-anaconda-prefix', [['MLF401', 'dependency `anaconda::libgcc` -> `conda-forge::libgcc`']]],
    ['conda-pip-missing-package', [['MLF301', 'pip list re-synced to requirements.txt: added `numpy==2.4.6`']]],
    ['conda-pip-extra-package', [['MLF301', 'pip list re-synced to requirements.txt: removed `pandas==3.1.1`']]],
    ['conda-pip-pin-differs', [['MLF302', 'pip list re-synced to requirements.txt: added `numpy==2.4.6`; removed `numpy==2.0.0`']]],
  ])('%s: fixes, reports what it changed, and a second run changes nothing', async (name, expectedFixes) => {
    const dir = copyDirectory(path.join(broken, name), 'mlf-fix-');
    const first = await validateOne(dir, { models: [dir], cwd: dir, fix: true });
    expect(first.fixes.map((f) => [f.code, f.description])).toEqual(expectedFixes);
    expect(first.fixes.every((f) => f.file === 'conda.yaml')).toBe(true);
    expect(first.diagnostics).toEqual([]);
    if (name !== 'conda-anaconda-prefix') {
      // Written as MLflow writes it: the base MLflow wrote, byte for byte.
      expect(readFileSync(path.join(dir, 'conda.yaml'), 'utf8')).toBe(baseConda);
    }
    const before = snapshotDirectory(dir);
    const second = await validateOne(dir, { models: [dir], cwd: dir, fix: true });
    expect(second.fixes).toEqual([]);
    expect(snapshotDirectory(dir)).toEqual(before);
  });

  it('rewrites only conda.yaml and leaves no temp or journal files', async () => {
    const dir = copyDirectory(path.join(broken, 'combined-mlflow1-style'), 'mlf-fix-');
    const before = snapshotDirectory(dir);
    const report = await validateOne(dir, { models: [dir], cwd: dir, fix: true });
    expect(report.fixes.map((f) => f.code)).toEqual(['MLF401', 'MLF302']);
    const after = snapshotDirectory(dir);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const file of Object.keys(before)) if (file !== 'conda.yaml') expect(after[file]).toBe(before[file]);
    expect(readFileSync(path.join(dir, 'conda.yaml'), 'utf8')).toBe(
      [
        'channels:',
        '- conda-forge',
        'dependencies:',
        '- python=3.11.7',
        '- pip<=26.3',
        '- pip:',
        '  - --index-url https://pypi.example.com/simple',
        '  - mlflow==3.17.2',
        '  - cloudpickle>=3',
        '  - numpy==2.4.6',
        'name: mlflow-env',
        '',
      ].join('\n'),
    );
    // What is left is not fixable: the index and the loose pin in requirements.txt.
    expect(report.diagnostics.map((d) => `${d.file}:${d.line}:${d.code}`)).toEqual(['requirements.txt:1:MLF207', 'requirements.txt:3:MLF205']);
  });

  it('does nothing when the fixable rules are turned off', async () => {
    const dir = copyDirectory(path.join(broken, 'conda-defaults-channel'), 'mlf-fix-');
    const before = snapshotDirectory(dir);
    const report = await validateOne(dir, { models: [dir], cwd: dir, fix: true, overrides: new Map([['MLF401', 'off']]) });
    expect(report.fixes).toEqual([]);
    expect(snapshotDirectory(dir)).toEqual(before);
  });

  const locked = path.join(fixturesDir, 'models', 'locked');
  it('restores a locked model\'s conda pip list, comments included, exactly as MLflow wrote it', async () => {
    const dir = copyDirectory(locked, 'mlf-fix-');
    const original = readFileSync(path.join(dir, 'conda.yaml'), 'utf8');
    const lines = original.split('\n');
    const cut = lines.findIndex((line) => line.startsWith('  - click=='));
    expect(cut).toBeGreaterThan(0);
    writeFileSync(path.join(dir, 'conda.yaml'), [...lines.slice(0, cut), ...lines.slice(cut + 1)].join('\n'));
    const report = await validateOne(dir, { models: [dir], cwd: dir, fix: true });
    expect(report.fixes.map((f) => f.code)).toEqual(['MLF301']);
    expect(readFileSync(path.join(dir, 'conda.yaml'), 'utf8')).toBe(original);
  });
});
