import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_CATALOG } from '../../src/validate/catalog.js';
import { fixturesDir, repoRoot } from '../support/cli.js';

/** The README's rule table is the catalog, and every static rule has a corpus case. */
describe('rule catalog', () => {
  it('has unique codes and names', () => {
    expect(new Set(RULE_CATALOG.map((r) => r.code)).size).toBe(RULE_CATALOG.length);
    expect(new Set(RULE_CATALOG.map((r) => r.name)).size).toBe(RULE_CATALOG.length);
    for (const rule of RULE_CATALOG) expect(rule.code).toMatch(/^MLF[0-9]{3}$/);
  });

  it('is the rule table of the README', () => {
    const doc = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const rows = doc
      .split('\n')
      .filter((line) => /^\| MLF[0-9]{3} \|/.test(line))
      .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| /, '').replace(/ \|$/, '')));
    expect(rows.map((r) => [r[0], r[1], r[2], r[3]])).toEqual(RULE_CATALOG.map((r) => [r.code, r.name, r.severity, r.summary]));
    expect(rows.map((r) => r[4])).toEqual(RULE_CATALOG.map((r) => `${r.fix}${r.fixable ? ' (**fixable**)' : ''}`));
  });

  it('has one header row in the README, right above the first rule', () => {
    const lines = readFileSync(path.join(repoRoot, 'README.md'), 'utf8').split('\n');
    const header = '| code | name | severity | what it finds | fix |';
    expect(lines.filter((line) => line === header)).toHaveLength(1);
    const at = lines.indexOf(header);
    expect(lines[at + 1]).toBe('| --- | --- | --- | --- | --- |');
    expect(lines[at + 2]).toMatch(/^\| MLF[0-9]{3} \|/);
  });

  it('every code a rule emits is in the catalog', () => {
    const dir = path.join(repoRoot, 'src', 'validate');
    const sources = [
      ...readdirSync(path.join(dir, 'rules')).map((f) => path.join(dir, 'rules', f)),
      path.join(repoRoot, 'src', 'ops', 'validate.ts'),
      path.join(dir, 'engine.ts'),
    ];
    const emitted = new Set(sources.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'(MLF[0-9]{3})'/g)].map((m) => m[1]!)));
    const known = new Set(RULE_CATALOG.map((r) => r.code));
    expect([...emitted].filter((code) => !known.has(code))).toEqual([]);
  });

  it('every static rule has at least one case in the broken-model corpus', () => {
    const corpus = path.join(fixturesDir, 'broken');
    const covered = new Set(
      readdirSync(corpus, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((e) => (JSON.parse(readFileSync(path.join(corpus, e.name, 'expected.json'), 'utf8')) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code)),
    );
    // MLF001 (a crashed rule) and MLF100 (unreadable argument) are tested in engine/e2e tests, the smoke and online rules in e2e.
    const uncovered = RULE_CATALOG.filter((r) => r.group !== 'smoke' && r.group !== 'online' && !['MLF001', 'MLF100'].includes(r.code) && !covered.has(r.code)).map((r) => r.code);
    expect(uncovered).toEqual([]);
  });
});
