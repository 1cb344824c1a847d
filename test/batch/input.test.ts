import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverInput, formatOfFile } from '../../src/batch/input.js';
import { expandGlob, segmentMatcher } from '../../src/batch/glob.js';
import { MlfError } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

function tree(files: string[]): string {
  const root = tempDir('mlf-batch-input-');
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), 'x\n');
  }
  return root;
}

function refusal(run: () => unknown): { code: string; message: string; exit: number } {
  try {
    run();
  } catch (error) {
    if (error instanceof MlfError) return { code: error.code, message: error.message, exit: error.exitCode };
    throw error;
  }
  throw new Error('expected a refusal');
}

const names = (root: string, files: { path: string }[]) => files.map((file) => path.relative(root, file.path));

describe('discoverInput', () => {
  it('a file is itself, with its size and format from its name', () => {
    const root = tree(['a.parquet']);
    const found = discoverInput('a.parquet', { cwd: root });
    expect(found.format).toBe('parquet');
    expect(found.files).toEqual([{ path: path.join(root, 'a.parquet'), size: 2, mtimeMs: expect.any(Number) }]);
  });

  it("a directory's files, sorted, without names starting with . or _ (Spark's rule)", () => {
    const root = tree(['in/b.csv', 'in/a.csv', 'in/_SUCCESS', 'in/.part.crc', 'in/_temporary/x.csv']);
    const found = discoverInput('in', { cwd: root });
    expect(names(root, found.files)).toEqual(['in/a.csv', 'in/b.csv']);
    expect(found.format).toBe('csv');
  });

  it('a glob: * within a segment, ** across directories, hidden names only when spelled', () => {
    const root = tree(['d/x/1.jsonl', 'd/y/2.jsonl', 'd/y/z/3.jsonl', 'd/_tmp/4.jsonl', 'd/y/.5.jsonl', 'd/top.jsonl']);
    expect(names(root, discoverInput('d/*/*.jsonl', { cwd: root }).files)).toEqual(['d/x/1.jsonl', 'd/y/2.jsonl']);
    expect(names(root, discoverInput('d/**/*.jsonl', { cwd: root }).files)).toEqual(['d/top.jsonl', 'd/x/1.jsonl', 'd/y/2.jsonl', 'd/y/z/3.jsonl']);
    expect(names(root, discoverInput('d/_*/*.jsonl', { cwd: root }).files)).toEqual(['d/_tmp/4.jsonl']);
    expect(discoverInput('d/x/?.jsonl', { cwd: root }).format).toBe('json');
    expect(names(root, expandGlob(path.join(root, 'd/[xy]/[!2].jsonl')).map((p) => ({ path: p })))).toEqual(['d/x/1.jsonl']);
  });

  it('--format overrides the names; without it, every name must say the same format', () => {
    const root = tree(['m/a.csv', 'm/b.parquet', 'u/data.txt']);
    expect(refusal(() => discoverInput('m', { cwd: root }))).toEqual({
      code: 'MIXED_INPUT_FORMATS',
      message: `the input \`m\` mixes formats: \`${path.join('m', 'a.csv')}\` is csv, \`${path.join('m', 'b.parquet')}\` is parquet`,
      exit: 2,
    });
    expect(refusal(() => discoverInput('u', { cwd: root }))).toMatchObject({ code: 'UNKNOWN_INPUT_FORMAT', exit: 2 });
    expect(discoverInput('u', { cwd: root, format: 'csv' }).format).toBe('csv');
  });

  it.each([
    ['missing', 'INPUT_NOT_FOUND', 'the input `missing` does not exist'],
    ['empty', 'NO_INPUT_FILES', 'the input directory `empty` holds no data files'],
    ['only-hidden', 'NO_INPUT_FILES', 'the input directory `only-hidden` holds no data files'],
    ['*.none', 'NO_INPUT_FILES', 'the input `*.none` matches no files'],
    ['nested', 'INPUT_HAS_DIRECTORY', 'the input directory `nested` holds a directory `sub`: batch-predict reads the files of one directory'],
  ])('%s: one line, exit 2', (input, code, message) => {
    const root = tree(['only-hidden/_SUCCESS', 'nested/sub/a.csv']);
    mkdirSync(path.join(root, 'empty'));
    expect(refusal(() => discoverInput(input, { cwd: root }))).toEqual({ code, message, exit: 2 });
  });

  it('formats by extension', () => {
    expect(['a.parquet', 'a.PQ', 'a.csv', 'a.json', 'a.jsonl', 'a.ndjson', 'a.txt'].map(formatOfFile)).toEqual(['parquet', 'parquet', 'csv', 'json', 'json', 'json', undefined]);
  });

  it("a glob segment matches as a shell's does: its other characters (regex syntax included) literally", () => {
    const matches = (segment: string, name: string) => segmentMatcher(segment)(name);
    expect(matches('a+b(1).*', 'a+b(1).csv')).toBe(true);
    expect(matches('a+b(1).*', 'aab(1).csv')).toBe(false);
    expect(matches('data (1).csv', 'data (1).csv')).toBe(true);
    expect(matches('(a|b)', 'a')).toBe(false);
    expect(matches('(a|b)', '(a|b)')).toBe(true);
    expect(matches('{a,b}.csv', 'a.csv')).toBe(false);
    expect(matches('!a', 'b')).toBe(false);
    expect(matches('[', '[')).toBe(true);
    expect(matches('[!a]*', 'b1')).toBe(true);
    expect(matches('[!a]*', 'a1')).toBe(false);
    expect(matches('[[:digit:]].csv', '7.csv')).toBe(true);
    expect(matches('p?rt-*', 'part-00000.csv')).toBe(true);
  });
});
