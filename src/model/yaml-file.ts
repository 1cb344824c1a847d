/**
 * YAML file → plain values, with PyYAML `safe_load` semantics (YAML 1.1 resolution: `3.10` is a
 * float, `yes` is true, `1:30` is an int, an unquoted timestamp is a timestamp), read no more
 * loosely than MLflow reads it (`open(path)` + `yaml.safe_load`):
 *
 * - yaml-text.ts: the bytes (strict UTF-8, at most 16 MiB) and the characters PyYAML accepts;
 * - yaml-syntax.ts: the CST, bounded (values, nesting) and held to PyYAML's syntax where YAML 1.2
 *   differs (tabs, anchor names, directives);
 * - here: the `yaml` package composes (failsafe schema, so every scalar arrives as text with its
 *   style), and this module resolves plain scalars with PyYAML's own resolver and constructs the
 *   values the way PyYAML's SafeConstructor does, in the value model of pyyaml.ts (`PyFloat` for
 *   integral floats, `bigint` for big ints, `PyTimestamp` for timestamps). So
 *   `safeDump(parseYamlText(text).value)` writes what `yaml.safe_dump(yaml.safe_load(text))` writes.
 *
 * Refused although PyYAML accepts them (mlf's value model is a tree of JSON-like values): the tags
 * `!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!merge` and `!`; an alias inside the collection it
 * names (PyYAML builds a recursive structure); aliases that expand the document beyond
 * `YAML_MAX_NODES` values (PyYAML shares the nodes; a tree copies them: the "billion laughs").
 * Everything PyYAML refuses is refused.
 *
 * Known limit: mapping keys become JS strings. A key that PyYAML would load as an int, a bool or
 * null (`1: x`) is kept as its text and written back quoted.
 *
 * Errors are `MlfError`s, exit 2, naming file, line and column: MALFORMED_YAML for content, and
 * YAML_TOO_LARGE for the limits.
 */
