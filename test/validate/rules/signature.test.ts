/**
 * A signature or input example nested deeper than Python's json module reads is one MLflow
 * cannot load: validate reports it (MLF601/MLF603) instead of calling it fine or overflowing.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { JSON_MAX_DEPTH, jsonNestingDepth } from '../../../src/model/input-example.js';
import { loadModelFiles } from '../../../src/validate/load.js';
import { checkSignature } from '../../../src/validate/rules/signature.js';
import { fixturesDir } from '../../support/cli.js';
import { tempDir } from '../../support/temp.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function modelWith(edit: (mlmodel: Record<string, any>) => void): string {
  const dir = path.join(tempDir('mlf-signature-rule-'), 'm');
  cpSync(path.join(fixturesDir, 'models', 'sklearn-iris'), dir, { recursive: true });
  const mlmodel = parseYaml(readFileSync(path.join(dir, 'MLmodel'), 'utf8'));
  edit(mlmodel);
  writeFileSync(path.join(dir, 'MLmodel'), stringify(mlmodel));
  return dir;
}

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['[]', 1],
    ['[[1], {"a": [2]}]', 3],
    ['["[[[[", "\\\\"]', 1],
    ['{"a": "\\"[[["}', 1],
  ])('%s -> %i', (text, depth) => expect(jsonNestingDepth(text)).toBe(depth));
});

describe('signature nesting', () => {
  it('reports signature.inputs nested deeper than json.loads reads, at once', async () => {
    const dir = modelWith((m) => (m.signature.inputs = nested(100_000)));
    const found = checkSignature(await loadModelFiles(dir));
    expect(found.map((d) => d.code)).toContain('MLF601');
    expect(found.find((d) => d.code === 'MLF601')?.message).toContain(`nested more than ${JSON_MAX_DEPTH} levels deep`);
  });

  it('reports signature.params nested too deep', async () => {
    const dir = modelWith((m) => (m.signature.params = nested(JSON_MAX_DEPTH + 1)));
    const found = checkSignature(await loadModelFiles(dir));
    expect(found.some((d) => d.message.includes('`signature.params` is nested more than'))).toBe(true);
  });
});
