import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  formatVersion,
  isPrerelease,
  isValidVersion,
  normalizeVersion,
  parseSpecifier,
  parseVersion,
  specifierContains,
  specifierKey,
  stripLocalVersion,
  tryParseSpecifier,
  tryParseVersion,
} from '../../src/deps/pep440.js';
import { versionText } from './arbitraries.js';
import { loadCases } from './cases/load.js';

interface NormalizeCase {
  input: string;
  normalized: string | null;
  public?: string;
  local?: string | null;
  prerelease?: boolean;
}
interface SingleCase {
  specifier: string;
  version: string;
  prereleases: boolean | null;
  contains: boolean;
}

const versions = loadCases<{ ordered: string[]; normalize: NormalizeCase[] }>('versions.json');
const specifiers = loadCases<{ single: SingleCase[] }>('specifiers.json');

describe('versions, against packaging 26.4', () => {
  it('orders packaging test_version.py VERSIONS list exactly (every pair)', () => {
    const { ordered } = versions;
    for (let i = 0; i < ordered.length; i += 1) {
      for (let j = 0; j < ordered.length; j += 1) {
        expect([ordered[i], ordered[j], compareVersions(ordered[i]!, ordered[j]!)]).toEqual([
          ordered[i],
          ordered[j],
          Math.sign(i - j),
        ]);
      }
    }
  });

  it.each(versions.normalize.filter((c) => c.normalized !== null))('normalizes $input to $normalized', (c) => {
    expect(normalizeVersion(c.input)).toBe(c.normalized);
    expect(isValidVersion(c.input)).toBe(true);
    expect(isPrerelease(parseVersion(c.input))).toBe(c.prerelease);
    const stripped = stripLocalVersion(c.input);
    expect(stripped.version).toBe(c.public);
    expect(stripped.local ?? null).toBe(c.local);
  });

  it.each(versions.normalize.filter((c) => c.normalized === null))('rejects $input', (c) => {
    expect(isValidVersion(c.input)).toBe(false);
    expect(tryParseVersion(c.input)).toBeUndefined();
    expect(() => parseVersion(c.input)).toThrow(expect.objectContaining({ code: 'INVALID_VERSION' }));
    expect(stripLocalVersion(c.input)).toEqual({ version: c.input });
  });

  it('is not semver', () => {
    const ascending = ['1.0.dev0', '1.0rc1', '1.0', '1.0+cu118', '1.0.post1', '1.1', '2!0.1'];
    expect([...ascending].reverse().sort(compareVersions)).toEqual(ascending);
  });

  it('strips the local label as MLflow does', () => {
    expect(stripLocalVersion('2.1.0+cu118')).toEqual({ version: '2.1.0', local: 'cu118' });
    expect(stripLocalVersion('2.1.0')).toEqual({ version: '2.1.0' });
    expect(stripLocalVersion('V1.0-1+Ubuntu-2')).toEqual({ version: '1.0.post1', local: 'ubuntu.2' });
  });
});

describe('version order properties', () => {
  it('is antisymmetric and agrees with itself', () => {
    fc.assert(
      fc.property(versionText, versionText, (a, b) => {
        expect(compareVersions(a, b)).toBe(-compareVersions(b, a) || 0);
        expect(compareVersions(a, a)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(versionText, versionText, versionText, (a, b, c) => {
        const ab = compareVersions(a, b);
        const bc = compareVersions(b, c);
        if (ab <= 0 && bc <= 0) expect(compareVersions(a, c)).toBe(ab === 0 && bc === 0 ? 0 : -1);
        if (ab >= 0 && bc >= 0) expect(compareVersions(a, c)).toBe(ab === 0 && bc === 0 ? 0 : 1);
      }),
      { numRuns: 500 },
    );
  });

  it('survives normalization (the normal form is the same version)', () => {
    fc.assert(
      fc.property(versionText, (text) => {
        const normal = formatVersion(parseVersion(text));
        expect(compareVersions(normal, text)).toBe(0);
        expect(normalizeVersion(normal)).toBe(normal);
      }),
    );
  });
});

describe('single specifiers, against packaging 26.4 (test_specifiers.py tables)', () => {
  it.each(specifiers.single)('$specifier contains $version (prereleases $prereleases): $contains', (c) => {
    const spec = parseSpecifier(c.specifier);
    const options = c.prereleases === null ? {} : { prereleases: c.prereleases };
    expect(specifierContains(spec, c.version, options)).toBe(c.contains);
  });

  it.each([
    ['>= 1.0', { operator: '>=', version: '1.0' }],
    ['  ===  foo bar', undefined],
    ['=== foo', { operator: '===', version: 'foo' }],
    ['~=1', undefined],
    ['==1.0.*', { operator: '==', version: '1.0.*' }],
    ['>=1.0+local', undefined],
    ['==1.0+local', { operator: '==', version: '1.0+local' }],
  ])('tryParseSpecifier(%j)', (text, spec) => {
    expect(tryParseSpecifier(text)).toEqual(spec);
  });

  it('throws INVALID_SPECIFIER with packaging wording', () => {
    expect(() => parseSpecifier('=>2.0')).toThrow(expect.objectContaining({ code: 'INVALID_SPECIFIER', message: 'Invalid specifier: `=>2.0`' }));
  });

  it.each([
    ['==1.0', '==1.0.0', true],
    ['==1.0', '==1', true],
    ['~=1.0', '~=1.0.0', false],
    ['==1.0.*', '==1.*', false],
    ['===ABC', '===abc', false],
    ['>=1.0', '>=1.0.0', true],
  ])('specifierKey(%s) == specifierKey(%s): %s', (a, b, same) => {
    expect(specifierKey(parseSpecifier(a)) === specifierKey(parseSpecifier(b))).toBe(same);
  });
});
