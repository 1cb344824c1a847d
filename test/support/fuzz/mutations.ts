/**
 * The fuzz test's mutations: pure functions from a file's bytes and a seeded PRNG to what the
 * file becomes (new bytes, or a symlink, directory or FIFO in its place) plus a one-line detail
 * that says exactly what was done, for the failure report. Nothing here touches the disk.
 *
 * The classes are the ones issue 9's fuzzer found bugs with: damaged bytes (flips, truncation,
 * NULs, invalid UTF-8, control characters, 100,000-character lines), hostile YAML (deep nesting,
 * alias bombs, 100,000 anchors, PyYAML-rejected tags, undefined aliases), wrong types in fields,
 * requirement lines that pip/packaging reject, bad CSV cells, and files that are not regular files.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Rng } from './prng.js';

export type FileFormat = 'yaml' | 'json' | 'requirements' | 'csv' | 'binary';

/** What a mutated file becomes on disk. Symlink targets are written as given (relative to the file's directory). */
export type Edit =
  | { kind: 'write'; bytes: Uint8Array }
  | { kind: 'symlink'; target: string }
  | { kind: 'directory' }
  | { kind: 'fifo' };

export interface Mutated {
  edit: Edit;
  /** A short, exact description ("flipped bytes at 12 (0x61->0x9e), 40 (...)"); never the content itself. */
  detail: string;
}

export const BYTE_CLASSES = ['byte-flip', 'truncate', 'nul-bytes', 'invalid-utf8', 'control-chars', 'huge-line'] as const;
export const NODE_CLASSES = ['symlink-dev-zero', 'symlink-dangling', 'symlink-loop', 'directory', 'fifo'] as const;
export const YAML_CLASSES = ['deep-nesting', 'alias-bomb', 'many-anchors', 'python-tag', 'undefined-alias', 'wrong-type'] as const;
export const JSON_CLASSES = ['deep-nesting', 'wrong-type'] as const;
export const REQUIREMENT_CLASSES = ['bad-requirement'] as const;
export const CSV_CLASSES = ['bad-cells'] as const;

export type MutationClass =
  | (typeof BYTE_CLASSES)[number]
  | (typeof NODE_CLASSES)[number]
  | (typeof YAML_CLASSES)[number]
  | (typeof JSON_CLASSES)[number]
  | (typeof REQUIREMENT_CLASSES)[number]
  | (typeof CSV_CLASSES)[number];

/** The mutation classes that make sense for a format (a YAML alias bomb in a pickle tests nothing). */
export function classesFor(format: FileFormat): readonly MutationClass[] {
  const common = [...BYTE_CLASSES, ...NODE_CLASSES];
  switch (format) {
    case 'yaml':
      return [...common, ...YAML_CLASSES];
    case 'json':
      return [...common, ...JSON_CLASSES];
    case 'requirements':
      return [...common, ...REQUIREMENT_CLASSES];
    case 'csv':
      return [...common, ...CSV_CLASSES];
    case 'binary':
      return common;
  }
}

export const HUGE = 100_000;

/**
 * Requirement lines pip or packaging 26.4 reject (or that name something that is not a file),
 * each of which mlf once accepted, read forever or crashed on. The first three are the ones
 * issue 9 names; `MUST_REJECT` are those a check must report, not just survive.
 */
export const BAD_REQUIREMENT_LINES = [
  '~',
  'name===',
  'tabulate>5,<4',
  'name[a,b]@gopher:/x',
  'name[.a]@git+https://example.invalid/x.git',
  '-r /dev/zero',
  '-c /dev/zero',
  '-r requirements.txt',
  '-r does-not-exist.txt',
  '-r .',
  'pkg @ file:///dev/zero',
  'pkg==1.0 ; python_version <',
  '==1.0',
  'pkg>=1,,<2',
  'numpy==2.4.6 \\',
  '--index-url',
  '-e',
  'pkg[',
  'pkg==1.0; extra == ',
] as const;
export const MUST_REJECT: ReadonlySet<string> = new Set(['~', 'name===', 'tabulate>5,<4']);

/** Values of the wrong type for any field: numbers, booleans, null, empty and nested containers. */
const WRONG_VALUES: readonly unknown[] = [0, -1, 3.5, 1e300, true, false, null, '', 'x', [], [1, [2]], {}, { a: { b: null } }, ['x'], '\u0001'];

