/**
 * PEP 508 dependency specifiers (`name[extra1,extra2] (>=1.0,<2) ; marker` and
 * `name @ url ; marker`): a hand-written recursive-descent parser over the shared scanner
 * (markers.ts), and the string form packaging 26.4 writes (`str(Requirement(text))`).
 *
 * The grammar of each rule is in its doc comment. Upper-case names are tokens (markers.ts,
 * `RULES`); `WS` is spaces and tabs only, so a line break anywhere is an error, as in packaging.
 * Error messages are packaging's, word for word, inside
 * "Invalid requirement `<text>` at column <n>: <reason>", with the text and a caret as detail.
 */
import { isMlfError } from '../errors.js';
import { formatMarker, parseMarker, scanMarker, Scanner, SyntaxFailure, type MarkerList, type Token } from './markers.js';
import { type Specifier, tryParseSpecifier } from './pep440.js';
import { compareCodePoints, SpecifierSet, splitSpecifierList } from './specifier-set.js';

export { canonicalizeName } from './markers.js';

export interface Requirement {
  /** As written. */
  name: string;
  /** As written, in order (duplicates kept). */
  extras: string[];
  /**
   * The specifier text as packaging keeps it ('' when none): the specifier tokens as written,
   * joined by the commas between them, without parentheses or the spaces around commas,
   * e.g. `name (>= 1.0 , <2)` -> `>= 1.0,<2`.
   */
  specifier: string;
  /** For `name @ url`. */
  url?: string;
  /** The marker text as written, without the leading `;` and surrounding spaces. */
  marker?: string;
}

/** `[start, end)` offsets in the requirement text (UTF-16 code units). */
export type Span = [number, number];

export interface ParsedRequirement extends Requirement {
  /** The parsed specifiers, in written order (`{ operator: '>=', version: '1.0' }`). */
  specifiers: Specifier[];
  /** The parsed marker, extra names normalized (what formatMarker writes). */
  markerTree?: MarkerList;
  spans: {
    name: Span;
    extras?: Span;
    specifier?: Span;
    url?: Span;
    marker?: Span;
  };
}

export const REQUIREMENT_HINT = 'Requirements follow PEP 508, e.g. `pandas>=2.0,<3` or `pkg[extra] @ https://host/pkg.whl ; python_version >= "3.9"`.';

/**
 * Parse one requirement. Throws MlfError `INVALID_REQUIREMENT` whose message holds the text,
 * the 1-based column and packaging's reason; `column` is set and `detail` is the text with a
 * caret line under it.
 */
export function parseRequirement(text: string): ParsedRequirement {
  const scanner = new Scanner(text);
  try {
    return scanRequirement(scanner);
  } catch (error) {
    if (error instanceof SyntaxFailure) throw error.toMlfError('INVALID_REQUIREMENT', 'Invalid requirement', REQUIREMENT_HINT);
    throw error;
  }
}

/** As parseRequirement, or undefined when the text is not a valid requirement. */
export function tryParseRequirement(text: string): ParsedRequirement | undefined {
  try {
    return parseRequirement(text);
  } catch (error) {
    if (isMlfError(error) && error.code === 'INVALID_REQUIREMENT') return undefined;
    throw error;
  }
}

/** requirement = WS? IDENTIFIER WS? extras WS? requirement_details END */
function scanRequirement(scanner: Scanner): ParsedRequirement {
  scanner.consume('WS');
  const nameToken = scanner.expect('IDENTIFIER', 'package name at the start of dependency specifier');
  scanner.consume('WS');
  const extrasStart = scanner.position;
  const extras = scanExtras(scanner);
  const extrasEnd = scanner.position;
  scanner.consume('WS');
  const details = scanRequirementDetails(scanner);
  scanner.expect('END', 'end of dependency specifier');
  const specifiers = checkSpecifiers(scanner, details.specifierTokens);

  const requirement: ParsedRequirement = {
    name: nameToken.text,
    extras,
    specifier: details.specifier,
    specifiers,
    spans: { name: [nameToken.start, nameToken.start + nameToken.text.length] },
  };
  if (extrasEnd > extrasStart) requirement.spans.extras = [extrasStart, extrasEnd];
  if (details.specifierSpan) requirement.spans.specifier = details.specifierSpan;
  if (details.url !== undefined) {
    requirement.url = details.url.text;
    requirement.spans.url = [details.url.start, details.url.start + details.url.text.length];
  }
  if (details.marker) {
    requirement.marker = details.marker.text;
    requirement.markerTree = details.marker.tree;
    requirement.spans.marker = details.marker.span;
  }
  return requirement;
}

