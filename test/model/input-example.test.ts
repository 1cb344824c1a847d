import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import {
  buildInputExample,
  pythonJsonDumps,
  pythonJsonLoads,
  JSON_MAX_DEPTH,
  readInputExample,
  type InputExampleType,
} from '../../src/model/input-example.js';
import { PyFloat, type PyValue } from '../../src/model/pyyaml.js';
import { decodeTagged } from '../support/python-values.js';
import { catchMlfError } from '../support/errors.js';

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./cases/${name}`, import.meta.url), 'utf8')) as T;

const jsonCases = load<Array<{ name: string; value: unknown; compact: string; indent2: string }>>('python-json-cases.json');

describe('pythonJsonDumps matches Python json.dumps', () => {
  it.each(jsonCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const value = decodeTagged(c.value);
    expect(pythonJsonDumps(value)).toBe(c.compact);
    expect(pythonJsonDumps(value, { indent: 2 })).toBe(c.indent2);
  });
});

describe('pythonJsonLoads keeps what json.loads distinguishes', () => {
  it.each(jsonCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(pythonJsonDumps(pythonJsonLoads(c.compact, 'x.json'))).toBe(c.compact);
    expect(pythonJsonDumps(pythonJsonLoads(c.indent2, 'x.json'), { indent: 2 })).toBe(c.indent2);
  });
  it('keeps 1.0 a float and big ints exact', () => {
    expect(pythonJsonLoads('[1.0, 1, 1e2, 123456789012345678901]', 'x.json')).toEqual([
      new PyFloat(1),
      1,
      new PyFloat(100),
      123456789012345678901n,
    ]);
  });
  it('reads as deep as json.loads reads, and refuses deeper with one error instead of a stack overflow', () => {
    const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
    expect(() => pythonJsonLoads(nested(JSON_MAX_DEPTH), 'x.json')).not.toThrow();
    for (const text of [nested(JSON_MAX_DEPTH + 1), nested(100_000), '{"a":'.repeat(100_000)]) {
      const error = catchMlfError(() => pythonJsonLoads(text, 'x.json'));
      expect(error.code).toBe('MALFORMED_JSON');
      expect(error.message).toContain(`nested more than ${JSON_MAX_DEPTH} levels deep`);
    }
  });
  it.each([
    ['', 1, 1, 'Expecting value'],
    ['{"a": 1,}', 1, 9, 'Expecting property name enclosed in double quotes'],
    ['[1 2]', 1, 4, "Expecting ',' delimiter"],
    ['{"a" 1}', 1, 6, "Expecting ':' delimiter"],
    ['{}\n{}', 2, 1, 'Extra data'],
    ['"\\x"', 1, 2, 'Invalid \\escape'],
  ])('%j fails at %i:%i with %s', (text, line, column, message) => {
    let error: unknown;
    try {
      pythonJsonLoads(text, 'input_example.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe(`Malformed JSON in \`input_example.json\`: ${message}`);
    expect((error as MlfError).location).toMatchObject({ file: 'input_example.json', line, column });
  });
});

interface ExampleCase {
  name: string;
  kind: InputExampleType;
  info: Record<string, string>;
  inputExample: string;
  servingInput: string;
}
const exampleCases = load<ExampleCase[]>('input-example-cases.json');

describe('input example files as MLflow _Example writes them', () => {
  it.each(exampleCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const info = { artifact_path: c.info.artifact_path!, ...c.info };
    const read = readInputExample(c.inputExample, info);
    expect(read.type).toBe(c.kind);
    const built = buildInputExample({ type: read.type, data: read.data, ...(read.params ? { params: read.params } : {}) });
    expect(built.inputExampleText).toBe(c.inputExample);
    expect(built.servingInputText).toBe(c.servingInput);
    expect(built.info).toEqual(c.info);
  });

  it('rejects an unknown example type', () => {
    expect(() => readInputExample('[]', { artifact_path: 'input_example.json', type: 'tensor' })).toThrow(
      'Malformed input example metadata: `saved_input_example_info.type` is `tensor`; it must be one of `dataframe`, `ndarray`, `json_object`, `sparse_matrix_csc`, `sparse_matrix_csr`',
    );
  });
  it('needs {"inputs", "params"} when the example has params', () => {
    expect(() =>
      readInputExample('[1]', { artifact_path: 'input_example.json', type: 'json_object', params: 'true' }),
    ).toThrow('`input_example.json` must be {"inputs": ..., "params": {...}} because the example has params');
  });
  it('returns the data of a params example and its params', () => {
    const value = readInputExample('{"inputs": [1], "params": {"k": 2.0}}', {
      artifact_path: 'input_example.json',
      type: 'json_object',
      params: 'true',
    });
    expect(value).toEqual({ type: 'json_object', data: [1], params: { k: new PyFloat(2) } as Record<string, PyValue> });
  });
});
