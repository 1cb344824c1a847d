/**
 * A YAML emitter that writes what PyYAML 6's `yaml.safe_dump(obj, default_flow_style=False)`
 * writes, byte for byte, for plain data (mappings, sequences, strings, ints, floats, bools,
 * null, and the timestamps that `safe_load` produces). MLflow writes MLmodel, conda.yaml and
 * python_env.yaml this way (mlflow-format.md §1.1, §2), so a file mlf writes is the file
 * MLflow would have written.
 *
 * The structure follows PyYAML's emitter (emitter.py): a cursor (column, whether the last
 * character was whitespace or indentation), an indent stack, and the three scalar writers
 * (plain, single-quoted, double-quoted) with their line folding at width 80. Positions are
 * counted in code points, as Python counts `len(str)`.
 *
 * JavaScript has one number type where Python has two, so the value model is:
 * - a `number` that is an integer is a Python int; any other `number` is a Python float;
 * - `PyFloat` marks a float whose value happens to be integral (`1.0`, `1e+16`);
 * - a `bigint` is a Python int beyond 2^53;
 * - `PyTimestamp` is a `datetime`/`date` as `safe_load` builds it from an unquoted timestamp.
 * Object keys are strings. A property whose value is `undefined` is skipped, as if absent.
 */

/** A Python float whose value is integral, kept apart from int so that `1.0` stays `1.0`. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/**
 * A YAML timestamp as PyYAML's `safe_load` constructs it (a `datetime.date` or
 * `datetime.datetime`); `text` is how `safe_dump` writes it back (Python's `isoformat`, with a
 * space between date and time).
 */
