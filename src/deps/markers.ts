/**
 * PEP 508 environment markers (`python_version >= "3.8" and sys_platform != "win32"`):
 * a hand-written scanner and recursive-descent parser, evaluation against an environment,
 * and the string form packaging 26.4 gives them (`str(Marker(text))`).
 *
 * The scanner is shared with the requirement parser (pep508.ts): its token rules are
 * packaging's `DEFAULT_RULES`, and a token is only ever looked for where the grammar allows it
 * (the scanner is context-sensitive, as packaging's is). `\b` means what it means in Python's
 * `re` on str: a boundary between a Unicode word character and anything else.
 */
import { inputError, type MlfError } from '../errors.js';
import { PY_WHITESPACE, SPECIFIER_PATTERN, specifierContains, tryParseSpecifier } from './pep440.js';

// ---------------------------------------------------------------------------------------
// PEP 503 names (also used for extra names, PEP 685)
// ---------------------------------------------------------------------------------------

/** PEP 503: lower-case, every run of `-`, `_`, `.` becomes one `-`. `Foo.Bar__baz` -> `foo-bar-baz`. */
export function canonicalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

// ---------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------

const WORD = '[\\p{L}\\p{N}_]';
/** Python's `\b`. */
const B = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;

const RULES = {
  LEFT_PARENTHESIS: '\\(',
  RIGHT_PARENTHESIS: '\\)',
  LEFT_BRACKET: '\\[',
  RIGHT_BRACKET: '\\]',
  SEMICOLON: ';',
  COMMA: ',',
  QUOTED_STRING: `(?:'[^']*')|(?:"[^"]*")`,
  OP: '===|==|~=|!=|<=|>=|<|>',
  BOOLOP: `${B}(?:or|and)${B}`,
  IN: `${B}in${B}`,
  NOT: `${B}not${B}`,
  VARIABLE:
    `${B}(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)` +
    `|platform[._](?:version|machine|python_implementation)|python_implementation` +
    `|implementation_(?:name|version)|extras?|dependency_groups)${B}`,
  SPECIFIER: SPECIFIER_PATTERN,
  AT: '@',
  URL: `[^${PY_WHITESPACE}]+`,
  IDENTIFIER: `${B}[a-zA-Z0-9][a-zA-Z0-9._-]*${B}`,
  VERSION_PREFIX_TRAIL: '\\.\\*',
  VERSION_LOCAL_LABEL_TRAIL: '\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*',
  WS: '[ \\t]+',
  END: '$',
} as const;

export type TokenName = keyof typeof RULES;

const COMPILED = Object.fromEntries(
  Object.entries(RULES).map(([name, source]) => [name, new RegExp(`(?:${source})`, 'uy')]),
) as Record<TokenName, RegExp>;

export interface Token {
  name: TokenName;
  text: string;
  /** Offset in the source, in UTF-16 code units. */
  start: number;
}

/** A syntax error at `[start, end]` of `source` (UTF-16 offsets); the caret goes under `end`. */
export class SyntaxFailure extends Error {
  constructor(
    readonly reason: string,
    readonly source: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(reason);
    this.name = 'SyntaxFailure';
  }

  /** 1-based column of the caret, counted in characters (code points) as Python does. */
  get column(): number {
    return Array.from(this.source.slice(0, this.end)).length + 1;
  }

  /**
   * The source and, under it, `~` from start to end and `^` at end (packaging's picture); a long
   * source is cut to the part around the caret (see `excerpt`).
   */
  get picture(): string {
    const cut = excerpt(this.source, this.start, this.end);
    return `${cut.text}\n${cut.caret}`;
  }

  /** The MlfError for it: `<what> \`source\` at column N: reason`, with the picture as detail. */
  toMlfError(code: string, what: string, hint: string): MlfError {
    return inputError(code, `${what} \`${excerpt(this.source, this.start, this.end).text}\` at column ${this.column}: ${this.reason}`, {
      column: this.column,
      detail: this.picture,
      hint,
      data: { reason: this.reason, text: this.source, span: [this.start, this.end] },
    });
  }
}

/** How many characters of a source an error message echoes at most (the `…` marks included). */
export const EXCERPT_WIDTH = 120;

