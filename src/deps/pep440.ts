/**
 * PEP 440 versions and single version specifiers, behind our own small interface.
 *
 * Parsing of version strings is delegated to `@renovatebot/pep440` (a port of packaging's
 * version regex). Ordering, local labels and specifier matching are implemented here so
 * that they follow packaging 26.4 exactly:
 *   - the local label is re-read from the text (the library turns `0x1` or `1e3` into
 *     numbers, where packaging keeps them as strings);
 *   - `contains` follows packaging's range semantics (`<V` excludes V's pre-releases,
 *     `>V` excludes V's post-releases, `==V` admits every `V+local`, `.*` prefix matching
 *     by `[V.dev0, next.dev0)`), and the pre-release policy of `Specifier.contains`:
 *     a pre-release is only rejected when `prereleases: false` is asked for.
 *
 * Never semver: it mis-orders `1.0rc1`, `1.0.post1` and `2!1.0`.
 */
import { parse as parseWithRenovate } from '@renovatebot/pep440';
import { inputError } from '../errors.js';

/** Python's `str.isspace()` characters, as its `\s` and `str.strip()` see them. */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const IS_PY_WHITESPACE = new RegExp(`^[${PY_WHITESPACE}]$`);

/**
 * `str.strip()` as Python does it (a wider set of whitespace than ASCII, narrower than JS `trim`).
 * By index, not by `/[ws]+$/`, which re-reads a long inner run of whitespace from each position.
 */
export function pythonStrip(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && IS_PY_WHITESPACE.test(text[from]!)) from++;
  while (to > from && IS_PY_WHITESPACE.test(text[to - 1]!)) to--;
  return text.slice(from, to);
}

export type PreReleaseKind = 'a' | 'b' | 'rc';

/** A parsed PEP 440 version. Numbers are JS numbers: components above 2^53 lose precision. */
export interface Version {
  epoch: number;
  release: number[];
  pre?: [PreReleaseKind, number];
  post?: number;
  dev?: number;
  /** The local label split on `.`, `-`, `_`: digit-only parts as numbers, others lower-cased. */
  local?: Array<string | number>;
}

/** The version, or undefined when `text` is not a valid PEP 440 version. Surrounding whitespace is allowed. */
export function tryParseVersion(text: string): Version | undefined {
  const stripped = pythonStrip(text);
  // packaging's pattern is ASCII-only; the library's case-insensitive regex would also take `ı` and `ſ`.
  if (!/^[\x00-\x7f]*$/.test(stripped)) return undefined;
  const parsed = parseWithRenovate(stripped);
  if (!parsed) return undefined;
  const version: Version = { epoch: parsed.epoch, release: parsed.release };
  if (parsed.pre) version.pre = [parsed.pre[0] as PreReleaseKind, Number(parsed.pre[1])];
  if (parsed.post) version.post = Number(parsed.post[1]);
  if (parsed.dev) version.dev = Number(parsed.dev[1]);
  const plus = stripped.indexOf('+');
  if (plus >= 0) {
    version.local = stripped
      .slice(plus + 1)
      .split(/[._-]/)
      .map((part) => (/^[0-9]+$/.test(part) ? Number(part) : part.toLowerCase()));
  }
  return version;
}

/** The version; throws MlfError `INVALID_VERSION` when `text` is not PEP 440. */
export function parseVersion(text: string): Version {
  const version = tryParseVersion(text);
  if (!version) {
    throw inputError('INVALID_VERSION', `Invalid version: \`${text}\``, {
      hint: 'Versions follow PEP 440, e.g. `1.2.3`, `2.0rc1`, `1.0.post1`, `1!2.0`, `2.1.0+cu118`.',
    });
  }
  return version;
}

export function isValidVersion(text: string): boolean {
  return tryParseVersion(text) !== undefined;
}

/** The normalized form, as packaging's `str(Version(text))`: `V1.0-1` -> `1.0.post1`. */
export function formatVersion(version: Version): string {
  let text = version.epoch !== 0 ? `${version.epoch}!` : '';
  text += version.release.join('.');
  if (version.pre) text += `${version.pre[0]}${version.pre[1]}`;
  if (version.post !== undefined) text += `.post${version.post}`;
  if (version.dev !== undefined) text += `.dev${version.dev}`;
  if (version.local) text += `+${version.local.join('.')}`;
  return text;
}