interface RequirementDetails {
  specifier: string;
  specifierTokens: Token[];
  specifierSpan?: Span;
  url?: { text: string; start: number };
  marker?: { text: string; tree: MarkerList; span: Span };
}

/**
 * requirement_details = AT WS? URL (WS requirement_marker?)?
 *                     | specifier WS? requirement_marker?
 */
function scanRequirementDetails(scanner: Scanner): RequirementDetails {
  if (scanner.take('AT')) {
    scanner.consume('WS');
    const url = scanner.expect('URL', 'URL after @');
    const details: RequirementDetails = { specifier: '', specifierTokens: [], url: { text: url.text, start: url.start } };
    if (scanner.check('END')) return details;
    scanner.expect('WS', 'whitespace after URL');
    if (scanner.check('END')) return details;
    details.marker = scanRequirementMarker(scanner, url.start, 'semicolon (after URL and whitespace)');
    return details;
  }

  const specifierStart = scanner.position;
  const { text, tokens } = scanSpecifier(scanner);
  const details: RequirementDetails = { specifier: text, specifierTokens: tokens };
  if (scanner.position > specifierStart) details.specifierSpan = [specifierStart, scanner.position];
  scanner.consume('WS');
  if (scanner.check('END')) return details;
  details.marker = scanRequirementMarker(
    scanner,
    specifierStart,
    text
      ? 'comma (within version specifier), semicolon (after version specifier)'
      : 'semicolon (after name with no version specifier)',
  );
  return details;
}

/** requirement_marker = SEMICOLON marker WS? */
function scanRequirementMarker(scanner: Scanner, spanStart: number, expected: string): RequirementDetails['marker'] {
  const semicolon = scanner.take('SEMICOLON');
  if (!semicolon) scanner.fail(`Expected ${expected} or end`, spanStart);
  const start = scanner.position;
  const tree = scanMarker(scanner);
  scanner.consume('WS');
  const raw = scanner.source.slice(start, scanner.position);
  // Trimmed by index: `/[ \t]+$/` would re-read a long inner run of spaces from each position.
  let from = 0;
  let to = raw.length;
  while (from < to && (raw[from] === ' ' || raw[from] === '\t')) from++;
  while (to > from && (raw[to - 1] === ' ' || raw[to - 1] === '\t')) to--;
  return { text: raw.slice(from, to), tree, span: [start + from, start + to] };
}

/** extras = (LEFT_BRACKET WS? extras_list? WS? RIGHT_BRACKET)? */
function scanExtras(scanner: Scanner): string[] {
  if (!scanner.check('LEFT_BRACKET')) return [];
  return scanner.enclosed('LEFT_BRACKET', 'RIGHT_BRACKET', 'extras', () => {
    scanner.consume('WS');
    const extras = scanExtrasList(scanner);
    scanner.consume('WS');
    return extras;
  });
}

/** extras_list = IDENTIFIER (WS? COMMA WS? IDENTIFIER)* */
function scanExtrasList(scanner: Scanner): string[] {
  const first = scanner.take('IDENTIFIER');
  if (!first) return [];
  const extras = [first.text];
  for (;;) {
    scanner.consume('WS');
    if (scanner.check('IDENTIFIER')) scanner.fail('Expected comma between extra names');
    if (!scanner.take('COMMA')) break;
    scanner.consume('WS');
    extras.push(scanner.expect('IDENTIFIER', 'extra name after comma').text);
  }
  return extras;
}