const INVALID_UTF8: readonly number[][] = [[0xff], [0x80], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]];
/** C0 controls, DEL, and the Unicode line breaks (NEL, LS, PS) and BOM that PyYAML treats specially. */
const CONTROL_CHARS: readonly string[] = ['\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029', '\ufeff', '\r', '\u000b', '\u000c'];

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const write = (bytes: Uint8Array, detail: string): Mutated => ({ edit: { kind: 'write', bytes }, detail });
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** Mutates a file of the given format. `name` is its base name (a symlink loop points at itself). */
export function mutateFile(format: FileFormat, mutation: MutationClass, given: Uint8Array, name: string, rng: Rng): Mutated {
  // A private copy: a Buffer's slice() is a view, and flipping bytes in it would change the caller's.
  const bytes = new Uint8Array(given);
  switch (mutation) {
    case 'byte-flip':
      return flipBytes(bytes, rng);
    case 'truncate': {
      const at = bytes.length === 0 ? 0 : rng.int(bytes.length);
      return write(bytes.slice(0, at), `truncated to ${at} of ${bytes.length} bytes`);
    }
    case 'nul-bytes':
      return insertBytes(bytes, rng, () => [0], 'NUL');
    case 'invalid-utf8':
      return insertBytes(bytes, rng, () => rng.pick(INVALID_UTF8), 'invalid UTF-8');
    case 'control-chars':
      return insertBytes(bytes, rng, () => [...utf8(rng.pick(CONTROL_CHARS))], 'control character');
    case 'huge-line':
      return hugeLine(format, bytes, rng);
    case 'symlink-dev-zero':
      return { edit: { kind: 'symlink', target: '/dev/zero' }, detail: 'replaced by a symlink to /dev/zero' };
    case 'symlink-dangling':
      return { edit: { kind: 'symlink', target: `missing-dir/${name}` }, detail: `replaced by a dangling symlink to missing-dir/${name}` };
    case 'symlink-loop':
      return { edit: { kind: 'symlink', target: name }, detail: 'replaced by a symlink to itself (ELOOP)' };
    case 'directory':
      return { edit: { kind: 'directory' }, detail: 'replaced by an empty directory' };
    case 'fifo':
      return { edit: { kind: 'fifo' }, detail: 'replaced by a FIFO (a read blocks forever)' };
    case 'deep-nesting':
      return format === 'json' ? deepJson(bytes, rng) : deepYaml(bytes, rng);
    case 'alias-bomb':
      return aliasBomb(bytes, rng);
    case 'many-anchors':
      return manyAnchors(bytes, rng);
    case 'python-tag':
      return replaceYamlScalar(bytes, rng, rng.pick(['!!python/name:os.system', '!!python/object/apply:os.system ["true"]', '!!python/object:__main__.X {}', '!!python/module:os', '!custom x', '!!binary "####"']), 'tag');
    case 'undefined-alias':
      return replaceYamlScalar(bytes, rng, rng.pick(['*undefined', '*a0', '[*nope, 1]']), 'undefined alias');
    case 'wrong-type':
      return wrongType(format, bytes, rng);
    case 'bad-requirement':
      return badRequirement(bytes, rng);
    case 'bad-cells':
      return badCells(bytes, rng);
  }
}

function flipBytes(bytes: Uint8Array, rng: Rng): Mutated {
  if (bytes.length === 0) return write(Uint8Array.of(0xff), 'empty file: wrote one 0xff byte');
  const out = bytes.slice();
  const changes: string[] = [];
  const count = rng.between(1, 8);
  for (let i = 0; i < count; i++) {
    const at = rng.int(out.length);
    const before = out[at]!;
    out[at] = before ^ rng.between(1, 255);
    changes.push(`${at} (${hex(before)}->${hex(out[at]!)})`);
  }
  return write(out, `flipped bytes at ${changes.join(', ')}`);
}