/** `normalizeVersion(' v1.0-1 ')` -> `1.0.post1`; throws `INVALID_VERSION` on an invalid version. */
export function normalizeVersion(text: string): string {
  return formatVersion(parseVersion(text));
}

export function isPrerelease(version: Version): boolean {
  return version.pre !== undefined || version.dev !== undefined;
}

/** The version without its local label. */
export function publicVersion(version: Version): Version {
  const { local: _local, ...rest } = version;
  return rest;
}

export interface StrippedLocalVersion {
  /** The normalized public version (`2.1.0+cu118` -> `2.1.0`), or the input unchanged when it is not PEP 440. */
  version: string;
  /** The normalized local label without `+` (`cu118`), when there was one. */
  local?: string;
}

/** MLflow's `_strip_local_version_label`: drop `+local`, report the label. */
export function stripLocalVersion(text: string): StrippedLocalVersion {
  const version = tryParseVersion(text);
  if (!version) return { version: text };
  const result: StrippedLocalVersion = { version: formatVersion(publicVersion(version)) };
  if (version.local) result.local = version.local.join('.');
  return result;
}

/** The release without trailing zeros (at least one component kept): `1.0.0` -> `1`. */
export function trimRelease(release: readonly number[]): number[] {
  let end = release.length;
  while (end > 1 && release[end - 1] === 0) end -= 1;
  return release.slice(0, end);
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareReleases(a: readonly number[], b: readonly number[]): number {
  const left = trimRelease(a);
  const right = trimRelease(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i += 1) {
    const c = compareNumbers(left[i]!, right[i]!);
    if (c !== 0) return c;
  }
  return compareNumbers(left.length, right.length);
}

const PRE_RANK: Record<PreReleaseKind, number> = { a: 0, b: 1, rc: 2 };

/**
 * packaging's `_cmpkey` suffix as a tuple of numbers:
 * a dev-only release sorts before every pre-release of the same release, a final after them;
 * no post sorts before any post; a dev sorts before its absence.
 */
function suffixKey(version: Version): number[] {
  let preRank: number;
  let preNumber = 0;
  if (version.pre) {
    preRank = PRE_RANK[version.pre[0]];
    preNumber = version.pre[1];
  } else if (version.post === undefined && version.dev !== undefined) {
    preRank = -1;
  } else {
    preRank = 3;
  }
  const postRank = version.post === undefined ? 0 : 1;
  const devRank = version.dev === undefined ? 1 : 0;
  return [preRank, preNumber, postRank, version.post ?? 0, devRank, version.dev ?? 0];
}

/** Local labels: alphanumeric parts sort before numeric ones, numbers numerically, a longer label after its prefix. */
function compareLocals(a: Version['local'], b: Version['local']): number {
  if (!a || !b) return compareNumbers(a ? 1 : 0, b ? 1 : 0);
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === 'number' && typeof y === 'number') {
      const c = compareNumbers(x, y);
      if (c !== 0) return c;
    } else if (typeof x === 'number') {
      return 1;
    } else if (typeof y === 'number') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return compareNumbers(a.length, b.length);
}

/** Total PEP 440 order: -1, 0 or 1. Accepts version strings (throws `INVALID_VERSION` if invalid) or parsed versions. */
export function compareVersions(a: string | Version, b: string | Version): -1 | 0 | 1 {
  const left = typeof a === 'string' ? parseVersion(a) : a;
  const right = typeof b === 'string' ? parseVersion(b) : b;
  let c = compareNumbers(left.epoch, right.epoch);
  if (c === 0) c = compareReleases(left.release, right.release);
  if (c === 0) {
    const ls = suffixKey(left);
    const rs = suffixKey(right);
    for (let i = 0; i < ls.length && c === 0; i += 1) c = compareNumbers(ls[i]!, rs[i]!);
  }
  if (c === 0) c = compareLocals(left.local, right.local);
  return c as -1 | 0 | 1;
}

// ---------------------------------------------------------------------------------------
// Single specifiers
// ---------------------------------------------------------------------------------------

export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

/** One version specifier, e.g. `>=1.0` -> `{ operator: '>=', version: '1.0' }`. `version` is as written (may end in `.*`). */
export interface Specifier {
  operator: SpecifierOperator;
  version: string;
}

/** Case-insensitive ASCII letters only (packaging's `(?a:...)` groups): `post` -> `[pP][oO][sS][tT]`. */
function ci(word: string): string {
  return word.replace(/[a-z]/g, (letter) => `[${letter}${letter.toUpperCase()}]`);
}