export interface Excerpt {
  /** The source, or at most `width` characters of it around the caret, a cut end marked `…`. */
  text: string;
  /** Spaces, `~` under `[start, end)` and `^` under `end`, aligned with `text`. */
  caret: string;
  /** 0-based index, in characters of the source, of `text`'s first character after any `…`. */
  from: number;
}

/**
 * The part of `source` an error shows, with its caret line: the whole source when it is short,
 * otherwise a window of `width` characters (code points) around the caret at `end` (UTF-16
 * offsets `start`/`end`, as SyntaxFailure has them), so that a 30,000-character requirement
 * is not echoed whole and the caret still sits under the character it points at.
 */
export function excerpt(source: string, start: number, end: number, width = EXCERPT_WIDTH): Excerpt {
  const chars = Array.from(source);
  const caretAt = Array.from(source.slice(0, end)).length;
  const spanFrom = Array.from(source.slice(0, start)).length;
  // Room for the caret after the last character, too.
  const total = chars.length + (caretAt >= chars.length ? 1 : 0);
  let from = 0;
  let to = chars.length;
  if (total > width) {
    const room = width - 2; // the two `…`
    from = Math.max(0, Math.min(caretAt - Math.floor(room / 2), total - room));
    to = Math.min(chars.length, from + room);
  }
  const head = from > 0 ? '…' : '';
  const tail = to < chars.length ? '…' : '';
  const tildeFrom = Math.max(spanFrom, from);
  const caret = `${' '.repeat(head.length + tildeFrom - from)}${'~'.repeat(Math.max(0, caretAt - tildeFrom))}^`;
  return { text: `${head}${chars.slice(from, to).join('')}${tail}`, caret, from };
}

/** packaging's `Tokenizer`: look for one named token at the current position. */
export class Scanner {
  position = 0;

  constructor(readonly source: string) {}

  /** The text of token `name` at the current position, without moving. */
  peek(name: TokenName): string | undefined {
    const rule = COMPILED[name];
    rule.lastIndex = this.position;
    const match = rule.exec(this.source);
    return match ? match[0] : undefined;
  }

  check(name: TokenName): boolean {
    return this.peek(name) !== undefined;
  }

  /** Read token `name` if it is next. */
  take(name: TokenName): Token | undefined {
    const text = this.peek(name);
    if (text === undefined) return undefined;
    const token: Token = { name, text, start: this.position };
    this.position += text.length;
    return token;
  }

  consume(name: TokenName): void {
    this.take(name);
  }

  /** Read token `name` or fail with `Expected <expected>`. */
  expect(name: TokenName, expected: string): Token {
    const token = this.take(name);
    if (!token) this.fail(`Expected ${expected}`);
    return token;
  }

  fail(reason: string, start = this.position, end = this.position): never {
    throw new SyntaxFailure(reason, this.source, start, end);
  }

  /** `open body close`, when `open` is next; otherwise just `body`. */
  enclosed<T>(open: TokenName, close: TokenName, around: string, body: () => T): T {
    const opening = this.take(open);
    const result = body();
    if (opening && !this.take(close)) {
      this.fail(`Expected matching ${close} for ${open}, after ${around}`, opening.start);
    }
    return result;
  }
}

// ---------------------------------------------------------------------------------------
// Marker tree
// ---------------------------------------------------------------------------------------

export type MarkerOperator = '===' | '==' | '~=' | '!=' | '<=' | '>=' | '<' | '>' | 'in' | 'not in';

export interface MarkerVariable {
  kind: 'variable';
  /** Normalized: `os.name` -> `os_name`, `python_implementation` -> `platform_python_implementation`. */
  name: string;
}

export interface MarkerValue {
  kind: 'value';
  /** The string's value (Python escapes decoded), without quotes. */
  value: string;
}

export type MarkerOperand = MarkerVariable | MarkerValue;

export interface MarkerComparison {
  kind: 'comparison';
  left: MarkerOperand;
  op: MarkerOperator;
  right: MarkerOperand;
}

/** A parenthesised group or the whole expression: atoms joined by `and`/`or` (and binds tighter). */
export type MarkerList = Array<MarkerAtom | 'and' | 'or'>;
export type MarkerAtom = MarkerComparison | MarkerList;

/** Variables that may hold a set (`"x" in extras`). */
const SET_VARIABLES = new Set(['extras', 'dependency_groups']);
/** Variables compared as PEP 440 versions when the other side is one. */
const VERSION_VARIABLES = new Set(['implementation_version', 'platform_release', 'python_full_version', 'python_version']);

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

