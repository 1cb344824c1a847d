import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import { EXCERPT_WIDTH, formatMarker } from '../../src/deps/markers.js';
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
  expect(mlfError.location.column).toBe(error.column);
  expect(mlfError.exitCode).toBe(2);
  const shown = expectPictureCut(mlfError.detail!, error.picture, text);
  expect(mlfError.message).toBe(`Invalid requirement \`${shown}\` at column ${error.column}: ${error.reason}`);
}

/**
 * mlf's picture is packaging's, or for a text longer than EXCERPT_WIDTH a window of it: the text
 * cut to at most that many characters (a cut end marked `…`) and the caret line cut at the same
 * place, so the caret stays under the same character. Returns the text mlf shows.
 */
function expectPictureCut(detail: string, packagingPicture: string, source: string): string {
  if (Array.from(source).length + 1 <= EXCERPT_WIDTH) {
    expect(detail).toBe(packagingPicture);
    return source;
  }
  const [text, caret] = packagingPicture.split('\n') as [string, string];
  const [shown, shownCaret] = detail.split('\n') as [string, string];
  const chars = Array.from(shown);
  expect(chars.length).toBeLessThanOrEqual(EXCERPT_WIDTH);
  const head = chars[0] === '…' ? 1 : 0;
  const inner = chars.slice(head, chars[chars.length - 1] === '…' ? -1 : undefined).join('');
  // Where the window starts in packaging's text: where the caret lines agree.
  const textChars = Array.from(text);
  const from = [...Array(textChars.length).keys()].find(
    (k) => textChars.slice(k, k + Array.from(inner).length).join('') === inner && ' '.repeat(head) + caret.slice(k) === shownCaret,
  );
  expect(from, `${detail}\n-- is no window of --\n${packagingPicture}`).toBeDefined();
  return shown;
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

describe('long requirements in error messages', () => {
  it('echoes at most EXCERPT_WIDTH characters of a 30,000-character requirement, the caret under the fault', () => {
    const text = `name==1.0${' '.repeat(15_000)}!${'x'.repeat(15_000)}`;
    const error = catchRequirementError(text);
    const [shown, caret] = error.detail!.split('\n') as [string, string];
    expect(Array.from(shown).length).toBeLessThanOrEqual(EXCERPT_WIDTH);
    expect(shown.startsWith('…') && shown.endsWith('…')).toBe(true);
    expect(shown[caret.indexOf('^')]).toBe('!');
    expect(error.location.column).toBe(text.indexOf('!') + 1);
    expect(error.message.length).toBeLessThan(EXCERPT_WIDTH + 200);
    expect(error.message).toContain(`\`${shown}\``);
  });

  it('keeps the start of a short-enough prefix and the whole end of the text', () => {
    const text = `name${'['.repeat(1)}a${' '.repeat(300)}b]`;
    const error = catchRequirementError(text);
    const [shown, caret] = error.detail!.split('\n') as [string, string];
    expect(shown.startsWith('…')).toBe(true);
    expect(shown.endsWith('b]')).toBe(true);
    expect(shown[caret.indexOf('^')]).toBe('b');
  });

  it('cuts the `~` span where the window starts', () => {
    const text = `name (>=1.0${' '.repeat(500)}`;
    const error = catchRequirementError(text);
    const [shown, caret] = error.detail!.split('\n') as [string, string];
    expect(caret).toMatch(/^ ~+\^$/);
    expect(caret.length).toBe(Array.from(shown).length + (shown.endsWith('…') ? 0 : 1));
  });
});

function catchRequirementError(text: string): MlfError {
  try {
    parseRequirement(text);
  } catch (error) {
    if (error instanceof MlfError) return error;
    throw error;
  }
  throw new Error(`${text} parsed`);
}
