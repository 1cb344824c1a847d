import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import { formatMarker } from '../../src/deps/markers.js';
import {
  canonicalizeName,
  formatRequirement,
  parseRequirement,
  requirementSpecifierSet,
  tryParseRequirement,
  type Requirement,
} from '../../src/deps/pep508.js';
import { loadCases, type ExpectedSyntaxError } from './cases/load.js';

interface ValidCase {
  input: string;
  name: string;
  extras: string[];
  specifier: string;
  specifiers: Array<[string, string]>;
  url: string | null;
  marker: string | null;
  formatted: string;
}
interface InvalidCase {
  input: string;
  error: ExpectedSyntaxError;
}

const cases = loadCases<Array<ValidCase | InvalidCase>>('requirements.json');
const valid = cases.filter((c): c is ValidCase => !('error' in c));
const invalid = cases.filter((c): c is InvalidCase => 'error' in c);

function expectSyntaxError(text: string, error: ExpectedSyntaxError): void {
  let thrown: unknown;
  try {
    parseRequirement(text);
  } catch (caught) {
    thrown = caught;
  }
  expect(thrown).toBeInstanceOf(MlfError);
  const mlfError = thrown as MlfError;
  expect(mlfError.code).toBe('INVALID_REQUIREMENT');
  expect(mlfError.message).toBe(`Invalid requirement \`${text}\` at column ${error.column}: ${error.reason}`);
  expect(mlfError.location.column).toBe(error.column);
  expect(mlfError.detail).toBe(error.picture);
  expect(mlfError.exitCode).toBe(2);
}

describe('parseRequirement and formatRequirement, against packaging 26.4', () => {
  it('has the table the brief asks for', () => {
    expect(valid.length).toBeGreaterThan(150);
    expect(invalid.length).toBeGreaterThan(100);
  });

  it.each(valid)('parses and formats $input', (c) => {
    const req = parseRequirement(c.input);
    expect(req.name).toBe(c.name);
    expect(req.extras).toEqual(c.extras);
    expect(req.specifier).toBe(c.specifier);
    expect(req.specifiers.map((s) => [s.operator, s.version])).toEqual(c.specifiers);
    expect(req.url ?? null).toBe(c.url);
    expect(req.markerTree ? formatMarker(req.markerTree) : null).toBe(c.marker);
    expect(formatRequirement(req)).toBe(c.formatted);
  });

  it.each(invalid)('rejects $input', (c) => {
    expectSyntaxError(c.input, c.error);
  });
});

