import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from '../cli.js';
import { BAD_REQUIREMENT_LINES, HUGE, SIGNATURE_CLASSES, classesFor, mutateFile, mutateJsonString, replaceAt, valuePaths } from './mutations.js';
import type { FileFormat, MutationClass } from './mutations.js';
import { createRng, seedOf } from './prng.js';

const model = path.join(fixturesDir, 'models', 'sklearn-iris');
const SAMPLES: Record<FileFormat, Uint8Array> = {
  yaml: readFileSync(path.join(model, 'MLmodel')),
  json: readFileSync(path.join(model, 'serving_input_example.json')),
  requirements: readFileSync(path.join(model, 'requirements.txt')),
  csv: new TextEncoder().encode('a,b\n1.0,2.0\n3.0,4.0\n'),
  binary: readFileSync(path.join(model, 'model.skops')),
};
const FORMATS = Object.keys(SAMPLES) as FileFormat[];
const pairs = FORMATS.flatMap((format) => classesFor(format).map((mutation) => [format, mutation] as [FileFormat, MutationClass]));
const run = (format: FileFormat, mutation: MutationClass, seed: number) => mutateFile(format, mutation, SAMPLES[format], 'file.txt', createRng(seed));
/** Deep equality without vitest's element-by-element walk over megabytes of bytes. */
const same = (a: ReturnType<typeof run>, b: ReturnType<typeof run>) =>
  a.detail === b.detail && a.edit.kind === b.edit.kind && (a.edit.kind !== 'write' || Buffer.from(a.edit.bytes).equals(Buffer.from((b.edit as { bytes: Uint8Array }).bytes))) && JSON.stringify({ ...a.edit, bytes: 0 }) === JSON.stringify({ ...b.edit, bytes: 0 });
const textOf = (m: ReturnType<typeof run>) => (m.edit.kind === 'write' ? Buffer.from(m.edit.bytes).toString('utf8') : '');

describe('fuzz mutations', () => {
  it.each(pairs)('%s / %s: the same seed gives the same result, and the input is changed', (format, mutation) => {
    for (const seed of [1, 2, 3, seedOf('x', 7)]) {
      const first = run(format, mutation, seed);
      expect(same(run(format, mutation, seed), first)).toBe(true);
      expect(first.detail.length).toBeGreaterThan(0);
      if (first.edit.kind === 'write') expect(Buffer.from(first.edit.bytes).equals(Buffer.from(SAMPLES[format]))).toBe(false);
    }
  });

  it('draws different mutations from different seeds', () => {
    const details = new Set(Array.from({ length: 20 }, (_, seed) => run('yaml', 'byte-flip', seed).detail));
    expect(details.size).toBeGreaterThan(15);
  });

  it('does what each class says', () => {
    const seeds = Array.from({ length: 8 }, (_, i) => i);
    for (const seed of seeds) {
      const truncated = run('yaml', 'truncate', seed);
      expect(truncated.edit.kind === 'write' && truncated.edit.bytes.length).toBeLessThan(SAMPLES.yaml.length);
      const nul = run('requirements', 'nul-bytes', seed);
      expect(nul.edit.kind === 'write' && nul.edit.bytes.includes(0)).toBe(true);
      const invalid = run('json', 'invalid-utf8', seed);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(invalid.edit.kind === 'write' ? invalid.edit.bytes : new Uint8Array())).toThrow();
      for (const format of ['yaml', 'requirements', 'csv'] as const) {
        expect(Math.max(...textOf(run(format, 'huge-line', seed)).split('\n').map((l) => l.length))).toBeGreaterThanOrEqual(HUGE);
      }
      expect(textOf(run('yaml', 'python-tag', seed))).toMatch(/!!?[a-z]/);
      expect(textOf(run('yaml', 'undefined-alias', seed))).toMatch(/\*(undefined|a0|nope)/);
      expect(textOf(run('yaml', 'many-anchors', seed)).match(/&a\d+/g)!.length).toBe(HUGE);
      expect(textOf(run('yaml', 'alias-bomb', seed))).toMatch(/&(lol\d|loop|base)/);
      expect(textOf(run('yaml', 'deep-nesting', seed))).toMatch(/\[{1000}|(\{a: ){1000}|^ {999}a999:/m);
      const lines = textOf(run('requirements', 'bad-requirement', seed)).split('\n');
      expect(lines.some((line) => (BAD_REQUIREMENT_LINES as readonly string[]).includes(line))).toBe(true);
    }
    expect(run('yaml', 'symlink-loop', 1).edit).toEqual({ kind: 'symlink', target: 'file.txt' });
    expect(run('yaml', 'symlink-dev-zero', 1).edit).toEqual({ kind: 'symlink', target: '/dev/zero' });
    expect(run('binary', 'fifo', 1).edit).toEqual({ kind: 'fifo' });
  });

  it('wrong-type replaces one value of the parsed document, keeping it parseable', () => {
    const original = parseYaml(Buffer.from(SAMPLES.yaml).toString('utf8')) as unknown;
    let changedOne = 0;
    for (let seed = 0; seed < 30; seed++) {
      const mutated = parseYaml(textOf(run('yaml', 'wrong-type', seed))) as unknown;
      expect(mutated).not.toEqual(original);
      changedOne++;
      const json = JSON.parse(textOf(run('json', 'wrong-type', seed))) as unknown;
      expect(json).not.toEqual(JSON.parse(Buffer.from(SAMPLES.json).toString('utf8')));
    }
    expect(changedOne).toBe(30);
  });

  it('JSON deep nesting goes past what a recursive parser takes, as text', () => {
    const depths = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const mutated = run('json', 'deep-nesting', seed);
      const [, depth, kind] = /by (\d+) levels of (arrays|objects)/.exec(mutated.detail)!;
      const open = kind === 'arrays' ? '[' : '{"a":';
      expect(textOf(mutated).includes(`${open.repeat(Number(depth))}1`)).toBe(true);
      depths.add(Number(depth));
    }
    expect([...depths].sort((a, b) => a - b)).toEqual([1_000, 100_000, 1_000_000]);
  });

  it('bad CSV cells keep the header', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = textOf(run('csv', 'bad-cells', seed));
      if (out !== '') expect(out.startsWith('a,b')).toBe(true);
    }
  });

  it.each(SIGNATURE_CLASSES)('signature strings (%s) are deterministic and changed', (mutation) => {
    const signature = (parseYaml(Buffer.from(SAMPLES.yaml).toString('utf8')) as { signature: { inputs: string } }).signature.inputs;
    for (let seed = 0; seed < 10; seed++) {
      const first = mutateJsonString(mutation, signature, createRng(seed));
      expect(mutateJsonString(mutation, signature, createRng(seed))).toEqual(first);
      expect(first.value).not.toBe(signature);
    }
  });

  it('valuePaths and replaceAt reach every value, and replaceAt copies', () => {
    const doc = { a: [1, { b: 2 }], c: null };
    expect(valuePaths(doc)).toEqual([[], ['a'], ['a', 0], ['a', 1], ['a', 1, 'b'], ['c']]);
    expect(replaceAt(doc, ['a', 1, 'b'], 'x')).toEqual({ a: [1, { b: 'x' }], c: null });
    expect(doc.a[1]).toEqual({ b: 2 });
    expect(replaceAt(doc, [], 5)).toBe(5);
  });
});