export class PyTimestamp {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export type PyScalar = null | boolean | number | bigint | string | PyFloat | PyTimestamp;
export type PyValue = PyScalar | PyValue[] | { [key: string]: PyValue };

export interface SafeDumpOptions {
  /** PyYAML's `sort_keys` (default true). MLflow passes false for python_env.yaml. */
  sortKeys?: boolean;
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the
 * decimal point position lies in (-4, 16], otherwise `d.ddde±XX`.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decimalPoint = Number(exponentText) + 1;
  if (decimalPoint <= -4 || decimalPoint > 16) {
    const exponent = decimalPoint - 1;
    const rest = digits.slice(1);
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
}

/** PyYAML's `represent_float`. */
export function pyyamlFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  let text = pythonFloatRepr(value).toLowerCase();
  if (!text.includes('.') && text.includes('e')) text = text.replace('e', '.0e');
  return text;
}

// ---------------------------------------------------------------------------------------------
// PyYAML's implicit resolvers (resolver.py). A plain scalar matching one of these is not a str,
// so a str with such a text must be quoted. Python's `$` also matches before a final newline.

const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$/;
const INT_RE =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$/;
const MERGE_RE = /^(?:<<)\n?$/;
const NULL_RE = /^(?:~|null|Null|NULL|)\n?$/;
const TIMESTAMP_RE =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$/;
const VALUE_RE = /^(?:=)\n?$/;
const YAML_RE = /^(?:!|&|\*)\n?$/;

export type ImplicitTag = 'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml' | 'str';

/** The tag PyYAML's resolver gives a plain scalar with this text (first-character tables included). */
export function resolvePlainTag(text: string): ImplicitTag {
  const first = text === '' ? '' : text[0]!;
  const candidates: Array<[ImplicitTag, RegExp, string | null]> = [
    ['bool', BOOL_RE, 'yYnNtTfFoO'],
    ['float', FLOAT_RE, '-+0123456789.'],
    ['int', INT_RE, '-+0123456789'],
    ['merge', MERGE_RE, '<'],
    ['null', NULL_RE, '~nN'],
    ['timestamp', TIMESTAMP_RE, '0123456789'],
    ['value', VALUE_RE, '='],
    ['yaml', YAML_RE, '!&*'],
  ];
  for (const [tag, regex, firsts] of candidates) {
    const applies = first === '' ? tag === 'null' : firsts !== null && firsts.includes(first);
    if (applies && regex.test(text)) return tag;
  }
  return 'str';
}

// ---------------------------------------------------------------------------------------------
// Scalar analysis (emitter.py `analyze_scalar`), with allow_unicode=False.

interface ScalarAnalysis {
  chars: string[];
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

const BREAKS = '\n\x85\u2028\u2029';
const WHITESPACE_OR_END = '\0 \t\r\n\x85\u2028\u2029';

function isPrintableAscii(ch: string): boolean {
  return ch >= '\x20' && ch <= '\x7E';
}

function analyzeScalar(text: string): ScalarAnalysis {
  const chars = Array.from(text);
  if (chars.length === 0) {
    return { chars, empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;

  if (text.startsWith('---') || text.startsWith('...')) blockIndicators = true;

  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE_OR_END.includes(chars[1]!);
  let previousSpace = false;
  let previousBreak = false;

  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    // allow_unicode=False: every character outside printable ASCII (and '\n') is special.
    if (!(ch === '\n' || isPrintableAscii(ch))) specialCharacters = true;

    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = WHITESPACE_OR_END.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || WHITESPACE_OR_END.includes(chars[index + 2]!);
  }

  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { chars, empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

const ESCAPE_REPLACEMENTS: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

/** One scalar as the representer hands it to the emitter. */
interface ScalarEvent {
  value: string;
  /** The plain form resolves back to the same type (PyYAML's `implicit[0]`). */
  plainImplicit: boolean;
}

interface NodeContext {
  root?: boolean;
  sequence?: boolean;
  mapping?: boolean;
  simpleKey?: boolean;
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

class Emitter {
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;
  private indent: number | null = null;
  private readonly indents: Array<number | null> = [];

  constructor(private readonly sortKeys: boolean) {}

  dump(value: unknown): string {
    // expect_document_start: the document is implicit (no `---`).
    this.emitNode(value, { root: true });
    // expect_document_end: write_indent, then (stream end) `...` when the root was plain.
    this.writeIndent();
    if (this.openEnded) {
      this.writeIndicator('...', true);
      this.writeIndent();
    }
    return this.out;
  }

  private increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() ?? null;
  }

  private emitNode(value: unknown, context: NodeContext): void {
    if (Array.isArray(value)) {
      if (value.length === 0) return this.emitEmptyFlow('[', ']');
      const indentless = Boolean(context.mapping) && !this.indention;
      this.increaseIndent(false, indentless);
      for (const item of value) {
        if (item === undefined) throw new TypeError('cannot represent `undefined` in a YAML sequence');
        this.writeIndent();
        this.writeIndicator('-', true, false, true);
        this.emitNode(item, { sequence: true });
      }
      this.popIndent();
      return;
    }
    if (isPlainObject(value)) {
      const entries = Object.entries(value).filter(([, item]) => item !== undefined);
      if (entries.length === 0) return this.emitEmptyFlow('{', '}');
      if (this.sortKeys) entries.sort(([a], [b]) => compareCodePoints(a, b));
      this.increaseIndent(false);
      for (const [key, item] of entries) {
        this.writeIndent();
        const keyEvent = representScalar(key);
        if (this.isSimpleKey(keyEvent)) {
          this.emitScalar(keyEvent, { mapping: true, simpleKey: true });
          this.writeIndicator(':', false);
          this.emitNode(item, { mapping: true });
        } else {
          this.writeIndicator('?', true, false, true);
          this.emitScalar(keyEvent, { mapping: true });
          this.writeIndent();
          this.writeIndicator(':', true, false, true);
          this.emitNode(item, { mapping: true });
        }
      }
      this.popIndent();
      return;
    }
    this.emitScalar(representScalar(value), context);
  }

  private emitEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true);
    this.increaseIndent(true);
    this.popIndent();
    this.writeIndicator(close, false);
  }

  /** check_simple_key: the key text plus its (unwritten) `!!str` tag must stay under 128. */
  private isSimpleKey(event: ScalarEvent): boolean {
    const analysis = analyzeScalar(event.value);
    const tagLength = '!!str'.length;
    return analysis.chars.length + tagLength < 128 && !analysis.empty && !analysis.multiline;
  }

  private emitScalar(event: ScalarEvent, context: NodeContext): void {
    const analysis = analyzeScalar(event.value);
    const style = chooseScalarStyle(event, analysis, Boolean(context.simpleKey));
    this.increaseIndent(true);
    const split = !context.simpleKey;
    if (style === '"') this.writeDoubleQuoted(analysis.chars, split);
    else if (style === "'") this.writeSingleQuoted(analysis.chars, split);
    else this.writePlain(analysis.chars, split, Boolean(context.root));
    this.popIndent();
  }

  // ---- writers --------------------------------------------------------------------------

  private write(data: string, width = Array.from(data).length): void {
    this.out += data;
    this.column += width;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.openEnded = false;
    this.write(data);
  }

  private writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  private writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.out += data;
    this.column = 0;
  }

  private writeSingleQuoted(text: string[], split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end]! : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== text.length) {
            this.writeIndent();
          } else {
            this.write(text.slice(start, end).join(''), end - start);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          for (const br of text.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''", 2);
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
    this.writeIndicator("'", false);
  }

  private writeDoubleQuoted(text: string[], split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end]! : null;
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !isPrintableAscii(ch)) {
        if (start < end) {
          this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
        if (ch !== null) {
          const code = ch.codePointAt(0)!;
          let data: string;
          const replacement = ESCAPE_REPLACEMENTS[ch];
          if (replacement !== undefined) data = `\\${replacement}`;
          else if (code <= 0xff) data = `\\x${hex(code, 2)}`;
          else if (code <= 0xffff) data = `\\u${hex(code, 4)}`;
          else data = `\\U${hex(code, 8)}`;
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < text.length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > BEST_WIDTH &&
        split
      ) {
        const data = `${text.slice(start, end).join('')}\\`;
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === ' ') this.write('\\');
      }
    }
    this.writeIndicator('"', false);
  }

