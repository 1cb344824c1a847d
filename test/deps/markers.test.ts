import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import {
  decodePythonString,
  evaluateMarker,
  formatMarker,
  normalizeMarker,
  parseMarker,
  type MarkerContext,
} from '../../src/deps/markers.js';
import { loadCases, type ExpectedSyntaxError } from './cases/load.js';

interface ParseCase {
  input: string;
  formatted?: string;
  formatError?: string;
  error?: ExpectedSyntaxError;
}
interface EvaluateCase {
  marker: string;
  environment: Record<string, string | string[] | null>;
  context: MarkerContext;
  result?: boolean;
  error?: 'UndefinedComparison' | 'UndefinedEnvironmentName';
}

const table = loadCases<{ parse: ParseCase[]; evaluate: EvaluateCase[] }>('markers.json');

/** packaging reads `\N{BULLET}` with Python's Unicode name table; mlf has none and rejects the string. */
const DIVERGENCES = new Set(["os_name == '\\N{BULLET}x'"]);

const parseCases = table.parse.filter((c) => !DIVERGENCES.has(c.input));

describe('parseMarker and formatMarker, against packaging 26.4', () => {
  it.each(parseCases.filter((c) => c.formatted !== undefined))('formats $input', (c) => {
    expect(formatMarker(parseMarker(c.input))).toBe(c.formatted);
    expect(normalizeMarker(c.input)).toBe(c.formatted);
    // The normalized form parses back to itself.
    expect(normalizeMarker(c.formatted!)).toBe(c.formatted);
  });

  it.each(parseCases.filter((c) => c.error !== undefined))('rejects $input', (c) => {
    let thrown: unknown;
    try {
      parseMarker(c.input);
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBeInstanceOf(MlfError);
    const error = thrown as MlfError;
    expect(error.code).toBe('INVALID_MARKER');
    expect(error.message).toBe(`Invalid marker \`${c.input}\` at column ${c.error!.column}: ${c.error!.reason}`);
    expect(error.location.column).toBe(c.error!.column);
    expect(error.detail).toBe(c.error!.picture);
  });

  it('rejects \\N{...} escapes (known difference: no Unicode name table)', () => {
    expect(() => parseMarker("os_name == '\\N{BULLET}x'")).toThrow(
      "Invalid marker `os_name == '\\N{BULLET}x'` at column 25: Invalid quoted string",
    );
  });

  it('refuses to format a value with both quote characters, as packaging does', () => {
    expect(() => normalizeMarker("os_name == 'a\\x22b\\x27c'")).toThrow(
      expect.objectContaining({ code: 'UNFORMATTABLE_MARKER' }),
    );
  });

  it('builds the tree packaging builds', () => {
    expect(parseMarker('python_version > "3.6" or (os.name == "unix" and extra == "Foo_Bar")')).toEqual([
      { kind: 'comparison', left: { kind: 'variable', name: 'python_version' }, op: '>', right: { kind: 'value', value: '3.6' } },
      'or',
      [
        { kind: 'comparison', left: { kind: 'variable', name: 'os_name' }, op: '==', right: { kind: 'value', value: 'unix' } },
        'and',
        { kind: 'comparison', left: { kind: 'variable', name: 'extra' }, op: '==', right: { kind: 'value', value: 'foo-bar' } },
      ],
    ]);
  });
});

const ERROR_CODES = {
  UndefinedComparison: 'MARKER_UNDEFINED_COMPARISON',
  UndefinedEnvironmentName: 'MARKER_UNDEFINED_VARIABLE',
} as const;

/** JSON arrays stand for Python sets (`extras`, `dependency_groups`); null for None. */
function environmentOf(c: EvaluateCase): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(c.environment).map(([key, value]) => [key, value ?? undefined]));
}

describe('evaluateMarker, against packaging 26.4', () => {
  it.each(table.evaluate.filter((c) => c.result !== undefined))('$marker with $environment ($context) is $result', (c) => {
    expect(evaluateMarker(c.marker, environmentOf(c), { context: c.context })).toBe(c.result);
  });

  it.each(table.evaluate.filter((c) => c.error !== undefined))('$marker ($context) raises $error', (c) => {
    expect(() => evaluateMarker(c.marker, environmentOf(c), { context: c.context })).toThrow(
      expect.objectContaining({ code: ERROR_CODES[c.error!] }),
    );
  });

  it('names the missing variable', () => {
    expect(() => evaluateMarker('python_version >= "3.8"', {})).toThrow('Marker variable `python_version` is not defined in the environment');
  });

  it('accepts a parsed tree and Set values', () => {
    const tree = parseMarker('"gpu" in extras and python_version >= "3.10"');
    expect(evaluateMarker(tree, { extras: new Set(['GPU']), python_version: '3.11' })).toBe(true);
    expect(evaluateMarker(tree, { extras: new Set(['cpu']), python_version: '3.11' })).toBe(false);
  });
});

describe('decodePythonString (ast.literal_eval of a quoted string)', () => {
  it.each([
    [`'plain'`, 'plain'],
    [`""`, ''],
    [`'a\\'`, undefined],
    [`'\\x41\\u00e9\\n\\t'`, 'A\u00e9\n\t'],
    [`'\\101\\0'`, 'A\0'],
    [`'\\d\\w'`, '\\d\\w'],
    [`'\\\\'`, '\\'],
    [`'\\x4'`, undefined],
    [`'\\u00e'`, undefined],
    [`'\\U0001F600'`, '\u{1F600}'],
    [`'\\U00110000'`, undefined],
    [`'line\\\nbreak'`, 'linebreak'],
    [`'line\nbreak'`, undefined],
    [`'a\0b'`, undefined],
    [`"it's"`, "it's"],
    [`'\\N{BULLET}'`, undefined],
  ])('%j -> %j', (quoted, value) => {
    expect(decodePythonString(quoted)).toBe(value);
  });
});