function insertBytes(bytes: Uint8Array, rng: Rng, make: () => number[], what: string): Mutated {
  let out: Uint8Array = bytes.slice();
  const where: string[] = [];
  const count = rng.between(1, 3);
  for (let i = 0; i < count; i++) {
    const at = rng.int(out.length + 1);
    const inserted = make();
    out = concat(out.slice(0, at), Uint8Array.from(inserted), out.slice(at));
    where.push(`${inserted.map(hex).join(' ')} at ${at}`);
  }
  return write(out, `inserted ${what}: ${where.join(', ')}`);
}

function hugeLine(format: FileFormat, bytes: Uint8Array, rng: Rng): Mutated {
  const filler = rng.pick(['a', ' ', '-', '9', '[', '=', ',', '\\', 'é']);
  const run = filler.repeat(HUGE);
  const original = text(bytes);
  let line: string;
  switch (format) {
    case 'requirements':
      line = rng.pick([run, `pkg${run}`, `pkg==1.0${run}`, `pkg>=${'1.'.repeat(HUGE / 2)}0`, `pkg ; python_version == "${run}"`]);
      break;
    case 'yaml':
      line = rng.pick([`huge_key: ${JSON.stringify(run)}`, `huge_key: ${run}`, `${run}: 1`]);
      break;
    case 'csv':
      line = rng.pick([run, `${run},${run}`, Array.from({ length: HUGE / 2 + 1 }, () => '1').join(',')]);
      break;
    case 'json':
      return replaceJsonLeaf(bytes, rng, run, `a ${HUGE}-character string of ${JSON.stringify(filler)}`);
    case 'binary':
      return write(concat(bytes, utf8(run)), `appended ${HUGE} bytes of ${JSON.stringify(filler)} without a newline`);
  }
  const lines = original.split('\n');
  const at = rng.int(lines.length + 1);
  lines.splice(at, 0, line);
  return write(utf8(lines.join('\n')), `inserted a ${line.length}-character line (${JSON.stringify(line.slice(0, 24))}...) at line ${at + 1}`);
}

function deepYaml(bytes: Uint8Array, rng: Rng): Mutated {
  const depth = rng.pick([1_000, 10_000, 100_000]);
  const style = rng.pick(['flow-sequence', 'flow-mapping', 'block-mapping'] as const);
  let value: string;
  if (style === 'flow-sequence') value = `deep: ${'['.repeat(depth)}${']'.repeat(depth)}`;
  else if (style === 'flow-mapping') value = `deep: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
  else {
    // Indentation grows with depth, so block nesting is capped to keep the file a few MB.
    const levels = Math.min(depth, 2_000);
    value = Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}a${i}:`).join('\n') + ` 1`;
    return write(concat(withNewline(bytes), utf8(`${value}\n`)), `appended ${levels} levels of block-mapping nesting`);
  }
  return write(concat(withNewline(bytes), utf8(`${value}\n`)), `appended ${depth} levels of ${style} nesting`);
}

function deepJson(bytes: Uint8Array, rng: Rng): Mutated {
  const depth = rng.pick([1_000, 100_000, 1_000_000]);
  const open = rng.pick(['[', '{"a":'] as const);
  const close = open === '[' ? ']' : '}';
  const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
  return replaceJsonLeaf(bytes, rng, undefined, `${depth} levels of ${open === '[' ? 'arrays' : 'objects'}`, nested);
}