  private writePlain(text: string[], split: boolean, root: boolean): void {
    if (root) this.openEnded = true;
    if (text.length === 0) return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end]! : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.write(text.slice(start, end).join(''), end - start);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          for (const br of text.slice(start, end)) this.writeLineBreak(br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch)) {
        this.write(text.slice(start, end).join(''), end - start);
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
  }
}

function chooseScalarStyle(event: ScalarEvent, analysis: ScalarAnalysis, simpleKey: boolean): '' | "'" | '"' {
  if (event.plainImplicit && !(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) {
    return '';
  }
  if (analysis.allowSingleQuoted && !(simpleKey && analysis.multiline)) return "'";
  return '"';
}

/** SafeRepresenter: a Python value to the text of its scalar node. */
function representScalar(value: unknown): ScalarEvent {
  if (typeof value === 'string') return { value, plainImplicit: resolvePlainTag(value) === 'str' };
  if (value === null) return { value: 'null', plainImplicit: true };
  if (typeof value === 'boolean') return { value: value ? 'true' : 'false', plainImplicit: true };
  if (typeof value === 'bigint') return { value: value.toString(), plainImplicit: true };
  if (typeof value === 'number') {
    return { value: Number.isInteger(value) ? String(value) : pyyamlFloat(value), plainImplicit: true };
  }
  if (value instanceof PyFloat) return { value: pyyamlFloat(value.value), plainImplicit: true };
  if (value instanceof PyTimestamp) return { value: value.text, plainImplicit: true };
  throw new TypeError(`cannot represent a value of type ${describe(value)} in YAML`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, '0');
}

/** Python's str ordering: by code point (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const diff = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}

/**
 * `yaml.safe_dump(value, default_flow_style=False, sort_keys=...)`: block style, indent 2,
 * width 80, allow_unicode=False, `\n` line breaks.
 */
export function safeDump(value: unknown, options: SafeDumpOptions = {}): string {
  return new Emitter(options.sortKeys ?? true).dump(value);
}