/**
 * specifier = LEFT_PARENTHESIS WS? version_many WS? RIGHT_PARENTHESIS
 *           | WS? version_many WS?
 */
function scanSpecifier(scanner: Scanner): { text: string; tokens: Token[] } {
  return scanner.enclosed('LEFT_PARENTHESIS', 'RIGHT_PARENTHESIS', 'version specifier', () => {
    scanner.consume('WS');
    const result = scanVersionMany(scanner);
    scanner.consume('WS');
    return result;
  });
}

/**
 * version_many = (SPECIFIER (WS? COMMA WS? SPECIFIER)* (WS? COMMA)?)?
 *
 * A SPECIFIER directly followed by `.*` or `+local` where its operator forbids them is an
 * error here; the tokens are checked as specifiers after the whole requirement has parsed.
 */
function scanVersionMany(scanner: Scanner): { text: string; tokens: Token[] } {
  let text = '';
  const tokens: Token[] = [];
  for (let token = scanner.take('SPECIFIER'); token; token = scanner.take('SPECIFIER')) {
    text += token.text;
    if (scanner.check('VERSION_PREFIX_TRAIL')) {
      const equality = token.text.startsWith('!=') || (token.text.startsWith('==') && !token.text.startsWith('==='));
      scanner.fail(
        equality
          ? '.* suffix cannot be used with pre-release, post-release, dev or local versions'
          : '.* suffix can only be used with `==` or `!=` operators',
        token.start,
        scanner.position + 1,
      );
    }
    if (scanner.check('VERSION_LOCAL_LABEL_TRAIL')) {
      scanner.fail('Local version label can only be used with `==` or `!=` operators', token.start);
    }
    tokens.push(token);
    scanner.consume('WS');
    const comma = scanner.take('COMMA');
    if (!comma) break;
    text += comma.text;
    scanner.consume('WS');
  }
  return { text, tokens };
}

/**
 * Each SPECIFIER token split on commas and checked as packaging's `SpecifierSet` does, once the
 * whole requirement has parsed (only a `===` token can hold a comma: `===x,y` fails on `y`).
 */
function checkSpecifiers(scanner: Scanner, tokens: readonly Token[]): Specifier[] {
  return tokens.flatMap((token) =>
    splitSpecifierList(token.text).map((item) => {
      const spec = tryParseSpecifier(item.text);
      if (!spec) scanner.fail(`Invalid specifier: \`${item.text}\``, token.start, token.start + item.offset);
      return spec;
    }),
  );
}

/**
 * packaging 26.4's `str(Requirement(text))`: the name as written; extras de-duplicated, sorted
 * and joined by `,`; specifiers sorted as strings, equivalent ones dropped, joined by `,`;
 * ` @ url`; `; ` and the normalized marker (a space before `;` after a URL).
 *
 * Works on hand-built requirements too (the specifier and marker texts are parsed; throws
 * `INVALID_SPECIFIER` or `INVALID_MARKER` when they do not parse).
 */
export function formatRequirement(req: Requirement): string {
  let text = req.name;
  const extras = [...new Set(req.extras)].sort(compareCodePoints);
  if (extras.length > 0) text += `[${extras.join(',')}]`;
  const specifiers = SpecifierSet.parse(req.specifier);
  if (specifiers.size > 0) text += specifiers.toString();
  const markerText = req.marker?.trim() ? req.marker : undefined;
  if (req.url) {
    text += ` @ ${req.url}`;
    if (markerText !== undefined) text += ' ';
  }
  if (markerText !== undefined) {
    // Always from the text: a caller may have edited `marker` on a parsed requirement.
    text += `; ${formatMarker(parseMarker(markerText))}`;
  }
  return text;
}

/** The requirement's specifiers as a SpecifierSet (parsed from `specifier`; throws `INVALID_SPECIFIER`). */
export function requirementSpecifierSet(req: Requirement): SpecifierSet {
  return SpecifierSet.parse(req.specifier);
}