const S = `[${PY_WHITESPACE}]*`;
const EPOCH = '(?:[0-9]+!)?';
const PRE = `(?:[-_.]?(?:${['alpha', 'beta', 'preview', 'pre', 'a', 'b', 'c', 'rc'].map(ci).join('|')})[-_.]?[0-9]*)?`;
const POST = `(?:(?:-[0-9]+)|(?:[-_.]?(?:${['post', 'rev', 'r'].map(ci).join('|')})[-_.]?[0-9]*))?`;
const DEV = `(?:[-_.]?${ci('dev')}[-_.]?[0-9]*)?`;
const LOCAL = '(?:\\+[a-zA-Z0-9]+(?:[-_.][a-zA-Z0-9]+)*)?';
const V = '[vV]?';

/**
 * packaging's `Specifier._specifier_regex_str`: the body of one specifier, unanchored.
 * Alternatives are tried in order, as Python's `re` does.
 */
export const SPECIFIER_PATTERN = [
  `(?:===${S}[^${PY_WHITESPACE};)]+)`,
  `(?:(?:==|!=)${S}${V}${EPOCH}[0-9]+(?:\\.[0-9]+)*(?:\\.\\*|${PRE}${POST}${DEV}${LOCAL})?)`,
  `(?:~=${S}${V}${EPOCH}[0-9]+(?:\\.[0-9]+)+${PRE}${POST}${DEV})`,
  `(?:(?:<=|>=|<|>)${S}${V}${EPOCH}[0-9]+(?:\\.[0-9]+)*${PRE}${POST}${DEV})`,
].join('|');

const FULL_SPECIFIER = new RegExp(`^${S}(?:${SPECIFIER_PATTERN})${S}$`);

/** One specifier such as `>= 1.0` (surrounding whitespace allowed), or undefined when packaging's `Specifier()` would reject it. */
export function tryParseSpecifier(text: string): Specifier | undefined {
  if (!FULL_SPECIFIER.test(text)) return undefined;
  const spec = pythonStrip(text);
  const length = spec.startsWith('===') ? 3 : /^(~=|==|!=|<=|>=)/.test(spec) ? 2 : 1;
  return { operator: spec.slice(0, length) as SpecifierOperator, version: pythonStrip(spec.slice(length)) };
}

/** As `tryParseSpecifier`, throwing MlfError `INVALID_SPECIFIER` with packaging's wording. */
export function parseSpecifier(text: string): Specifier {
  const spec = tryParseSpecifier(text);
  if (!spec) {
    throw inputError('INVALID_SPECIFIER', `Invalid specifier: \`${text}\``, {
      hint: 'A specifier is an operator (~= == != <= >= < > ===) and a PEP 440 version, e.g. `>=1.2`.',
    });
  }
  return spec;
}

/** As packaging's `str(Specifier)`: the operator and the version as written, without whitespace. */
export function formatSpecifier(spec: Specifier): string {
  return `${spec.operator}${spec.version}`;
}

function stripTrailingZerosForKey(version: Version): string {
  return formatVersion({ ...version, release: trimRelease(version.release) });
}

/**
 * The key packaging compares specifiers by (`Specifier._canonical_spec`): equal keys mean
 * the same specifier, e.g. `==1.0` and `==1.0.0`. `~=` keeps trailing zeros (they matter there).
 */
export function specifierKey(spec: Specifier): string {
  if (spec.operator === '===' || spec.version.endsWith('.*')) return `${spec.operator}${spec.version}`;
  const version = parseVersion(spec.version);
  return `${spec.operator}${spec.operator === '~=' ? formatVersion(version) : stripTrailingZerosForKey(version)}`;
}

/**
 * Whether the specifier on its own asks for pre-releases (packaging's `Specifier.prereleases`):
 * `!=` and `==V.*` never do; `===` of a non-version text is unknown (undefined); otherwise
 * when its version is a pre-release.
 */
export function specifierAllowsPrereleases(spec: Specifier): boolean | undefined {
  if (spec.operator === '!=') return false;
  if (spec.operator === '==' && spec.version.endsWith('.*')) return false;
  const version = tryParseVersion(spec.version);
  if (!version) return undefined;
  return isPrerelease(version);
}

