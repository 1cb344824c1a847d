/**
 * YAML text → plain values, with PyYAML `safe_load` semantics (YAML 1.1 resolution: `3.10` is a
 * float, `yes` is true, `1:30` is an int, an unquoted timestamp is a timestamp). The `yaml`
 * package parses the syntax (failsafe schema, so every scalar arrives as text with its style);
 * this module resolves plain scalars with PyYAML's own resolver and constructs the values the way
 * PyYAML's SafeConstructor does, in the value model of pyyaml.ts (`PyFloat` for integral floats,
 * `bigint` for big ints, `PyTimestamp` for timestamps). So `safeDump(loadYaml(text).value)`
 * writes what `yaml.safe_dump(yaml.safe_load(text))` writes.
 *
 * Known limit: mapping keys become JS strings. A key that PyYAML would load as an int, a bool or
 * null (`1: x`) is kept as its text and written back quoted.
 *
 * Syntax errors become `MlfError` MALFORMED_YAML (exit 2) with file, line and column.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import { inputError, type MlfError } from '../errors.js';
import { PyFloat, PyTimestamp, pyyamlFloat, resolvePlainTag, type PyValue } from './pyyaml.js';

export type YamlPath = ReadonlyArray<string | number>;

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface LoadedYaml {
  /** The document as PyYAML's `safe_load` builds it (null for an empty file). */
  value: PyValue;
  /** Where the value at `path` starts: for a mapping entry, the line of its key. */
  lineOf(path: YamlPath): Position | undefined;
}

const HINT = 'Fix the YAML syntax at that line (indentation uses spaces; quote values that contain `: ` or start with a special character).';

/** Parse YAML text. `file` names the file in errors. */
export function loadYaml(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    schema: 'failsafe',
    version: '1.1',
    uniqueKeys: false, // PyYAML keeps the last value of a repeated key
    lineCounter,
    prettyErrors: false,
  });
  const firstError = doc.errors[0];
  if (firstError) {
    const position = firstError.linePos?.[0] ?? lineCounter.linePos(firstError.pos[0]);
    throw inputError('MALFORMED_YAML', `Malformed YAML in \`${file}\`: ${firstLine(firstError.message)}`, {
      file,
      line: position.line,
      column: position.col,
      hint: HINT,
      cause: firstError,
    });
  }
  const construct = (node: unknown): PyValue => constructNode(node, doc, file, lineCounter);
  const value = doc.contents === null ? null : construct(doc.contents);
  return {
    value,
    lineOf(path: YamlPath): Position | undefined {
      const offset = findOffset(doc, path);
      if (offset === undefined) return undefined;
      const position = lineCounter.linePos(offset);
      return { line: position.line, column: position.col };
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/:$/, '');
}

function constructNode(node: unknown, doc: Document, file: string, lines: LineCounter): PyValue {
  const fail = (message: string, at: unknown): never => {
    const offset = (at as { range?: [number, number] } | undefined)?.range?.[0] ?? 0;
    const position = lines.linePos(offset);
    throw inputError('MALFORMED_YAML', `Malformed YAML in \`${file}\`: ${message}`, {
      file,
      line: position.line,
      column: position.col,
      hint: HINT,
    });
  };
  const visit = (current: unknown): PyValue => {
    if (isAlias(current)) return visit(current.resolve(doc));
    if (isScalar(current)) return constructScalar(current, (message) => fail(message, current));
    if (isSeq(current)) return current.items.map((item) => visit(item));
    if (isMap(current)) {
      const result: Record<string, PyValue> = {};
      const merges: Array<Record<string, PyValue>> = [];
      for (const pair of current.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        if (isScalar(keyNode) && keyNode.type === Scalar.PLAIN && keyNode.tag === undefined && keyNode.value === '<<') {
          const merged = visit(pair.value);
          const sources = Array.isArray(merged) ? merged : [merged];
          for (const source of sources) {
            if (source === null || typeof source !== 'object' || Array.isArray(source) || source instanceof PyFloat || source instanceof PyTimestamp) {
              fail('expected a mapping or list of mappings for merging', pair.value);
            }
            merges.push(source as Record<string, PyValue>);
          }
          continue;
        }
        const key = keyText(keyNode, (message) => fail(message, keyNode ?? pair));
        setProperty(result, key, pair.value === null ? null : visit(pair.value));
      }
      if (merges.length === 0) return result;
      // PyYAML's flatten_mapping: merged keys come first, the mapping's own keys win.
      const flattened: Record<string, PyValue> = {};
      for (const source of merges.reverse()) for (const [k, v] of Object.entries(source)) setProperty(flattened, k, v);
      for (const [k, v] of Object.entries(result)) setProperty(flattened, k, v);
      return flattened;
    }
    if (current === null || current === undefined) return null;
    return fail('unsupported YAML node', current);
  };
  return visit(node);
}

