import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import { PyFloat, PyTimestamp, safeDump } from '../../src/model/pyyaml.js';
import { parseYamlText } from '../../src/model/yaml-file.js';
import { decodeTagged } from '../support/python-values.js';

const cases = JSON.parse(readFileSync(new URL('./cases/pyyaml-cases.json', import.meta.url), 'utf8')) as Array<{
  name: string;
  sortKeys: boolean;
  expected: string;
}>;

describe('parseYamlText then safeDump reproduces every PyYAML output', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(safeDump(parseYamlText(c.expected, 'case.yaml').value, { sortKeys: c.sortKeys })).toBe(c.expected);
  });
});

describe('parseYamlText resolves plain scalars as PyYAML safe_load does', () => {
  it.each([
    ['python: 3.10', { python: 3.1 }],
    ['python: 3.0', { python: new PyFloat(3) }],
    ['v: 3.10.12', { v: '3.10.12' }],
    ["v: '3.10'", { v: '3.10' }],
    ['v: 1.0', { v: new PyFloat(1) }],
    ['v: 1.5', { v: 1.5 }],
    ['v: 1_000', { v: 1000 }],
    ['v: 017', { v: 15 }],
    ['v: 0x1F', { v: 31 }],
    ['v: 0b101', { v: 5 }],
    ['v: 1:30', { v: 90 }],
    ['v: 12345678901234567890', { v: 12345678901234567890n }],
    ['v: yes', { v: true }],
    ['v: Off', { v: false }],
    ['v: y', { v: 'y' }],
    ['v: ~', { v: null }],
    ['v:', { v: null }],
    ['v: .inf', { v: Infinity }],
    ['v: 2025-01-02', { v: new PyTimestamp('2025-01-02') }],
    ['v: 2025-1-2 3:04:05.1Z', { v: new PyTimestamp('2025-01-02 03:04:05.100000+00:00') }],
    ['v: 2025-01-02T03:04:05-05:30', { v: new PyTimestamp('2025-01-02 03:04:05-05:30') }],
    ['v: !!str 3.10', { v: '3.10' }],
    ['v: !!float 3', { v: new PyFloat(3) }],
    ['a: &x [1, 2]\nb: *x', { a: [1, 2], b: [1, 2] }],
    ['base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3', { base: { x: 1, y: 2 }, m: { x: 1, y: 3 } }],
    ['a: 1\na: 2', { a: 2 }],
    ['', null],
    ['# only a comment\n', null],
  ])('%j', (text, expected) => {
    expect(parseYamlText(text, 'f.yaml').value).toStrictEqual(expected);
  });
});

describe('parseYamlText errors', () => {
  it.each([
    ['a: b: c\n', 1, 'Malformed YAML in `MLmodel`: Nested mappings are not allowed in compact mappings'],
    ['flavors:\n  x: 1\n y: 2\n', 3],
    ['a: [1, 2\n', 2],
    ['a: =\n', 1, 'Malformed YAML in `MLmodel`: could not determine a constructor for the tag `tag:yaml.org,2002:value`'],
    ['a: !!python/object 1\n', 1, 'Malformed YAML in `MLmodel`: could not determine a constructor for the tag `tag:yaml.org,2002:python/object`'],
  ])('%j fails at line %i', (text, line, message?: string) => {
    const hint = message?.includes('constructor for the tag `tag:yaml.org,2002:python') ? /^Remove the tag/ : /^Fix the YAML syntax/;
    let error: unknown;
    try {
      parseYamlText(text, 'MLmodel');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MlfError);
    const mlfError = error as MlfError;
    expect(mlfError.code).toBe('MALFORMED_YAML');
    expect(mlfError.exitCode).toBe(2);
    expect(mlfError.location.file).toBe('MLmodel');
    expect(mlfError.location.line).toBe(line);
    if (message) expect(mlfError.message).toBe(message);
    expect(mlfError.hint).toMatch(hint);
  });
});

describe('lineOf', () => {
  const text = 'flavors:\n  python_function:\n    env:\n      conda: conda.yaml\n    loader_module: m\nlist:\n- a\n- b\n';
  const loaded = parseYamlText(text, 'MLmodel');
  it.each([
    [['flavors'], 1, 1],
    [['flavors', 'python_function', 'env', 'conda'], 4, 7],
    [['flavors', 'python_function', 'loader_module'], 5, 5],
    [['list', 1], 8, 3],
  ] as const)('%j', (path, line, column) => {
    expect(loaded.lineOf(path)).toEqual({ line, column });
  });
  it('is undefined for a missing path', () => {
    expect(loaded.lineOf(['flavors', 'nope'])).toBeUndefined();
  });
});

/** Mappings as entry lists, so that key order is compared too. */
function withOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withOrder);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).map(([k, v]) => [k, withOrder(v)]);
  }
  return value;
}

const loadCases = JSON.parse(readFileSync(new URL('./cases/pyyaml-load-cases.json', import.meta.url), 'utf8')) as Array<{
  name: string;
  text: string;
  value?: unknown;
  error?: string;
}>;

describe('parseYamlText builds what PyYAML safe_load builds', () => {
  it.each(loadCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(withOrder(parseYamlText(c.text, 'case.yaml').value)).toStrictEqual(withOrder(decodeTagged(c.value)));
  });
});