import {
  Composer,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Scalar,
  type Alias,
  type Pair,
  type YAMLMap,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import { inputError, type MlfError } from '../errors.js';
import { PyFloat, PyTimestamp, pyyamlFloat, resolvePlainTag, type PyValue } from './pyyaml.js';
import { nodesReason, parseCheckedCst, SYNTAX_HINT, YAML_MAX_NODES } from './yaml-syntax.js';
import { checkYamlText, decodeYamlBytes, malformedYaml, yamlTooLarge } from './yaml-text.js';

export { YAML_MAX_DEPTH, YAML_MAX_NODES } from './yaml-syntax.js';
export { YAML_MAX_BYTES } from './yaml-text.js';

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

/** The bytes of a YAML file, decoded strictly as UTF-8. `file` names the file in errors. */
export function parseYamlBytes(bytes: Uint8Array, file: string): LoadedYaml {
  return loadChecked(checkYamlText(decodeYamlBytes(bytes, file), file, { lossy: false }).text, file);
}

/**
 * YAML text decoded elsewhere. mlf's own readers decode strictly (src/fs/read-regular-file.ts
 * refuses invalid UTF-8), so a U+FFFD in their text is a real one and PyYAML accepts it. Text
 * from a lossy decode (`readFile(path, 'utf8')`) cannot tell a real U+FFFD from a replaced byte:
 * pass `{ lossy: true }` and a U+FFFD is refused as invalid UTF-8.
 */
export function parseYamlText(text: string, file: string, options: { lossy?: boolean } = {}): LoadedYaml {
  return loadChecked(checkYamlText(text, file, { lossy: options.lossy ?? false }).text, file);
}

/** Either form: bytes as `parseYamlBytes`, text as `parseYamlText`. */
export function parseYaml(source: string | Uint8Array, file: string): LoadedYaml {
  return typeof source === 'string' ? parseYamlText(source, file) : parseYamlBytes(source, file);
}

const MERGE_HINT = 'Set the key once, in the mapping itself: its own keys win over merged ones in every PyYAML release.';
const ALIAS_HINT = 'Write the values out instead of through aliases (MLflow itself never writes an alias that refers to its own container).';
const TAG_HINT = 'Remove the tag: MLflow reads these files with `yaml.safe_load`, which builds only plain values (no Python objects).';
const LIMIT_HINT = `MLflow writes these files with a few hundred values; mlf reads at most ${YAML_MAX_NODES}, aliases expanded.`;

function loadChecked(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const { tokens, propertyStarts } = parseCheckedCst(text, file, lineCounter.addNewLine);
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const composer = new Composer({ schema: 'failsafe', version: '1.1', uniqueKeys: false, prettyErrors: false });
  let doc: Document.Parsed | undefined;
  for (const composed of composer.compose(tokens, true, text.length)) {
    if (doc) {
      throw malformedYaml(file, 'the file holds more than one YAML document (PyYAML reads one)', SYNTAX_HINT, position(composed.range[0]));
    }
    doc = composed;
  }
  const firstError = doc!.errors[0];
  if (firstError) {
    throw malformedYaml(file, firstLine(firstError.message), SYNTAX_HINT, position(firstError.pos[0]), firstError);
  }
  /** Where `node` starts, its anchor and tag included. */
  const startOf = (node: unknown): number => {
    let start = (node as { range?: [number, number] } | null | undefined)?.range?.[0] ?? 0;
    for (;;) {
      let end = start;
      while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\n')) end -= 1;
      const property = propertyStarts.get(end);
      if (property === undefined) return start;
      start = property;
    }
  };
  const fail = (reason: string, at: unknown, hint = SYNTAX_HINT): never => {
    throw malformedYaml(file, reason, hint, position(startOf(at)));
  };
  const tooLarge = (reason: string, at: unknown): never => {
    throw yamlTooLarge(file, reason, LIMIT_HINT, position(startOf(at)));
  };
  const aliases = indexDocument(doc!.contents, fail, tooLarge);
  const value = doc!.contents === null ? null : constructNode(doc!.contents, aliases, fail);
  return {
    value,
    lineOf(path: YamlPath): Position | undefined {
      const offset = findOffset(doc!, aliases, path);
      return offset === undefined ? undefined : position(offset);
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/:$/, '');
}

type Fail = (reason: string, at: unknown, hint?: string) => never;

/**
 * Each alias's node, as PyYAML's composer finds it: the anchor of that name met earlier in the
 * document (a collection's anchor counts from its start, so an alias inside it names it). An
 * alias with no such anchor, and an anchor name used twice, are errors, as in PyYAML. On the way,
 * the document's size with every alias expanded is summed (each node once, each alias from its
 * anchor's size), so that an alias bomb is refused before anything is built, and an alias inside
 * the collection it names (a recursive structure) is refused.
 */
function indexDocument(root: unknown, fail: Fail, tooLarge: (reason: string, at: unknown) => never): Map<Alias, YamlNode> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode>();
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  let written = 0;
  // Depth is bounded by YAML_MAX_DEPTH (yaml-syntax.ts), so recursion is safe here.
  const visit = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return fail(`the alias \`*${node.source}\` names no anchor defined before it`, node);
      if (open.has(target)) return fail(`the alias \`*${node.source}\` sits inside the collection it names (a recursive structure)`, node, ALIAS_HINT);
      targets.set(node, target);
      return sizes.get(target)!;
    }
    if (isPair(node)) return visit(node.key) + visit(node.value);
    written += 1;
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor !== undefined) {
      if (anchors.has(anchor)) fail(`the anchor \`&${anchor}\` is defined twice`, node);
      anchors.set(anchor, node as YamlNode);
    }
    let size = 1;
    if (isMap(node) || isSeq(node)) {
      open.add(node);
      for (const item of node.items) size += visit(item);
      open.delete(node);
    }
    sizes.set(node, size);
    return size;
  };
  const total = visit(root);
  if (total > YAML_MAX_NODES) {
    tooLarge(written > YAML_MAX_NODES ? nodesReason() : `its aliases expand it to more than ${YAML_MAX_NODES} values (an alias bomb?)`, root);
  }
  return targets;
}

const TAG_PREFIX = 'tag:yaml.org,2002:';
const SCALAR_TAGS = new Set(['str', 'null', 'bool', 'int', 'float', 'timestamp']);
/** Tags safe_load constructs into values mlf's model cannot hold (bytes, sets, tuples). */
const UNSUPPORTED_TAGS = new Set(['binary', 'set', 'omap', 'pairs', 'merge']);

