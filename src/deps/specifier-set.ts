/**
 * A set of version specifiers (`>=1.0,!=1.5,<2`), as packaging 26.4's `SpecifierSet`:
 * parsing, membership, its string form, and an offline intersection that tells whether any
 * version can satisfy every specifier.
 *
 * ## How satisfiability is decided (the candidate method)
 *
 * Each specifier accepts a union of intervals of the PEP 440 order whose end points are
 * derived from its own version V: V itself, `V.dev0` (`<V`), the first version of the next
 * prefix (`==V.*`, `~=V`), "just after every V+local" (`<=V`, `==V`, `!=V`) and "just after
 * every V.postN" (`>V`). The intersection of several specifiers is therefore a union of
 * cells between consecutive end points. It is non-empty exactly when one of these cells
 * holds a version that every specifier accepts, and all versions inside one cell are treated
 * alike by every specifier. So it is enough to test one representative per cell:
 *
 *  - every end point R itself, and `R+<fresh local>` (the local family right above R;
 *    locals named in `==V+l`/`!=V+l` are end points themselves);
 *  - the least version after R's local family (`R.post0.dev0`, `R.devN+1`, `R.postN+1.dev0`);
 *  - above "every post of R": `R.aN+1.dev0` for a pre-release R, and for a final R a version
 *    with a longer release (`1.0` -> `1.0.0.…0.1.dev0` and `…1`) that sits below every other
 *    end point, because it is longer than any release mentioned;
 *  - the lowest final release at or above each of those (so that with pre-releases refused a
 *    cell holding a final release is still found), and the least versions `0.dev0` and `0`.
 *
 * Every candidate is then checked with `contains`; a set is unsatisfiable when none passes.
 * `===` specifiers admit only their literal text, which is the only candidate then (as packaging
 * does). The method is checked against packaging's `is_unsatisfiable` on generated cases in
 * test/deps/cases/intersections.json.
 *
 * ## Many specifiers
 *
 * Testing every candidate against every specifier is quadratic: a requirement line of a few
 * thousand specifiers (`>1,>2,>3,...`) took seconds, a long line hung. So the set is reduced
 * first, without changing which versions it admits. Every specifier but `!=` admits one
 * interval of the PEP 440 order (packaging's `standard_ranges`/`wildcard_ranges`), and
 * intervals intersect into the interval of the tightest lower and the tightest upper end, so
 * only those two specifiers are kept; which of two ends is tighter is told by the least (or
 * greatest) of the pair's own candidates each admits, which the cell argument above makes exact.
 * A `!=` admits everything but one interval (a "hole"): candidates are sorted, so each hole
 * covers a run of them, found from the hole's own version outwards, skipping runs already
 * covered; the answer is the least uncovered candidate inside both ends. The candidate with a
 * longer release (`1.0` -> `1.0.0.1`) is made only as long as the shortest longer release that
 * starts like it requires, not as long as the longest release anywhere.
 */
import { inputError } from '../errors.js';
import {
  compareVersions,
  formatSpecifier,
  formatVersion,
  isPrerelease,
  nextPrefixDev0,
  publicVersion,
  pythonStrip,
  specifierAllowsPrereleases,
  specifierKey,
  specifierMatches,
  tryParseSpecifier,
  trimRelease,
  tryParseVersion,
  type Specifier,
  type Version,
} from './pep440.js';

/** One comma-separated item of a specifier list, with its offset (UTF-16) in the list text. */
export interface SpecifierListItem {
  text: string;
  offset: number;
}

/** packaging's split: on every comma, items stripped, empty items dropped. */
export function splitSpecifierList(text: string): SpecifierListItem[] {
  const items: SpecifierListItem[] = [];
  let offset = 0;
  for (const segment of text.split(',')) {
    const stripped = pythonStrip(segment);
    if (stripped) items.push({ text: stripped, offset: offset + segment.indexOf(stripped) });
    offset += segment.length + 1;
  }
  return items;
}

/**
 * The specifiers of a comma-separated list, in written order. Throws MlfError
 * `INVALID_SPECIFIER` ("Invalid specifier: `y`", packaging's wording) with `data.offset`
 * set to the offending item's offset in `text`.
 */
export function parseSpecifierList(text: string): Specifier[] {
  return splitSpecifierList(text).map((item) => {
    const spec = tryParseSpecifier(item.text);
    if (!spec) {
      throw inputError('INVALID_SPECIFIER', `Invalid specifier: \`${item.text}\``, {
        hint: 'A specifier is an operator (~= == != <= >= < > ===) and a PEP 440 version, e.g. `>=1.2`.',
        data: { specifier: item.text, offset: item.offset },
      });
    }
    return spec;
  });
}