function aliasBomb(bytes: Uint8Array, rng: Rng): Mutated {
  const variant = rng.pick(['billion-laughs', 'recursive', 'wide'] as const);
  let block: string;
  if (variant === 'billion-laughs') {
    // 9 levels of 9 aliases: 9^9 (387 million) leaves once expanded.
    const lines = ['lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level <= 8; level++) lines.push(`lol${level}: &lol${level} [${Array(9).fill(`*lol${level - 1}`).join(', ')}]`);
    block = lines.join('\n');
  } else if (variant === 'recursive') {
    block = rng.pick(['loop: &loop [*loop]', 'loop: &loop {self: *loop}', 'loop: &loop\n  - *loop']);
  } else {
    // One anchor referenced 100,000 times: linear, but big once expanded into objects.
    block = `base: &base {a: 1, b: [1, 2, 3]}\nrefs: [${Array(HUGE).fill('*base').join(', ')}]`;
  }
  return write(concat(withNewline(bytes), utf8(`${block}\n`)), `appended a YAML alias bomb (${variant})`);
}

function manyAnchors(bytes: Uint8Array, rng: Rng): Mutated {
  const style = rng.pick(['flow', 'block'] as const);
  const anchors = Array.from({ length: HUGE }, (_, i) => `&a${i} ${i}`);
  const block = style === 'flow' ? `anchors: [${anchors.join(', ')}]` : `anchors:\n${anchors.map((a) => `- ${a}`).join('\n')}`;
  return write(concat(withNewline(bytes), utf8(`${block}\n`)), `appended ${HUGE} anchors (${style} style)`);
}

/** Puts a raw YAML value in place of the value of one `key: value` or `- value` line. */
function replaceYamlScalar(bytes: Uint8Array, rng: Rng, replacement: string, what: string): Mutated {
  const lines = text(bytes).split('\n');
  const candidates = lines.map((line, i) => ({ line, i })).filter(({ line }) => /^\s*(?:- |[\w.-]+:\s)\s*\S/.test(line));
  if (candidates.length === 0) {
    return write(concat(withNewline(bytes), utf8(`fuzz: ${replacement}\n`)), `appended \`fuzz: ${replacement}\` (${what})`);
  }
  const { line, i } = rng.pick(candidates);
  const match = /^(\s*(?:- |[\w.-]+:\s))/.exec(line)!;
  lines[i] = `${match[1]}${replacement}`;
  return write(utf8(lines.join('\n')), `line ${i + 1}: value replaced by \`${replacement}\` (${what})`);
}

/** Every path to a value in a parsed document, root included ([]). */
export function valuePaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...valuePaths(item, [...prefix, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) paths.push(...valuePaths(item, [...prefix, key]));
  }
  return paths;
}

/** A copy of `doc` with the value at `at` replaced (the root when `at` is empty). */
export function replaceAt(doc: unknown, at: readonly (string | number)[], replacement: unknown): unknown {
  if (at.length === 0) return replacement;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[at[at.length - 1]!] = replacement;
  return copy;
}

function wrongType(format: FileFormat, bytes: Uint8Array, rng: Rng): Mutated {
  const isJson = format === 'json';
  let doc: unknown;
  try {
    doc = isJson ? JSON.parse(text(bytes)) : parseYaml(text(bytes));
  } catch {
    return flipBytes(bytes, rng);
  }
  const paths = valuePaths(doc);
  // The root rarely: replacing the whole document is one case among many.
  const at = rng.chance(0.05) ? [] : rng.pick(paths.length > 1 ? paths.slice(1) : paths);
  const current = JSON.stringify(at.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], doc));
  const replacement = rng.pick(WRONG_VALUES.filter((v) => JSON.stringify(v) !== current));
  const changed = replaceAt(doc, at, replacement);
  const out = isJson ? JSON.stringify(changed) : stringifyYaml(changed);
  return write(utf8(out), `${at.length ? at.join('.') : '(the whole document)'} set to ${JSON.stringify(replacement)}`);
}

/** Replaces one leaf of a JSON document by `value` (or by raw JSON text), keeping the rest. */
function replaceJsonLeaf(bytes: Uint8Array, rng: Rng, value: unknown, what: string, raw?: string): Mutated {
  let doc: unknown;
  try {
    doc = JSON.parse(text(bytes));
  } catch {
    doc = {};
  }
  const paths = valuePaths(doc);
  const leaves = paths.filter((p) => p.length > 0);
  const at = leaves.length ? rng.pick(leaves) : [];
  // Raw text (a nesting too deep for JSON.stringify's recursion) goes in through a marker string.
  const marker = 'FUZZ-RAW-MARKER-7f3a';
  const changed = replaceAt(doc, at, raw === undefined ? value : marker);
  let out = JSON.stringify(changed);
  if (raw !== undefined) out = out.replace(JSON.stringify(marker), () => raw);
  return write(utf8(out), `${at.length ? at.join('.') : '(the whole document)'} replaced by ${what}`);
}

function badRequirement(bytes: Uint8Array, rng: Rng): Mutated {
  const bad = rng.pick(BAD_REQUIREMENT_LINES);
  const lines = text(bytes).split('\n');
  const replace = lines.length > 0 && rng.chance(0.5);
  const at = rng.int(replace ? lines.length : lines.length + 1);
  if (replace) lines[at] = bad;
  else lines.splice(at, 0, bad);
  return write(utf8(lines.join('\n')), `${replace ? 'replaced' : 'inserted'} line ${at + 1} with \`${bad}\``);
}

