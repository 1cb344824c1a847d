import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRules } from '../../src/validate/engine.js';
import { loadModelFiles } from '../../src/validate/load.js';
import { fixturesDir } from '../support/cli.js';

/**
 * The broken-model corpus (fixtures/broken, made by make-broken.mjs): each directory must give
 * exactly the diagnostics its expected.json lists (code, severity, file, line).
 */
interface Expected {
  code: string;
  severity: string;
  file: string;
  line: number | null;
}

const corpusDir = path.join(fixturesDir, 'broken');
const cases = readdirSync(corpusDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const byKey = (a: Expected, b: Expected) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('broken-model corpus', () => {
  it('has at least 30 broken models plus the valid base', () => {
    expect(cases.filter((name) => name !== '_base').length).toBeGreaterThanOrEqual(30);
    expect(cases).toContain('_base');
  });

  it.each(cases)('%s', async (name) => {
    const dir = path.join(corpusDir, name);
    const expected = (JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { diagnostics: Expected[] }).diagnostics;
    const actual = runRules(await loadModelFiles(dir)).map((d) => ({ code: d.code, severity: d.severity, file: d.file, line: d.line ?? null }));
    expect([...actual].sort(byKey)).toEqual([...expected].sort(byKey));
  });
});
