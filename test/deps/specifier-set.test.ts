import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidateVersions, intersect, parseSpecifierList, SpecifierSet } from '../../src/deps/specifier-set.js';
import { specifierSetText, versionText } from './arbitraries.js';
import { loadCases } from './cases/load.js';

interface SetCase {
  specifier: string;
  setPrereleases: boolean | null;
  version: string;
  prereleases: boolean | null;
  contains: boolean;
}
interface FormattingCase {
  specifier: string;
  formatted: string;
  prereleases: boolean | null;
}
interface InvalidCase {
  specifier: string;
  error: string;
}
interface SatisfiabilityCase {
  specifier: string;
  prereleases?: boolean | null;
  unsatisfiable: boolean;
}
interface PairCase {
  a: string;
  b: string;
  combined: string;
  unsatisfiable: boolean;
}

const specifiers = loadCases<{ sets: SetCase[]; formatting: FormattingCase[]; invalid: InvalidCase[] }>('specifiers.json');
const intersections = loadCases<{ sets: SatisfiabilityCase[]; pairs: PairCase[]; triples: SatisfiabilityCase[] }>(
  'intersections.json',
);

const setOptions = (prereleases: boolean | null | undefined) => (prereleases == null ? {} : { prereleases });

describe('SpecifierSet, against packaging 26.4', () => {
  it.each(specifiers.sets)(
    '$specifier (set prereleases $setPrereleases) contains $version (prereleases $prereleases): $contains',
    (c) => {
      const set = SpecifierSet.parse(c.specifier, setOptions(c.setPrereleases));
      expect(set.contains(c.version, setOptions(c.prereleases))).toBe(c.contains);
    },
  );

  it.each(specifiers.formatting)('formats $specifier as $formatted', (c) => {
    const set = SpecifierSet.parse(c.specifier);
    expect(set.toString()).toBe(c.formatted);
    expect(set.allowsPrereleases ?? null).toBe(c.prereleases);
  });

  it.each(specifiers.invalid.filter((c) => c.error))('rejects $specifier', (c) => {
    // packaging: "Invalid specifier: 'x'"; mlf quotes values in backticks.
    const item = /^Invalid specifier: '(.*)'$/.exec(c.error)![1]!;
    expect(() => SpecifierSet.parse(c.specifier)).toThrow(
      expect.objectContaining({ code: 'INVALID_SPECIFIER', message: `Invalid specifier: \`${item}\`` }),
    );
  });

  it('reports where the bad item is', () => {
    try {
      parseSpecifierList('>=1.0,  foo');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ data: { specifier: 'foo', offset: 8 } });
    }
  });

  it('compares sets up to order and spelling', () => {
    expect(SpecifierSet.parse('>=1.0,!=1.5').equals(SpecifierSet.parse('!=1.5.0, >=1'))).toBe(true);
    expect(SpecifierSet.parse('>=1.0').equals(SpecifierSet.parse('>1.0'))).toBe(false);
  });

  it('refuses to combine opposite explicit pre-release policies', () => {
    expect(() => new SpecifierSet([], { prereleases: true }).and(new SpecifierSet([], { prereleases: false }))).toThrow(
      expect.objectContaining({ code: 'CONFLICTING_PRERELEASES' }),
    );
  });
});

describe('satisfiability, against packaging 26.4 is_unsatisfiable()', () => {
  it.each(intersections.sets)('$specifier (prereleases $prereleases): unsatisfiable $unsatisfiable', (c) => {
    const set = SpecifierSet.parse(c.specifier, setOptions(c.prereleases));
    expect(set.isUnsatisfiable()).toBe(c.unsatisfiable);
    const example = set.findSatisfyingVersion();
    if (c.unsatisfiable) expect(example).toBeUndefined();
    else if (set.size > 0) expect(set.contains(example!)).toBe(true);
  });

  it.each(intersections.triples)('$specifier: unsatisfiable $unsatisfiable', (c) => {
    expect(SpecifierSet.parse(c.specifier).isUnsatisfiable()).toBe(c.unsatisfiable);
  });
});

describe('intersect', () => {
  it.each(intersections.pairs)('$a & $b = $combined (unsatisfiable $unsatisfiable)', (c) => {
    const result = intersect(SpecifierSet.parse(c.a), SpecifierSet.parse(c.b));
    expect(result.set.toString()).toBe(c.combined);
    expect(result.satisfiable).toBe(!c.unsatisfiable);
    if (result.example !== undefined) {
      expect(SpecifierSet.parse(c.a).contains(result.example)).toBe(true);
      expect(SpecifierSet.parse(c.b).contains(result.example)).toBe(true);
    }
  });

  it.each([
    ['==1.5.2', '>=2', false, undefined],
    ['>=1,<2', '~=1.5', true, '1.5'],
    ['==1.*', '!=1.*', false, undefined],
    ['==1.5.2', '>=1.0', true, '1.5.2'],
    ['', '', true, undefined],
  ])('the brief: %s and %s satisfiable=%s (e.g. %s)', (a, b, satisfiable, example) => {
    const result = intersect(SpecifierSet.parse(a), SpecifierSet.parse(b));
    expect(result.satisfiable).toBe(satisfiable);
    expect(result.example).toBe(example);
  });

  it('tests candidates just above the posts of a final release', () => {
    // Only versions with a longer release (1.0.0.0.1, ...) lie between the posts of 1.0 and 1.0.0.1.
    const result = intersect(SpecifierSet.parse('>1.0'), SpecifierSet.parse('<1.0.0.1'));
    expect(result.satisfiable).toBe(true);
    expect(result.example).toBe('1.0.0.0.1.dev0');
    expect(result.set.contains('1.0.0.0.5')).toBe(true);
    expect(result.set.contains('1.0.post7')).toBe(false);
  });

  it('finds a final release when pre-releases are refused', () => {
    const set = SpecifierSet.parse('>1.0a1,<1.0.0.1', { prereleases: false });
    expect(set.findSatisfyingVersion()).toBe('1.0');
    expect(candidateVersions(set.specifiers).length).toBeGreaterThan(5);
  });
});

describe('intersect properties', () => {
  const sets = specifierSetText.map((text) => SpecifierSet.parse(text));

  it('is symmetric', () => {
    fc.assert(
      fc.property(sets, sets, (a, b) => {
        const ab = intersect(a, b);
        const ba = intersect(b, a);
        expect(ba.satisfiable).toBe(ab.satisfiable);
        expect(ba.set.toString()).toBe(ab.set.toString());
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every version that is in both sets, and finds one when there is one', () => {
    fc.assert(
      fc.property(sets, sets, fc.array(versionText, { minLength: 1, maxLength: 8 }), (a, b, versions) => {
        const result = intersect(a, b);
        for (const version of versions) {
          const inBoth = a.contains(version) && b.contains(version);
          expect(result.set.contains(version)).toBe(inBoth);
          if (inBoth) expect(result.satisfiable).toBe(true);
        }
        if (result.example !== undefined) {
          expect(a.contains(result.example)).toBe(true);
          expect(b.contains(result.example)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