export interface ContainsOptions {
  /** true: admit pre-releases; false: reject them; undefined: packaging's default (admit, as one version has no alternative). */
  prereleases?: boolean;
}

function withRelease(version: Version, release: number[], dev?: number): Version {
  const result: Version = { epoch: version.epoch, release };
  if (dev !== undefined) result.dev = dev;
  return result;
}

/** The first version of the next prefix: `1.2` -> `1.3.dev0`. */
export function nextPrefixDev0(version: Version): Version {
  const release = [...version.release];
  release[release.length - 1] = release[release.length - 1]! + 1;
  return withRelease(version, release, 0);
}

/** Is `candidate` in V's post family (V, V+local, V.postN, V.postN+local), as packaging's AFTER_POSTS boundary sees it? */
function inPostFamily(candidate: Version, version: Version): boolean {
  return (
    candidate.epoch === version.epoch &&
    compareReleases(candidate.release, version.release) === 0 &&
    samePre(candidate.pre, version.pre)
  );
}

function samePre(a: Version['pre'], b: Version['pre']): boolean {
  return a === b || (a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1]);
}

/**
 * Does `spec` hold for `version`, ignoring the pre-release policy? (packaging's range membership.)
 * `===` compares the text as given, case-insensitively.
 */
/**
 * The parsed version of each specifier object, so that matching many candidates against one
 * specifier parses its version once (a specifier set is checked against many candidates).
 */
const parsedTargets = new WeakMap<Specifier, Version>();

function targetOf(spec: Specifier, text: string): Version {
  let target = parsedTargets.get(spec);
  if (!target) {
    target = parseVersion(text);
    parsedTargets.set(spec, target);
  }
  return target;
}

export function specifierMatches(spec: Specifier, version: string | Version): boolean {
  if (spec.operator === '===') {
    const text = typeof version === 'string' ? version : formatVersion(version);
    return text.toLowerCase() === spec.version.toLowerCase();
  }
  const candidate = typeof version === 'string' ? tryParseVersion(version) : version;
  if (!candidate) return false;
  if (spec.version.endsWith('.*')) {
    const base = targetOf(spec, spec.version.slice(0, -2));
    const inPrefix =
      compareVersions(candidate, withRelease(base, base.release, 0)) >= 0 &&
      compareVersions(candidate, nextPrefixDev0(base)) < 0;
    return spec.operator === '==' ? inPrefix : !inPrefix;
  }
  const target = targetOf(spec, spec.version);
  switch (spec.operator) {
    case '>=':
      return compareVersions(candidate, target) >= 0;
    case '<=':
      // Every `V+local` is at or below `<=V`.
      return compareVersions(publicVersion(candidate), target) <= 0;
    case '>': {
      if (target.dev !== undefined) return compareVersions(candidate, { ...publicVersion(target), dev: target.dev + 1 }) >= 0;
      if (target.post !== undefined) {
        return compareVersions(candidate, { ...publicVersion(target), post: target.post + 1, dev: 0 }) >= 0;
      }
      return compareVersions(candidate, target) > 0 && !inPostFamily(candidate, target);
    }
    case '<': {
      // `<V` excludes V's own pre-releases unless V is one.
      const bound = isPrerelease(target) ? target : { ...publicVersion(target), dev: 0 };
      return compareVersions(candidate, bound) < 0;
    }
    case '==':
    case '!=': {
      const equal = spec.version.includes('+')
        ? compareVersions(candidate, target) === 0
        : compareVersions(publicVersion(candidate), target) === 0;
      return spec.operator === '==' ? equal : !equal;
    }
    case '~=': {
      const upper = nextPrefixDev0(withRelease(target, target.release.slice(0, -1)));
      return compareVersions(candidate, target) >= 0 && compareVersions(candidate, upper) < 0;
    }
  }
}

/**
 * packaging's `Specifier(spec).contains(version, prereleases)`: an invalid version never matches
 * (except through `===`), and a pre-release is rejected only when pre-releases are refused.
 */
export function specifierContains(spec: Specifier, version: string | Version, options: ContainsOptions = {}): boolean {
  const parsed = typeof version === 'string' ? tryParseVersion(version) : version;
  let prereleases = options.prereleases;
  if (prereleases === undefined && specifierAllowsPrereleases(spec) === true) prereleases = true;
  if (prereleases === false && parsed && isPrerelease(parsed)) return false;
  if (spec.operator !== '===' && !parsed) return false;
  return specifierMatches(spec, version);
}