/** Why `tag` does not construct a node of `kind`, or undefined when it does. */
function tagProblem(tag: string | undefined, kind: 'scalar' | 'sequence' | 'mapping'): string | undefined {
  if (tag === undefined) return undefined;
  const short = tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length) : undefined;
  if (kind === 'sequence' && short === 'seq') return undefined;
  if (kind === 'mapping' && short === 'map') return undefined;
  if (kind === 'scalar' && short !== undefined && SCALAR_TAGS.has(short)) return undefined;
  if (short !== undefined && UNSUPPORTED_TAGS.has(short)) return `the tag \`!!${short}\` (mlf reads no binary, set, ordered-map, pairs or tagged-merge values)`;
  if (short === 'seq' || short === 'map' || (short !== undefined && SCALAR_TAGS.has(short))) {
    const wants = short === 'seq' ? 'a sequence' : short === 'map' ? 'a mapping' : 'a scalar';
    return `the tag \`!!${short}\` needs ${wants}, but the value is a ${kind}`;
  }
  return `could not determine a constructor for the tag \`${tag}\``;
}

/** The value of `root`; `indexDocument` has bounded its size and refused recursive aliases. */
function constructNode(root: unknown, aliases: Map<Alias, YamlNode>, fail: Fail): PyValue {
  const targetOf = (alias: Alias): YamlNode => aliases.get(alias)!;
  const keyOf = (keyNode: unknown, pair: unknown): string => {
    const node = isAlias(keyNode) ? targetOf(keyNode) : keyNode;
    // A missing key (`: v`, `? ` alone) arrives as an empty plain scalar. PyYAML refuses the
    // first and builds a None key for the second, which mlf's string keys cannot hold.
    const empty = isScalar(node) && node.type === Scalar.PLAIN && node.tag === undefined && node.value === '';
    if (node === null || node === undefined || empty) return fail('an empty mapping key', node ?? (pair as { value?: unknown }).value);
    if (!isScalar(node)) return fail('a mapping key must be a scalar (PyYAML: "found unhashable key")', keyNode);
    // PyYAML reads a plain `=` key as a string (flatten_mapping); every other key is constructed
    // as a value would be, so that a bad tag or an invalid int fails here too.
    const isValueKey = node.type === Scalar.PLAIN && node.tag === undefined && node.value === '=';
    if (!isValueKey) constructScalar(node, (message, hint) => fail(message, node, hint));
    return String(node.value);
  };
  const flattened = new Map<YAMLMap, Pair[]>();
  /**
   * PyYAML's flatten_mapping: the pairs of every `<<` value (a mapping, or a list of mappings),
   * then the mapping's own pairs, which win over merged ones. When two merged pairs share a key,
   * PyYAML 6.0.4 keeps the first only if the two key strings are the same Python object (so for
   * one-character keys, not for longer ones) and older releases kept the first of a list:
   * refused, as no single answer is MLflow's.
   */
  const flattenedPairs = (map: YAMLMap): Pair[] => {
    const known = flattened.get(map);
    if (known) return known;
    const merged: Pair[] = [];
    const mergedByKey = new Map<string, Pair>();
    const own: Pair[] = [];
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      if (!(isScalar(keyNode) && keyNode.type === Scalar.PLAIN && keyNode.tag === undefined && keyNode.value === '<<')) {
        own.push(pair);
        continue;
      }
      const value = isAlias(pair.value) ? targetOf(pair.value) : pair.value;
      const sources = isMap(value) ? [value] : isSeq(value) ? value.items.map((item) => (isAlias(item) ? targetOf(item) : item)) : [value];
      for (const source of sources) {
        if (!isMap(source)) return fail('expected a mapping or list of mappings for merging', source ?? pair.value ?? keyNode);
        const problem = tagProblem(source.tag, 'mapping');
        if (problem) fail(problem, source, TAG_HINT);
        for (const sourcePair of flattenedPairs(source)) {
          const key = keyOf(sourcePair.key, sourcePair);
          const earlier = mergedByKey.get(key);
          if (earlier === sourcePair) continue;
          if (earlier) fail(`the key \`${key}\` comes from two \`<<\` merges (PyYAML releases disagree on which wins)`, sourcePair.key, MERGE_HINT);
          mergedByKey.set(key, sourcePair);
          merged.push(sourcePair);
        }
      }
    }
    const pairs = [...merged, ...own];
    flattened.set(map, pairs);
    return pairs;
  };
  const visit = (current: unknown): PyValue => {
    if (isAlias(current)) return visit(targetOf(current));
    if (current === null || current === undefined) return null;
    if (isScalar(current)) return constructScalar(current, (message, hint) => fail(message, current, hint));
    if (isSeq(current)) {
      const problem = tagProblem(current.tag, 'sequence');
      if (problem) fail(problem, current, TAG_HINT);
      return current.items.map((item) => visit(item));
    }
    if (isMap(current)) {
      const problem = tagProblem(current.tag, 'mapping');
      if (problem) fail(problem, current, TAG_HINT);
      const result: Record<string, PyValue> = {};
      for (const pair of flattenedPairs(current)) setProperty(result, keyOf(pair.key, pair), visit(pair.value));
      return result;
    }
    return fail('unsupported YAML node', current);
  };
  return visit(root);
}