function badCells(bytes: Uint8Array, rng: Rng): Mutated {
  const lines = text(bytes).split('\n').filter((l) => l !== '');
  const variant = rng.pick(['cell', 'header-only', 'extra-column', 'missing-column', 'empty'] as const);
  if (variant === 'header-only') return write(utf8(`${lines[0] ?? ''}\n`), 'kept only the header row');
  if (variant === 'empty') return write(new Uint8Array(), 'an empty file');
  if (lines.length < 2) return write(utf8(`${lines.join('\n')}\n1e309\n`), 'appended a row `1e309`');
  const row = rng.between(1, lines.length - 1);
  const cells = lines[row]!.split(',');
  if (variant === 'extra-column') {
    lines[row] = `${lines[row]},1`;
    return write(utf8(`${lines.join('\n')}\n`), `row ${row + 1}: one cell more than the header`);
  }
  if (variant === 'missing-column') {
    lines[row] = cells.slice(0, -1).join(',');
    return write(utf8(`${lines.join('\n')}\n`), `row ${row + 1}: one cell fewer than the header`);
  }
  const column = rng.int(cells.length);
  const value = rng.pick(['1e309', '-1e309', '', 'nan', 'NaN', 'inf', 'null', 'None', '"unterminated', '"a,b"', 'x', '0x1F', '1'.repeat(400), '1_000', ' 1 ']);
  cells[column] = value;
  lines[row] = cells.join(',');
  return write(utf8(`${lines.join('\n')}\n`), `row ${row + 1}, column ${column + 1} set to ${JSON.stringify(value)}`);
}

/**
 * A string mutated as text (for the JSON strings MLmodel holds, such as the signature): the
 * byte-level classes applied to characters, plus the JSON ones applied to the parsed value.
 */
export const SIGNATURE_CLASSES = ['byte-flip', 'truncate', 'nul-bytes', 'control-chars', 'huge-line', 'deep-nesting', 'wrong-type'] as const;
export type SignatureClass = (typeof SIGNATURE_CLASSES)[number];

export function mutateJsonString(mutation: SignatureClass, value: string, rng: Rng): { value: string; detail: string } {
  const bytes = utf8(value);
  switch (mutation) {
    case 'byte-flip': {
      const chars = [...value];
      if (chars.length === 0) return { value: '\u00ff', detail: 'empty: set to "\\u00ff"' };
      const at = rng.int(chars.length);
      const replacement = rng.pick(['"', '\\', '{', ']', ',', ':', 'é', '\u2028', 'x', '0'].filter((ch) => ch !== chars[at]));
      chars[at] = replacement;
      return { value: chars.join(''), detail: `character ${at} replaced by ${JSON.stringify(replacement)}` };
    }
    case 'truncate': {
      const at = rng.int(value.length + 1);
      return { value: value.slice(0, at), detail: `truncated to ${at} of ${value.length} characters` };
    }
    case 'nul-bytes':
    case 'control-chars': {
      const at = rng.int(value.length + 1);
      const ch = mutation === 'nul-bytes' ? '\u0000' : rng.pick(CONTROL_CHARS);
      return { value: value.slice(0, at) + ch + value.slice(at), detail: `inserted ${JSON.stringify(ch)} at character ${at}` };
    }
    case 'huge-line':
    case 'deep-nesting':
    case 'wrong-type': {
      const mutated = mutation === 'huge-line' ? replaceJsonLeaf(bytes, rng, 'n'.repeat(HUGE), `a ${HUGE}-character string`) : mutation === 'deep-nesting' ? deepJson(bytes, rng) : wrongType('json', bytes, rng);
      return { value: mutated.edit.kind === 'write' ? text(mutated.edit.bytes) : value, detail: mutated.detail };
    }
  }
}

function withNewline(bytes: Uint8Array): Uint8Array {
  return bytes.length === 0 || bytes[bytes.length - 1] === 0x0a ? bytes : concat(bytes, Uint8Array.of(0x0a));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