describe('parseRequirement details', () => {
  it('keeps the texts as written and records spans', () => {
    const text = 'Foo.Bar [Sec , tests] ( >= 1.0 , <2 ) ;  python_version>"3.8"  ';
    const req = parseRequirement(text);
    expect(req).toMatchObject({
      name: 'Foo.Bar',
      extras: ['Sec', 'tests'],
      specifier: '>= 1.0,<2',
      marker: 'python_version>"3.8"',
    });
    expect(req.url).toBeUndefined();
    expect(text.slice(...req.spans.name)).toBe('Foo.Bar');
    expect(text.slice(...req.spans.extras!)).toBe('[Sec , tests]');
    expect(text.slice(...req.spans.specifier!)).toBe('( >= 1.0 , <2 )');
    expect(text.slice(...req.spans.marker!)).toBe('python_version>"3.8"');
    expect(formatRequirement(req)).toBe('Foo.Bar[Sec,tests]<2,>=1.0; python_version > "3.8"');
  });

  it('records the url span', () => {
    const text = 'pkg @ https://host/pkg.whl ; os_name == "posix"';
    const req = parseRequirement(text);
    expect(text.slice(...req.spans.url!)).toBe('https://host/pkg.whl');
    expect(req.marker).toBe('os_name == "posix"');
  });

  it('counts columns in characters, not UTF-16 units', () => {
    // U+1F600 is two UTF-16 units and one Python character.
    expectSyntaxError("name; os_name == '\u{1F600}' x", {
      reason: 'Expected end of dependency specifier',
      column: 22,
      picture: "name; os_name == '\u{1F600}' x\n                     ^",
    });
  });

  it('gives a hint and machine-readable data', () => {
    const error = (() => {
      try {
        parseRequirement('name >= 1.0 <= 2.0');
      } catch (caught) {
        return caught as MlfError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.hint).toContain('PEP 508');
    expect(error.data).toEqual({
      reason: 'Expected comma (within version specifier), semicolon (after version specifier) or end',
      text: 'name >= 1.0 <= 2.0',
      span: [5, 12],
    });
  });

  it.each([
    ['pandas>=2', 'pandas'],
    ['-e .', undefined],
    ['--index-url https://example.com/simple', undefined],
    ['', undefined],
  ])('tryParseRequirement(%j) names %j', (text, name) => {
    expect(tryParseRequirement(text)?.name).toBe(name);
  });
});

describe('formatRequirement on requirements built by hand (as merge does)', () => {
  it.each<[Requirement, string]>([
    [{ name: 'scikit-learn', extras: [], specifier: '==1.5.2,>=1.0' }, 'scikit-learn==1.5.2,>=1.0'],
    [{ name: 'mlflow', extras: [], specifier: '>= 2.8, != 2.9.0' }, 'mlflow!=2.9.0,>=2.8'],
    [{ name: 'pkg', extras: ['b', 'a', 'b'], specifier: '>1' }, 'pkg[a,b]>1'],
    [{ name: 'pkg', extras: [], specifier: '', marker: "python_version>'3.8'" }, 'pkg; python_version > "3.8"'],
    [{ name: 'pkg', extras: ['x'], specifier: '', url: 'https://h/p.whl', marker: 'os_name=="nt"' }, 'pkg[x] @ https://h/p.whl ; os_name == "nt"'],
    [{ name: 'pkg', extras: [], specifier: '==1.0,==1.0.0,>=0.5' }, 'pkg==1.0,>=0.5'],
    [{ name: 'pkg', extras: [], specifier: '', marker: '' }, 'pkg'],
  ])('%j -> %s', (req, formatted) => {
    expect(formatRequirement(req)).toBe(formatted);
  });

  it('re-reads an edited marker instead of the parsed tree', () => {
    const req = parseRequirement('pkg; os_name == "a"');
    expect(formatRequirement({ ...req, marker: 'os_name == "b"' })).toBe('pkg; os_name == "b"');
  });

  it('refuses an invalid specifier text', () => {
    expect(() => formatRequirement({ name: 'pkg', extras: [], specifier: '>=1.0,foo' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SPECIFIER', message: 'Invalid specifier: `foo`' }),
    );
  });

  it('refuses a marker value holding both quote characters, as packaging does', () => {
    expect(() => formatRequirement({ name: 'pkg', extras: [], specifier: '', marker: "os_name == 'a\\x22b\\x27c'" })).toThrow(
      expect.objectContaining({ code: 'UNFORMATTABLE_MARKER' }),
    );
  });

  it('gives the specifier set', () => {
    const set = requirementSpecifierSet(parseRequirement('pkg >= 1.0, != 1.5'));
    expect(set.toString()).toBe('!=1.5,>=1.0');
    expect(set.contains('1.5')).toBe(false);
    expect(set.contains('1.6')).toBe(true);
  });
});

describe('canonicalizeName (PEP 503)', () => {
  it.each([
    ['Django', 'django'],
    ['oslo.concurrency', 'oslo-concurrency'],
    ['requests', 'requests'],
    ['Foo.Bar__baz', 'foo-bar-baz'],
    ['scikit_learn', 'scikit-learn'],
    ['PyYAML', 'pyyaml'],
    ['a-_.-b', 'a-b'],
    ['_not_legal', '-not-legal'],
    ['mlflow[gateway]', 'mlflow[gateway]'],
  ])('%s -> %s', (name, canonical) => {
    expect(canonicalizeName(name)).toBe(canonical);
  });
});