function setProperty(target: Record<string, PyValue>, key: string, value: PyValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function constructScalar(node: Scalar, fail: (message: string, hint?: string) => never): PyValue {
  const text = String(node.value ?? '');
  const problem = tagProblem(node.tag, 'scalar');
  if (problem) return fail(problem, TAG_HINT);
  const tag = node.tag !== undefined ? node.tag.slice(TAG_PREFIX.length) : node.type === Scalar.PLAIN ? resolvePlainTag(text) : 'str';
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
      // A plain scalar that resolves to `value` (`=`), `merge` (`<<`) or `yaml`: SafeConstructor
      // has no constructor for these.
      return fail(`could not determine a constructor for the tag \`${TAG_PREFIX}${tag}\``);
  }
}

/**
 * SafeConstructor.construct_yaml_int, on text that may carry an explicit `!!int` tag: each form
 * must be all digits of its base (Python's `int()` also takes spaces and `0o` here; refused).
 */
function constructInt(source: string, fail: (message: string) => never): number | bigint {
  let text = source.replace(/_/g, '');
  let sign = 1n;
  if (text.startsWith('-')) sign = -1n;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  const digits = (value: string, pattern: RegExp): string => (pattern.test(value) ? value : fail(`invalid integer \`${source}\``));
  let value: bigint;
  if (text === '0') value = 0n;
  else if (text.startsWith('0b')) value = BigInt(`0b${digits(text.slice(2), /^[01]+$/)}`);
  else if (text.startsWith('0x')) value = BigInt(`0x${digits(text.slice(2), /^[0-9a-fA-F]+$/)}`);
  else if (text.startsWith('0')) value = BigInt(`0o${digits(text.slice(1), /^[0-7]+$/)}`);
  else if (text.includes(':')) {
    value = 0n;
    for (const part of text.split(':')) value = value * 60n + BigInt(digits(part, /^[0-9]+$/));
  } else value = BigInt(digits(text, /^[0-9]+$/));
  value *= sign;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A number Python's `float()` reads (less its spaces, and signs after PyYAML's own). */
const FLOAT_TEXT = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/;

/** SafeConstructor.construct_yaml_float; integral results are marked `PyFloat`. */
function constructFloat(source: string, fail: (message: string) => never): number | PyFloat {
  let text = source.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (text.startsWith('-')) sign = -1;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  const number = (part: string): number => (FLOAT_TEXT.test(part) ? Number(part) : fail(`invalid float \`${source}\``));
  let value: number;
  if (text === '.inf' || text === 'inf' || text === 'infinity') value = Infinity;
  else if (text === '.nan' || text === 'nan') value = NaN;
  else if (text.includes(':')) {
    value = 0;
    for (const part of text.split(':')) value = value * 60 + number(part);
  } else value = number(text);
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

function findOffset(doc: Document, aliases: Map<Alias, YamlNode>, path: YamlPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YamlNode | null)?.range?.[0];
  for (const segment of path) {
    if (isAlias(node)) node = aliases.get(node);
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
 * Load `source` (bytes as `parseYamlBytes`, text as `parseYamlText`) and check it against
 * `schema`. A shape error becomes `MlfError` `code` (exit 2) naming the field (dotted path), its
 * line, what was expected and what was found.
 */
export function parseYamlWithSchema<T>(
  source: string | Uint8Array,
  file: string,
  schema: z.ZodType<T>,
  code: string,
  hint?: string,
): ParsedYamlFile<T> {
  const loaded = parseYaml(source, file);
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