function keyText(node: unknown, fail: (message: string) => never): string {
  if (node === null || node === undefined) return 'null';
  if (isScalar(node)) return String(node.value);
  return fail('a mapping key must be a scalar');
}

function setProperty(target: Record<string, PyValue>, key: string, value: PyValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const TAG_PREFIX = 'tag:yaml.org,2002:';

function constructScalar(node: Scalar, fail: (message: string) => never): PyValue {
  const text = String(node.value ?? '');
  let tag: string;
  if (node.tag !== undefined && node.tag !== '!') {
    if (!node.tag.startsWith(TAG_PREFIX)) return fail(`could not determine a constructor for the tag \`${node.tag}\``);
    tag = node.tag.slice(TAG_PREFIX.length);
  } else if (node.type === Scalar.PLAIN && node.tag === undefined) {
    tag = resolvePlainTag(text);
  } else {
    tag = 'str';
  }
  switch (tag) {
    case 'str':
      return text;
    case 'null':
      return null;
    case 'bool': {
      const lowered = text.toLowerCase();
      if (['yes', 'true', 'on'].includes(lowered)) return true;
      if (['no', 'false', 'off'].includes(lowered)) return false;
      return fail(`invalid boolean \`${text}\``);
    }
    case 'int':
      return constructInt(text, fail);
    case 'float':
      return constructFloat(text, fail);
    case 'timestamp':
      return constructTimestamp(text, fail);
    default:
      return fail(`could not determine a constructor for the tag \`${TAG_PREFIX}${tag}\``);
  }
}

/** SafeConstructor.construct_yaml_int. */
function constructInt(source: string, fail: (message: string) => never): number | bigint {
  let text = source.replace(/_/g, '');
  let sign = 1n;
  if (text.startsWith('-')) sign = -1n;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  let value: bigint;
  try {
    if (text === '0') value = 0n;
    else if (text.startsWith('0b')) value = BigInt(text);
    else if (text.startsWith('0x')) value = BigInt(text);
    else if (text.startsWith('0')) value = BigInt(`0o${text.slice(1)}`);
    else if (text.includes(':')) {
      value = 0n;
      for (const part of text.split(':')) value = value * 60n + BigInt(part);
    } else value = BigInt(text);
  } catch {
    return fail(`invalid integer \`${source}\``);
  }
  value *= sign;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** SafeConstructor.construct_yaml_float; integral results are marked `PyFloat`. */
function constructFloat(source: string, fail: (message: string) => never): number | PyFloat {
  let text = source.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (text.startsWith('-')) sign = -1;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  let value: number;
  if (text === '.inf') value = Infinity;
  else if (text === '.nan') value = NaN;
  else if (text.includes(':')) {
    value = 0;
    for (const part of text.split(':')) value = value * 60 + Number(part);
  } else value = Number(text);
  if (Number.isNaN(value) && text !== '.nan') return fail(`invalid float \`${source}\``);
  value *= sign;
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

/** SafeConstructor.construct_yaml_timestamp, kept as the text `safe_dump` writes back. */
function constructTimestamp(text: string, fail: (message: string) => never): PyTimestamp {
  const match = TIMESTAMP_PARTS.exec(text);
  if (!match) return fail(`invalid timestamp \`${text}\``);
  const [, year, month, day, hour, minute, second, fraction, tz, tzSign, tzHour, tzMinute] = match;
  const pad = (value: string | number, width = 2): string => String(value).padStart(width, '0');
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  const probe = new Date(Date.UTC(2000, m - 1, d));
  probe.setUTCFullYear(y);
  if (m < 1 || m > 12 || probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d || y < 1) {
    return fail(`invalid timestamp \`${text}\``);
  }
  const date = `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
  if (hour === undefined) return new PyTimestamp(date);
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return fail(`invalid timestamp \`${text}\``);
  let result = `${date} ${pad(hour)}:${minute}:${second}`;
  const micro = fraction ? Number(fraction.slice(0, 6).padEnd(6, '0')) : 0;
  if (micro !== 0) result += `.${pad(micro, 6)}`;
  if (tzSign !== undefined) {
    result += `${tzSign}${pad(Number(tzHour))}:${pad(Number(tzMinute ?? 0))}`;
  } else if (tz !== undefined) {
    result += '+00:00';
  }
  return new PyTimestamp(result);
}

function findOffset(doc: Document, path: YamlPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YamlNode | null)?.range?.[0];
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = [...node.items].reverse().find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return undefined;
      offset = (pair.key as YamlNode).range?.[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) return undefined;
      offset = (node as YamlNode).range?.[0];
    } else {
      return undefined;
    }
  }
  return offset;
}