/**
 * marker = marker_atom (BOOLOP marker_atom)*
 *
 * Parses at the scanner's position and stops after the last atom (the caller checks what
 * follows). Extra names are normalized as packaging does (PEP 685).
 */
export function scanMarker(scanner: Scanner): MarkerList {
  return normalizeExtraValues(scanMarkerList(scanner, 0));
}

/**
 * packaging's cap on nested parentheses (CPython's own parser allows 200): deeper input is a
 * syntax error, not a stack overflow.
 */
const MAX_MARKER_NESTING = 200;

function scanMarkerList(scanner: Scanner, depth: number): MarkerList {
  const expression: MarkerList = [scanMarkerAtom(scanner, depth)];
  for (let op = scanner.take('BOOLOP'); op; op = scanner.take('BOOLOP')) {
    expression.push(op.text as 'and' | 'or', scanMarkerAtom(scanner, depth));
  }
  return expression;
}

/**
 * marker_atom = WS? LEFT_PARENTHESIS WS? marker WS? RIGHT_PARENTHESIS WS?
 *             | WS? marker_item WS?
 */
function scanMarkerAtom(scanner: Scanner, depth: number): MarkerAtom {
  scanner.consume('WS');
  let atom: MarkerAtom;
  if (scanner.check('LEFT_PARENTHESIS')) {
    if (depth >= MAX_MARKER_NESTING) scanner.fail(`Marker expression is nested more than ${MAX_MARKER_NESTING} levels deep`);
    atom = scanner.enclosed('LEFT_PARENTHESIS', 'RIGHT_PARENTHESIS', 'marker expression', () => {
      scanner.consume('WS');
      const inner = scanMarkerList(scanner, depth + 1);
      scanner.consume('WS');
      return inner;
    });
  } else {
    atom = scanMarkerItem(scanner);
  }
  scanner.consume('WS');
  return atom;
}

/** marker_item = WS? marker_var WS? marker_op WS? marker_var WS? */
function scanMarkerItem(scanner: Scanner): MarkerComparison {
  scanner.consume('WS');
  const left = scanMarkerOperand(scanner);
  scanner.consume('WS');
  const op = scanMarkerOperator(scanner);
  scanner.consume('WS');
  const right = scanMarkerOperand(scanner);
  scanner.consume('WS');
  return { kind: 'comparison', left, op, right };
}

/** marker_var = VARIABLE | QUOTED_STRING */
function scanMarkerOperand(scanner: Scanner): MarkerOperand {
  const variable = scanner.take('VARIABLE');
  if (variable) {
    const name = variable.text.replaceAll('.', '_');
    return { kind: 'variable', name: name === 'python_implementation' ? 'platform_python_implementation' : name };
  }
  const quoted = scanner.take('QUOTED_STRING');
  if (quoted) {
    const value = decodePythonString(quoted.text);
    if (value === undefined) scanner.fail('Invalid quoted string', quoted.start, quoted.start + quoted.text.length);
    return { kind: 'value', value };
  }
  return scanner.fail('Expected a marker variable or quoted string');
}

/** marker_op = IN | NOT WS IN | OP */
function scanMarkerOperator(scanner: Scanner): MarkerOperator {
  if (scanner.take('IN')) return 'in';
  if (scanner.take('NOT')) {
    scanner.expect('WS', "whitespace after 'not'");
    scanner.expect('IN', "'in' after 'not'");
    return 'not in';
  }
  const op = scanner.take('OP');
  if (op) return op.text as MarkerOperator;
  return scanner.fail('Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in');
}