/** Python's default string order (by code point), which packaging sorts specifiers with. */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i += 1) {
    const x = left[i]!.codePointAt(0)!;
    const y = right[i]!.codePointAt(0)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

export interface SpecifierSetOptions {
  /** An explicit pre-release policy for the whole set (packaging's `prereleases=` argument). */
  prereleases?: boolean;
}

export class SpecifierSet {
  /** The specifiers in the order they were given (duplicates kept). */
  readonly specifiers: readonly Specifier[];
  /** The explicit pre-release policy, if one was given. */
  readonly prereleases: boolean | undefined;

  constructor(specifiers: readonly Specifier[] = [], options: SpecifierSetOptions = {}) {
    this.specifiers = [...specifiers];
    this.prereleases = options.prereleases;
  }

  /** Parse `>=1.0, !=1.5` (throws `INVALID_SPECIFIER`). The empty string is the set with no specifiers. */
  static parse(text: string, options: SpecifierSetOptions = {}): SpecifierSet {
    return new SpecifierSet(parseSpecifierList(text), options);
  }

  get size(): number {
    return this.specifiers.length;
  }

  /**
   * packaging's `SpecifierSet.prereleases`: the explicit policy, else true when any specifier
   * names a pre-release (`>=2.0b1`), else undefined (no opinion).
   */
  get allowsPrereleases(): boolean | undefined {
    if (this.prereleases !== undefined) return this.prereleases;
    if (this.specifiers.some((spec) => specifierAllowsPrereleases(spec) === true)) return true;
    return undefined;
  }

  /**
   * The specifiers sorted as strings with equivalent ones (`==1.0`, `==1.0.0`) removed, the
   * first in that order kept: packaging's `_canonical_specs`.
   */
  canonicalSpecifiers(): Specifier[] {
    const sorted = [...this.specifiers].sort((a, b) => compareCodePoints(formatSpecifier(a), formatSpecifier(b)));
    const seen = new Set<string>();
    return sorted.filter((spec) => {
      const key = specifierKey(spec);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** packaging's `str(SpecifierSet)`: `>=1.0, !=1.5` -> `!=1.5,>=1.0`. */
  toString(): string {
    return this.canonicalSpecifiers().map(formatSpecifier).join(',');
  }

  /** Same specifiers up to order, duplicates and equivalent spellings (pre-release policy ignored, as packaging does). */
  equals(other: SpecifierSet): boolean {
    const left = this.canonicalSpecifiers().map(specifierKey);
    const right = other.canonicalSpecifiers().map(specifierKey);
    return left.length === right.length && left.every((key, i) => key === right[i]);
  }

  /**
   * packaging's `SpecifierSet.contains(version, prereleases)`: every specifier holds, and a
   * pre-release is refused only when pre-releases are refused (by `options` or the set's own
   * policy). An invalid version is contained only through `===` or by the empty set.
   */
  contains(version: string | Version, options: { prereleases?: boolean } = {}): boolean {
    const parsed = typeof version === 'string' ? tryParseVersion(version) : version;
    const prereleases = options.prereleases ?? this.allowsPrereleases;
    if (prereleases === false && parsed && isPrerelease(parsed)) return false;
    return this.specifiers.every((spec) => (spec.operator === '===' || parsed ? specifierMatches(spec, version) : false));
  }

  /** packaging's `&`: all specifiers of both sets. Throws when the two explicit pre-release policies disagree. */
  and(other: SpecifierSet): SpecifierSet {
    let prereleases: boolean | undefined;
    if (this.prereleases === undefined || this.prereleases === other.prereleases) prereleases = other.prereleases;
    else if (other.prereleases === undefined) prereleases = this.prereleases;
    else {
      throw inputError(
        'CONFLICTING_PRERELEASES',
        'Cannot combine SpecifierSets with True and False prerelease overrides.',
      );
    }
    return new SpecifierSet([...this.specifiers, ...other.specifiers], { prereleases });
  }

  /**
   * A version that satisfies every specifier (see the module comment for the method), or
   * undefined when none can: the least such candidate. Near-linear in the number of specifiers
   * (see "Many specifiers" in the module comment).
   */
  findSatisfyingVersion(): string | undefined {
    const refusePrereleases = this.allowsPrereleases === false;
    const arbitrary = this.specifiers.filter((spec) => spec.operator === '===');
    if (arbitrary.length > 0) {
      const literal = arbitrary[0]!.version;
      if (arbitrary.some((spec) => spec.version.toLowerCase() !== literal.toLowerCase())) return undefined;
      return this.contains(literal) ? literal : undefined;
    }
    const reduced = reduceSpecifiers(this.specifiers);
    if (!reduced) return undefined;
    const { bounds, holes } = reduced;
    const candidates = candidateVersions([...bounds, ...holes]);
    const covered = coverHoles(candidates, holes);
    for (let i = covered.nextOpen(0); i < candidates.length; i = covered.nextOpen(i + 1)) {
      const candidate = candidates[i]!;
      if (refusePrereleases && isPrerelease(candidate)) continue;
      if (bounds.every((spec) => specifierMatches(spec, candidate))) return formatVersion(candidate);
    }
    return undefined;
  }

  /** packaging's `is_unsatisfiable`: no version at all can satisfy every specifier. */
  isUnsatisfiable(): boolean {
    return this.specifiers.length > 0 && this.findSatisfyingVersion() === undefined;
  }
}

export interface SpecifierIntersection {
  /** Every specifier of both sets; its `toString()` is packaging's `str(a & b)`. */
  set: SpecifierSet;
  /** False when no version can satisfy both sets: the requirements conflict. */
  satisfiable: boolean;
  /** A version in both sets, when satisfiable (undefined for two empty sets). */
  example?: string;
}

/**
 * The intersection of two specifier sets, decided offline: `==1.5.2` and `>=2` do not
 * intersect; `>=1,<2` and `~=1.5` do (e.g. `1.5`).
 */
export function intersect(a: SpecifierSet, b: SpecifierSet): SpecifierIntersection {
  const set = a.and(b);
  if (set.size === 0) return { set, satisfiable: true };
  const example = set.findSatisfyingVersion();
  return example === undefined ? { set, satisfiable: false } : { set, satisfiable: true, example };
}

// ---------------------------------------------------------------------------------------
// Candidates
// ---------------------------------------------------------------------------------------

function version(epoch: number, release: number[], parts: Partial<Pick<Version, 'pre' | 'post' | 'dev' | 'local'>> = {}): Version {
  const result: Version = { epoch, release };
  if (parts.pre) result.pre = parts.pre;
  if (parts.post !== undefined) result.post = parts.post;
  if (parts.dev !== undefined) result.dev = parts.dev;
  if (parts.local) result.local = parts.local;
  return result;
}

/** The end points of one specifier's accepted intervals that are real versions. */
function boundaryVersions(spec: Specifier): Version[] {
  const wildcard = spec.version.endsWith('.*');
  const base = tryParseVersion(wildcard ? spec.version.slice(0, -2) : spec.version);
  if (!base) return [];
  const points: Version[] = [base, publicVersion(base)];
  const { epoch, release } = base;
  points.push(version(epoch, release, { dev: 0 }));
  if (wildcard) points.push(nextPrefixDev0(base));
  if (spec.operator === '~=' && release.length > 1) points.push(nextPrefixDev0(version(epoch, release.slice(0, -1))));
  if (spec.operator === '<' && !isPrerelease(base)) points.push({ ...publicVersion(base), dev: 0 });
  if (base.dev !== undefined) points.push({ ...publicVersion(base), dev: base.dev + 1 });
  if (base.post !== undefined) points.push({ ...publicVersion(base), post: base.post + 1, dev: 0 });
  return points;
}

function freshLocal(taken: ReadonlySet<string>): Array<string | number> {
  let label = 'mlfcandidate';
  for (let n = 0; taken.has(label); n += 1) label = `mlfcandidate${n}`;
  return [label];
}

/** Representatives of every cell between the end points of `specs` (module comment), sorted, each once. */
export function candidateVersions(specs: readonly Specifier[]): Version[] {
  return dedupe(rawCandidates(specs));
}

/** As candidateVersions, unsorted and with repeats. */
function rawCandidates(specs: readonly Specifier[]): Version[] {
  const points = specs.flatMap(boundaryVersions);
  const takenLocals = new Set(points.filter((p) => p.local).map((p) => p.local!.join('.')));
  const local = freshLocal(takenLocals);
  const paddedLength = extensionLengths(points);
  const candidates: Version[] = [version(0, [0], { dev: 0 }), version(0, [0])];
  for (const point of points) {
    const { epoch, release, pre, post, dev } = point;
    const pub = publicVersion(point);
    candidates.push(point, { ...pub, local });
    // The least version above R's local family.
    if (dev !== undefined) candidates.push({ ...pub, dev: dev + 1 });
    else candidates.push({ ...pub, post: (post ?? -1) + 1, dev: 0 }, { ...pub, post: (post ?? -1) + 1 });
    // Above R's post-releases.
    if (pre) {
      candidates.push(version(epoch, release, { pre: [pre[0], pre[1] + 1], dev: 0 }));
    } else {
      const length = paddedLength(point);
      const padded = [...release, ...Array<number>(Math.max(0, length - release.length)).fill(0), 1];
      candidates.push(version(epoch, padded, { dev: 0 }), version(epoch, padded));
    }
    // The lowest final release at or above R.
    if (pre) candidates.push(version(epoch, release));
    else if (dev !== undefined) candidates.push(version(epoch, release, post === undefined ? {} : { post }));
  }
  return candidates;
}

/**
 * For a point R, the release length a version `R.0…0.1` needs to sit above all of R's
 * post-releases and below every other end point: the length of the smallest release (of R's
 * epoch, trailing zeros dropped) that extends R's, or R's own length when none does. Sorting
 * the releases puts that smallest extension right after R.
 */
function extensionLengths(points: readonly Version[]): (point: Version) => number {
  const keys = new Map<string, { epoch: number; release: number[] }>();
  for (const point of points) {
    const release = trimRelease(point.release);
    keys.set(`${point.epoch}!${release.join('.')}`, { epoch: point.epoch, release });
  }
  const sorted = [...keys.entries()].sort(([, a], [, b]) => a.epoch - b.epoch || compareReleases(a.release, b.release));
  const next = new Map<string, number>();
  sorted.forEach(([key, { epoch, release }], index) => {
    const following = sorted[index + 1]?.[1];
    const extends_ =
      following !== undefined &&
      following.epoch === epoch &&
      following.release.length > release.length &&
      release.every((part, k) => following.release[k] === part);
    next.set(key, extends_ ? following.release.length : release.length);
  });
  return (point) => Math.max(point.release.length, next.get(`${point.epoch}!${trimRelease(point.release).join('.')}`) ?? 0);
}

/** Lexicographic order of two releases (a prefix first). */
function compareReleases(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------
// Many specifiers (module comment)
// ---------------------------------------------------------------------------------------

/**
 * The set reduced to the specifiers that decide it: `bounds`, the tightest lower and upper
 * ends among the interval specifiers (one or two, none without any), and the `!=` holes,
 * equivalent ones once. Undefined when an interval specifier admits nothing or two ends cross.
 */
function reduceSpecifiers(specifiers: readonly Specifier[]): { bounds: Specifier[]; holes: Specifier[] } | undefined {
  const unique = new Map<string, Specifier>();
  for (const spec of specifiers) if (!unique.has(specifierKey(spec))) unique.set(specifierKey(spec), spec);
  const holes = [...unique.values()].filter((spec) => spec.operator === '!=');
  let lower: Specifier | undefined;
  let upper: Specifier | undefined;
  for (const spec of dominantIntervals([...unique.values()].filter((s) => s.operator !== '!='))) {
    if (!lower || !upper) {
      if (!rawCandidates([spec]).some((v) => specifierMatches(spec, v))) return undefined;
      lower = upper = spec;
      continue;
    }
    const low = tighter(lower, spec, 'lower');
    const high = tighter(upper, spec, 'upper');
    if (!low || !high) return undefined;
    lower = low;
    upper = high;
  }
  const bounds = !lower || !upper ? [] : lower === upper ? [lower] : [lower, upper];
  return { bounds, holes };
}

/**
 * The lower and upper end of an interval specifier as a version with the kind of end fixed by
 * `group` (`>=V` starts at V inclusive, `<V` ends before V.dev0, ...), from packaging's
 * `standard_ranges` and `wildcard_ranges`. Within one group a greater lower end (a smaller
 * upper end) is the tighter one, so a group needs only its tightest two specifiers.
 */
function intervalEnds(spec: Specifier): { group: string; lower?: Version; upper?: Version } | undefined {
  const wildcard = spec.version.endsWith('.*');
  const v = tryParseVersion(wildcard ? spec.version.slice(0, -2) : spec.version);
  if (!v) return undefined;
  switch (spec.operator) {
    case '>=':
      return { group: '>=', lower: v };
    case '>':
      if (v.dev !== undefined) return { group: '>=', lower: { ...publicVersion(v), dev: v.dev + 1 } };
      if (v.post !== undefined) return { group: '>=', lower: { ...publicVersion(v), post: v.post + 1, dev: 0 } };
      return { group: '>', lower: v };
    case '<=':
      return { group: '<=', upper: v };
    case '<':
      return { group: '<', upper: isPrerelease(v) ? v : { ...publicVersion(v), dev: 0 } };
    case '~=':
      return { group: '~=', lower: v, upper: nextPrefixDev0(version(v.epoch, v.release.slice(0, -1))) };
    case '==':
      if (wildcard) return { group: '==*', lower: v, upper: nextPrefixDev0(v) };
      return spec.version.includes('+') ? { group: '==+', lower: v, upper: v } : { group: '==', lower: v, upper: v };
    default:
      return undefined;
  }
}

/**
 * The interval specifiers that can decide the intersection: in each group of `intervalEnds`,
 * the one with the greatest lower end and the one with the least upper end; the others are
 * implied by them. At most two per group, so what is left is small.
 */
function dominantIntervals(specs: readonly Specifier[]): Specifier[] {
  const kept = new Set<Specifier>();
  const best = new Map<string, { lower?: [Specifier, Version]; upper?: [Specifier, Version] }>();
  for (const spec of specs) {
    const ends = intervalEnds(spec);
    if (!ends) {
      kept.add(spec);
      continue;
    }
    const entry = best.get(ends.group) ?? {};
    if (ends.lower && (!entry.lower || compareVersions(ends.lower, entry.lower[1]) > 0)) entry.lower = [spec, ends.lower];
    if (ends.upper && (!entry.upper || compareVersions(ends.upper, entry.upper[1]) < 0)) entry.upper = [spec, ends.upper];
    best.set(ends.group, entry);
  }
  for (const { lower, upper } of best.values()) {
    if (lower) kept.add(lower[0]);
    if (upper) kept.add(upper[0]);
  }
  return specs.filter((spec) => kept.has(spec));
}

/** Of two interval specifiers, the one whose `end` is tighter; undefined when one admits nothing. */
function tighter(a: Specifier, b: Specifier, end: 'lower' | 'upper'): Specifier | undefined {
  const candidates = rawCandidates([a, b]);
  const sign = end === 'lower' ? 1 : -1;
  // The least (lower end) or greatest (upper end) candidate the specifier admits.
  const extreme = (spec: Specifier) => {
    let best: Version | undefined;
    for (const v of candidates) {
      if ((best === undefined || sign * compareVersions(v, best) < 0) && specifierMatches(spec, v)) best = v;
    }
    return best;
  };
  const va = extreme(a);
  const vb = extreme(b);
  if (va === undefined || vb === undefined) return undefined;
  return sign * compareVersions(va, vb) >= 0 ? a : b;
}

/** The sorted candidates each hole rejects, marked; `nextOpen(i)` is the first unmarked index at or after i. */
function coverHoles(candidates: readonly Version[], holes: readonly Specifier[]): { nextOpen: (i: number) => number } {
  // Union-find over indexes. `right[i]` leads to the first unmarked index at or after i (n: none);
  // `left[i + 1]` to one plus the last unmarked index at or before i (0: none).
  const right = Array.from({ length: candidates.length + 1 }, (_, i) => i);
  const left = Array.from({ length: candidates.length + 1 }, (_, i) => i);
  const find = (links: number[], start: number): number => {
    let root = start;
    while (links[root] !== root) root = links[root]!;
    let k = start;
    while (links[k] !== root) {
      const following = links[k]!;
      links[k] = root;
      k = following;
    }
    return root;
  };
  const nextOpen = (i: number) => find(right, i);
  const previousOpen = (i: number) => find(left, i + 1) - 1;
  const mark = (i: number) => {
    right[i] = i + 1;
    left[i + 1] = i;
  };
  for (const hole of holes) {
    const base = tryParseVersion(hole.version.endsWith('.*') ? hole.version.slice(0, -2) : hole.version);
    const inside = base ? findIndex(candidates, base) : -1;
    if (inside < 0 || specifierMatches(hole, candidates[inside]!)) {
      // Not expected (the hole's own version is a candidate and rejected): check every candidate.
      candidates.forEach((v, i) => {
        if (nextOpen(i) === i && !specifierMatches(hole, v)) mark(i);
      });
      continue;
    }
    if (nextOpen(inside) === inside) mark(inside);
    for (let i = nextOpen(inside); i < candidates.length && !specifierMatches(hole, candidates[i]!); i = nextOpen(i)) mark(i);
    for (let i = previousOpen(inside); i >= 0 && !specifierMatches(hole, candidates[i]!); i = previousOpen(i)) mark(i);
  }
  return { nextOpen };
}

/** The index of a candidate equal to `version` in the sorted list, or -1. */
function findIndex(candidates: readonly Version[], version: Version): number {
  let low = 0;
  let high = candidates.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const order = compareVersions(candidates[middle]!, version);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function dedupe(versions: Version[]): Version[] {
  const seen = new Set<string>();
  return versions
    .filter((v) => {
      const key = formatVersion(v);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(compareVersions);
}
