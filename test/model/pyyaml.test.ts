import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonFloatRepr, resolvePlainTag, safeDump } from '../../src/model/pyyaml.js';
import { decodeTagged } from '../support/python-values.js';

interface PyyamlCase {
  name: string;
  sortKeys: boolean;
  value: unknown;
  expected: string;
}

const cases = JSON.parse(
  readFileSync(new URL('./cases/pyyaml-cases.json', import.meta.url), 'utf8'),
) as PyyamlCase[];

describe('safeDump matches PyYAML 6 safe_dump(default_flow_style=False)', () => {
  it('has the generated table', () => {
    expect(cases.length).toBeGreaterThan(900);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(safeDump(decodeTagged(c.value), { sortKeys: c.sortKeys })).toBe(c.expected);
  });
});

describe('pythonFloatRepr', () => {
  it.each([
    [0.1, '0.1'],
    [1, '1.0'],
    [-0, '-0.0'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e22, '1e+22'],
    [123456789.123, '123456789.123'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [NaN, 'nan'],
    [-Infinity, '-inf'],
  ])('%s -> %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe('resolvePlainTag (PyYAML resolver)', () => {
  it.each([
    ['3.10', 'float'],
    ['3.10.12', 'str'],
    ['12345', 'int'],
    ['1:30', 'int'],
    ['yes', 'bool'],
    ['y', 'str'],
    ['~', 'null'],
    ['', 'null'],
    ['2025-01-02 03:04:05.123456', 'timestamp'],
    ['<<', 'merge'],
    ['=', 'value'],
    ['.nan', 'float'],
    ['nan', 'str'],
  ])('%j is %s', (text, tag) => {
    expect(resolvePlainTag(text)).toBe(tag);
  });
});

describe('safeDump value model', () => {
  it('skips undefined properties', () => {
    expect(safeDump({ a: 1, b: undefined })).toBe('a: 1\n');
  });
  it('rejects values YAML cannot hold', () => {
    expect(() => safeDump({ a: () => 1 })).toThrow('cannot represent a value of type function in YAML');
  });
});