/** Parse a whole marker expression (throws MlfError `INVALID_MARKER` with column and caret). */
export function parseMarker(text: string): MarkerList {
  const scanner = new Scanner(text);
  try {
    const marker = scanMarker(scanner);
    scanner.expect('END', 'end of marker expression');
    return marker;
  } catch (error) {
    if (error instanceof SyntaxFailure) {
      throw error.toMlfError('INVALID_MARKER', 'Invalid marker', 'Markers follow PEP 508, e.g. `python_version >= "3.8"`.');
    }
    throw error;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * The value of a quoted string as Python's `ast.literal_eval` reads it, or undefined where
 * Python raises (an unescaped line break, a backslash before the closing quote, a bad `\x`,
 * `\u`, `\U`, a NUL). `\N{name}` is not supported (mlf has no Unicode name table) and is
 * reported as invalid. Unknown escapes such as `\d` stay as written, as in Python.
 */
export function decodePythonString(quoted: string): string | undefined {
  const body = quoted.slice(1, -1);
  let value = '';
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i]!;
    if (char === '\0') return undefined;
    if (char === '\n' || char === '\r') return undefined;
    if (char !== '\\') {
      value += char;
      continue;
    }
    i += 1;
    if (i >= body.length) return undefined; // the backslash escapes the closing quote
    const next = body[i]!;
    if (next === '\n') continue;
    if (next === '\r') {
      if (body[i + 1] === '\n') i += 1;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      value += simple;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      value += String.fromCodePoint(parseInt(octal, 8));
      i += octal.length - 1;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) return undefined;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) return undefined;
      value += String.fromCodePoint(code);
      i += width;
    } else if (next === 'N') {
      return undefined;
    } else {
      value += `\\${next}`;
    }
  }
  return value;
}

function normalizeExtraValues(list: MarkerList): MarkerList {
  return list.map((item) => (typeof item === 'string' ? item : normalizeExtraAtom(item)));
}

/** packaging's `_normalize_extras`: the value compared with `extra`, or tested `in extras`, is PEP 503-normalized. */
function normalizeExtraAtom(atom: MarkerAtom): MarkerAtom {
  if (Array.isArray(atom)) return normalizeExtraValues(atom);
  const { left, right } = atom;
  if (left.kind === 'variable' && left.name === 'extra' && right.kind === 'value') {
    return { ...atom, right: { kind: 'value', value: canonicalizeName(right.value) } };
  }
  if (right.kind === 'variable' && right.name === 'extra' && left.kind === 'value') {
    return { ...atom, left: { kind: 'value', value: canonicalizeName(left.value) } };
  }
  if (right.kind === 'variable' && SET_VARIABLES.has(right.name) && left.kind === 'value') {
    return { ...atom, left: { kind: 'value', value: canonicalizeName(left.value) } };
  }
  return atom;
}

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

function formatOperand(operand: MarkerOperand): string {
  if (operand.kind === 'variable') return operand.name;
  if (!operand.value.includes('"')) return `"${operand.value}"`;
  if (!operand.value.includes("'")) return `'${operand.value}'`;
  throw inputError('UNFORMATTABLE_MARKER', `Cannot write marker value \`${operand.value}\`: it contains both quote characters`, {
    hint: 'packaging cannot write such a value either; use only one kind of quote inside it.',
  });
}

function formatAtom(marker: MarkerAtom | 'and' | 'or', first: boolean): string {
  if (typeof marker === 'string') return marker;
  if (!Array.isArray(marker)) return [formatOperand(marker.left), marker.op, formatOperand(marker.right)].join(' ');
  // A redundant [[...]] wrapper adds no parentheses.
  if (marker.length === 1 && typeof marker[0] !== 'string') return formatAtom(marker[0]!, first);
  const inner = marker.map((item) => formatAtom(item, false)).join(' ');
  return first ? inner : `(${inner})`;
}

/** packaging's `str(Marker)`: single spaces, double quotes (single when the value holds a `"`), redundant parentheses dropped. */
export function formatMarker(marker: MarkerList): string {
  return formatAtom(marker, true);
}

