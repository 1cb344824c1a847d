/**
 * The bytes of a YAML file → the text the YAML parser may see, refusing what MLflow's reader
 * refuses. MLflow reads MLmodel, conda.yaml and python_env.yaml with `open(path)` (text mode:
 * strict UTF-8 in a UTF-8 locale, universal newlines) and `yaml.safe_load(f)`, whose reader
 * (PyYAML 6.0.x reader.py, `NON_PRINTABLE`) accepts only TAB, LF, CR, U+0020–U+007E, U+0085,
 * U+00A0–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF. So here:
 *
 * - the file is at most `YAML_MAX_BYTES` (16 MiB; real MLmodel files are a few KiB);
 * - the bytes must be valid UTF-8 (a UTF-16 or UTF-32 file fails in MLflow's `open()` too);
 * - CRLF and lone CR become LF, as text mode does before PyYAML sees them;
 * - a character outside PyYAML's set is refused where it stands (file, line, column);
 * - stricter than PyYAML, on purpose: U+0085, U+2028 and U+2029, which PyYAML reads as line
 *   breaks and the `yaml` package does not (a raw one would make the two disagree about the
 *   document's structure), and U+FEFF after the start of the file (PyYAML skips only a leading
 *   one). MLflow never writes any of these raw: its dumper escapes them.
 */
import { inputError, type MlfError } from '../errors.js';

/** Largest YAML file mlf reads: far above any real MLmodel, conda.yaml or python_env.yaml. */
export const YAML_MAX_BYTES = 16 * 1024 * 1024;

const ENCODING_HINT = 'Save the file as UTF-8: MLflow reads MLmodel, conda.yaml and python_env.yaml as UTF-8.';
const CHARACTER_HINT = 'Remove the character, or write it as an escape (`\\xNN`, `\\uNNNN`) inside a double-quoted string.';

/**
 * What PyYAML's reader accepts, less U+0085/U+2028/U+2029 (line breaks to PyYAML only) and
 * U+FEFF (a leading one is removed before the check). With the `u` flag a lone surrogate is a
 * code point of its own, outside every range, so it is refused too.
 */
const REFUSED_CHARACTER = /[^\t\n\r\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function yamlTooLarge(file: string, reason: string, hint: string, position?: { line: number; column: number }): MlfError {
  return inputError('YAML_TOO_LARGE', `\`${file}\` is beyond what mlf reads as YAML: ${reason}`, {
    file,
    ...(position ? { line: position.line, column: position.column } : {}),
    hint,
    data: { reason },
  });
}

export function malformedYaml(file: string, reason: string, hint: string, position?: { line: number; column: number }, cause?: unknown): MlfError {
  return inputError('MALFORMED_YAML', `Malformed YAML in \`${file}\`: ${reason}`, {
    file,
    ...(position ? { line: position.line, column: position.column } : {}),
    hint,
    data: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

const sizeReason = (bytes: number): string =>
  `the file has ${bytes} bytes, more than the limit of ${YAML_MAX_BYTES} (16 MiB)`;
const SIZE_HINT = 'MLflow writes these files at a few KiB; check that this is the file you meant.';

/** Strictly decoded UTF-8 text of `bytes` (a leading BOM kept, as Python's `utf-8` codec does). */
export function decodeYamlBytes(bytes: Uint8Array, file: string): string {
  if (bytes.length > YAML_MAX_BYTES) throw yamlTooLarge(file, sizeReason(bytes.length), SIZE_HINT);
  const wideBom = wideEncodingOf(bytes);
  if (wideBom) throw malformedYaml(file, `the file is ${wideBom} (it starts with a ${wideBom} byte order mark), not UTF-8`, ENCODING_HINT, { line: 1, column: 1 });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, offset);
    const lineStart = before.lastIndexOf(0x0a) + 1;
    const line = before.reduce((count, byte) => (byte === 0x0a ? count + 1 : count), 1);
    const column = new TextDecoder('utf-8').decode(before.subarray(lineStart)).length + 1;
    const byte = bytes[offset]!.toString(16).padStart(2, '0');
    throw malformedYaml(file, `invalid UTF-8: byte 0x${byte} at offset ${offset} does not decode`, ENCODING_HINT, { line, column });
  }
}

function wideEncodingOf(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes[2] === 0 && bytes[3] === 0 ? 'UTF-32' : 'UTF-16';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'UTF-16';
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) return 'UTF-32';
  return undefined;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let min: number;
    if (b < 0x80) {
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [length, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [length, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [length, min] = [4, 0x10000];
    else return i;
    let code = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k += 1) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return bytes.length;
}

export interface CheckedYamlText {
  /** The text with universal newlines applied and a leading BOM removed. */
  text: string;
}

/**
 * Check decoded text as PyYAML's reader would (see the module comment). `lossy`: the text came
 * from a decode that replaces invalid bytes with U+FFFD (`readFile(path, 'utf8')`), so a U+FFFD is
 * taken for invalid UTF-8 and refused; a strict decode (`decodeYamlBytes`) lets a real one through.
 */
export function checkYamlText(source: string, file: string, options: { lossy: boolean }): CheckedYamlText {
  if (source.length > YAML_MAX_BYTES || Buffer.byteLength(source, 'utf8') > YAML_MAX_BYTES) {
    throw yamlTooLarge(file, sizeReason(Buffer.byteLength(source, 'utf8')), SIZE_HINT);
  }
  let text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  const refused = REFUSED_CHARACTER.exec(text);
  const replacement = options.lossy ? text.indexOf('\uFFFD') : -1;
  const at = refused && (replacement < 0 || refused.index < replacement) ? refused.index : replacement;
  if (at >= 0) {
    const code = text.codePointAt(at)!;
    throw malformedYaml(file, describeCharacter(code), code === 0xfffd ? ENCODING_HINT : CHARACTER_HINT, positionOf(text, at));
  }
  return { text };
}

function describeCharacter(code: number): string {
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code === 0xfffd) return `${name} (the replacement character: the file is not valid UTF-8, or holds one raw)`;
  if (code === 0x85 || code === 0x2028 || code === 0x2029) {
    return `the character ${name}, which PyYAML reads as a line break and mlf does not; write it escaped in a double-quoted string`;
  }
  if (code === 0xfeff) return `the character ${name} (a byte order mark) after the start of the file`;
  if (code >= 0xd800 && code <= 0xdfff) return `a lone surrogate ${name}`;
  return `the control character ${name}, which PyYAML refuses ("special characters are not allowed")`;
}

/** 1-based line and column (in UTF-16 units, as the `yaml` package counts) of `offset`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