// ---------------------------------------------------------------------------------------------
// Text → YAML → shape: one zod schema per file format, with errors that name file, line, field.

export interface ParsedYamlFile<T> {
  document: T;
  loaded: LoadedYaml;
}

/**
 * Load `text` and check it against `schema`. A shape error becomes `MlfError` `code` (exit 2)
 * naming the field (dotted path), its line, what was expected and what was found.
 */
export function parseYamlWithSchema<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
  code: string,
  hint?: string,
): ParsedYamlFile<T> {
  const loaded = loadYaml(text, file);
  const result = schema.safeParse(loaded.value);
  if (!result.success) throw schemaIssueToError(result.error.issues, loaded, file, code, hint);
  return { document: result.data, loaded };
}

export function schemaIssueToError(
  issues: readonly z.core.$ZodIssue[],
  loaded: LoadedYaml,
  file: string,
  code: string,
  hint?: string,
): MlfError {
  const issue = issues[0]!;
  const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
  const found = valueAt(loaded.value, path);
  const expected = expectationOf(issue);
  if (path.length === 0) {
    return inputError(code, `\`${file}\` must be ${expected.replace(/^expected /, '')}, got ${describePyValue(found)}`, {
      file,
      hint,
    });
  }
  const field = path.join('.');
  const position = loaded.lineOf(path) ?? loaded.lineOf(path.slice(0, -1));
  const got = found === undefined ? 'nothing' : describePyValue(found);
  return inputError(code, `Invalid field \`${field}\` in \`${file}\`: ${expected}, got ${got}`, {
    file,
    line: position?.line,
    column: position?.column,
    field,
    hint,
  });
}

const EXPECTED_BY_ZOD_TYPE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'null',
};

function expectationOf(issue: z.core.$ZodIssue): string {
  // Schemas in model/ give unions and refinements a message starting with "expected".
  if (issue.message.startsWith('expected')) return issue.message;
  if (issue.code === 'invalid_type') return `expected ${EXPECTED_BY_ZOD_TYPE[issue.expected] ?? issue.expected}`;
  return issue.message;
}

function valueAt(root: PyValue, path: ReadonlyArray<string | number>): PyValue | undefined {
  let current: PyValue | undefined = root;
  for (const segment of path) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) current = typeof segment === 'number' ? current[segment] : undefined;
    else if (current instanceof PyFloat || current instanceof PyTimestamp) return undefined;
    else current = Object.prototype.hasOwnProperty.call(current, segment) ? current[String(segment)] : undefined;
  }
  return current;
}

/** How a loaded value reads in a message: its Python type, and the value when short. */
export function describePyValue(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `a boolean (\`${value}\`)`;
  if (typeof value === 'bigint') return `an integer (\`${value}\`)`;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? `an integer (\`${value}\`)` : `a float (\`${pyyamlFloat(value)}\`)`;
  }
  if (value instanceof PyFloat) return `a float (\`${pyyamlFloat(value.value)}\`)`;
  if (value instanceof PyTimestamp) return `a timestamp (\`${value.text}\`)`;
  if (typeof value === 'string') return `a string (\`${value.length > 40 ? `${value.slice(0, 40)}…` : value}\`)`;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