/** `normalizeMarker("python_version>'3.8'")` -> `python_version > "3.8"`. */
export function normalizeMarker(text: string): string {
  return formatMarker(parseMarker(text));
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

export type MarkerEnvironment = Readonly<Record<string, string | ReadonlySet<string> | readonly string[] | undefined>>;

/**
 * What the marker is evaluated for (packaging's `EvaluateContext`): `metadata` supplies
 * `extra = ""`, `lock_file` supplies empty `extras` and `dependency_groups`, `requirement` nothing.
 */
export type MarkerContext = 'metadata' | 'lock_file' | 'requirement';

export interface EvaluateMarkerOptions {
  context?: MarkerContext;
}

type EnvironmentValue = string | ReadonlySet<string>;

function toEnvironmentValue(value: string | ReadonlySet<string> | readonly string[]): EnvironmentValue {
  return typeof value === 'string' ? value : new Set(value);
}

/**
 * packaging's `Marker.evaluate(environment, context)`, except that there is no default
 * environment: `environment` must hold every variable the marker uses (mlf asks the target
 * interpreter for them). Version variables compare as PEP 440 versions when the other side
 * is a valid specifier version; other comparisons are on strings.
 *
 * Throws MlfError `MARKER_UNDEFINED_VARIABLE` for a variable missing from the environment and
 * `MARKER_UNDEFINED_COMPARISON` for a comparison packaging cannot make (`~=` on strings, a set on
 * the left).
 */
export function evaluateMarker(
  marker: MarkerList | string,
  environment: MarkerEnvironment,
  options: EvaluateMarkerOptions = {},
): boolean {
  const tree = typeof marker === 'string' ? parseMarker(marker) : marker;
  const context = options.context ?? 'metadata';
  const env = new Map<string, EnvironmentValue>();
  if (context === 'lock_file') {
    env.set('extras', new Set());
    env.set('dependency_groups', new Set());
  } else if (context === 'metadata') {
    env.set('extra', '');
  }
  for (const [key, value] of Object.entries(environment)) {
    if (value !== undefined) env.set(key, toEnvironmentValue(value));
  }
  const extra = env.get('extra');
  if (extra !== undefined) env.set('extra', typeof extra === 'string' && extra ? canonicalizeName(extra) : '');
  const fullVersion = env.get('python_full_version');
  // A non-tagged CPython build reports `3.12.0+`, which is not PEP 440.
  if (typeof fullVersion === 'string' && fullVersion.endsWith('+')) env.set('python_full_version', `${fullVersion}local`);
  return evaluateList(tree, env);
}

function evaluateList(list: MarkerList, env: Map<string, EnvironmentValue>): boolean {
  const groups: boolean[][] = [[]];
  for (const item of list) {
    if (item === 'or') groups.push([]);
    else if (item === 'and') continue;
    else groups[groups.length - 1]!.push(Array.isArray(item) ? evaluateList(item, env) : evaluateComparison(item, env));
  }
  return groups.some((group) => group.every(Boolean));
}

function lookup(env: Map<string, EnvironmentValue>, key: string): EnvironmentValue {
  const value = env.get(key);
  if (value === undefined) {
    throw inputError('MARKER_UNDEFINED_VARIABLE', `Marker variable \`${key}\` is not defined in the environment`, {
      hint: 'Pass every marker variable the requirement uses (PEP 508 lists them).',
      data: { variable: key },
    });
  }
  return value;
}

function operandText(operand: MarkerOperand): string {
  return operand.kind === 'variable' ? operand.name : operand.value;
}

function evaluateComparison(item: MarkerComparison, env: Map<string, EnvironmentValue>): boolean {
  let key: string;
  let left: EnvironmentValue;
  let right: EnvironmentValue;
  if (item.left.kind === 'variable') {
    key = item.left.name;
    left = lookup(env, key);
    right = operandText(item.right);
  } else {
    left = item.left.value;
    key = operandText(item.right);
    right = lookup(env, key);
  }
  if (typeof left !== 'string') {
    throw inputError(
      'MARKER_UNDEFINED_COMPARISON',
      `Set-valued marker \`${key}\` can only be used with the membership form (e.g. "<name>" in ${key}); ` +
        `it cannot appear on the left-hand side of \`${item.op}\``,
    );
  }
  if (SET_VARIABLES.has(key)) {
    left = canonicalizeName(left);
    right = typeof right === 'string' ? canonicalizeName(right) : new Set([...right].map(canonicalizeName));
  }
  if (VERSION_VARIABLES.has(key) && typeof right === 'string') {
    const spec = tryParseSpecifier(`${item.op}${right}`);
    if (spec) return specifierContains(spec, left, { prereleases: true });
  }
  switch (item.op) {
    case 'in':
      return typeof right === 'string' ? right.includes(left) : right.has(left);
    case 'not in':
      return typeof right === 'string' ? !right.includes(left) : !right.has(left);
    case '<':
    case '>':
      return false;
    case '<=':
    case '==':
    case '>=':
      return left === right;
    case '!=':
      return left !== right;
    default:
      throw inputError(
        'MARKER_UNDEFINED_COMPARISON',
        `Undefined \`${item.op}\` on \`${left}\` and \`${typeof right === 'string' ? right : [...right].join(', ')}\``,
        { hint: '`~=` and `===` compare versions; use `==` or `in` for other values.' },
      );
  }
}
