/**
 * requirements.txt as an ordered list of statements.
 *
 * Every statement keeps its original bytes (`raw`: all of its physical lines, continuation lines and
 * line endings included), so a file whose statements are left alone is written back byte for byte,
 * and an edited file changes only the statements that were edited.
 *
 * Grammar of one statement (pip's requirements-file format, as pip and MLflow read it):
 *
 *   physical-line  = text ( "\r\n" | "\n" | "\r" | end-of-file )
 *   comment        = "#" at the start of the line or after whitespace, to the end of the line
 *   continuation   = a physical line without a comment whose text ends in "\" continues on the next one
 *   logical-line   = the physical lines of one statement, each trimmed, comments cut, the trailing "\"
 *                    removed, joined with nothing in between (what MLflow's `_parse_requirements` does)
 *   statement      = blank | comment | include | editable | option | url | requirement
 *   include        = ("-r" | "--requirement" | "-c" | "--constraint") ( " " | "=" | "" ) path
 *   editable       = ("-e" | "--editable") ( " " | "=" | "" ) target per-req-option*
 *   option         = "-" ... anything else that starts with a dash (--index-url, -i, --pre, ...)
 *   url            = a URL pip downloads from ("https:...", "git+https:...") or a local path ("./x", "/x",
 *                    "x/y", "pkg-1.0.tar.gz"), as pip tells them apart (see `classifyRequirementLike`)
 *   requirement    = PEP 508 requirement [";" marker] per-req-option*   (per-req-option: "--hash=...", "-C ...")
 *
 * A control character (NUL, form feed, ... anything below U+0020 but tab, DEL, and the Unicode
 * line separators pip's `splitlines` breaks on) is refused wherever it is.
 *
 * Where pip and MLflow disagree on a corner (a line `# comment \` is a continuation for MLflow and
 * a comment for pip), pip wins: pip is what installs the file.
 *
 * `${VAR}` references are kept verbatim in `raw` and `content`; `parseRequirementsFile(text, file,
 * { env })` expands them (pip's rule: `${NAME}` with NAME in [A-Z0-9_], unset or empty left as is)
 * in the parsed fields only (`requirement`, `path`, `target`, `value`).
 */
import path from 'node:path';
import { MlfError, inputError, isMlfError } from '../errors.js';
import { parseMarker, SyntaxFailure, type MarkerList } from './markers.js';
import { tryParseVersion } from './pep440.js';
import { parseRequirement, REQUIREMENT_HINT, type ParsedRequirement } from './pep508.js';

export type Newline = '\n' | '\r\n';

interface StatementBase {
  /** 1-based number of the statement's first physical line. */
  line: number;
  /** 1-based number of its last physical line (greater than `line` with `\` continuations). */
  endLine: number;
  /** The original text: every physical line of the statement with its own line ending. */
  raw: string;
  /**
   * The logical line: continuations joined, comment cut, trimmed, `${VAR}` not expanded. This is
   * the string MLflow's `_parse_requirements` yields for the statement; '' for blanks and comments.
   */
  content: string;
  /** An inline or whole-line comment, from its `#` to the end of the line, as written. */
  comment?: string;
}

export interface RequirementStatement extends StatementBase {
  kind: 'requirement';
  /** The parsed requirement, with spans into `requirementText`. */
  requirement: ParsedRequirement;
  /** The requirement part of `content`, before any per-requirement option, as written. */
  requirementText: string;
  /** Per-requirement options as written, one entry per option: `['--hash=sha256:ab', ...]`. */
  options: string[];
}

export interface EditableStatement extends StatementBase {
  kind: 'editable';
  /** `-e` or `--editable`, as written. */
  flag: string;
  /** What is installed in editable mode: `.`, `./pkg`, `git+https://...#egg=x`. */
  target: string;
  options: string[];
}

export interface IncludeStatement extends StatementBase {
  kind: 'include';
  /** `requirements` for `-r`/`--requirement`, `constraints` for `-c`/`--constraint`. */
  include: 'requirements' | 'constraints';
  /** The flag as written: `-r`, `--requirement`, `-c`, `--constraint`. */
  flag: string;
  /** The referenced file, as written (relative paths resolve against the including file's dir). */
  path: string;
}

export interface OptionStatement extends StatementBase {
  kind: 'option';
  /** The long name for a known option (`-i` gives `--index-url`), otherwise the flag as written. */
  name: string;
  /** The flag as written. */
  flag: string;
  /** Whether pip's requirements-file format defines this option. */
  known: boolean;
  /** The value after the flag (`=`, whitespace or nothing between them), if any. */
  value?: string;
}

export interface UrlStatement extends StatementBase {
  kind: 'url';
  /** `url` for a URL pip downloads (`https://...`, `git+https://...`), `path` for a local file or directory (`file:` URLs too). */
  form: 'url' | 'path';
  /** A bare URL or local path (markers after ` ;` included, as written). */
  target: string;
  options: string[];
}

export interface CommentStatement extends StatementBase {
  kind: 'comment';
  comment: string;
}

export interface BlankStatement extends StatementBase {
  kind: 'blank';
}

export type Statement =
  | RequirementStatement
  | IncludeStatement
  | OptionStatement
  | EditableStatement
  | UrlStatement
  | CommentStatement
  | BlankStatement;

export interface RequirementsFile {
  statements: Statement[];
  /** The line ending new statements are written with: the file's majority style (LF when tied). */
  newline: Newline;
  /** Whether the last line ends with a line ending. Kept when statements are added or removed. */
  endsWithNewline: boolean;
  /** The path or label the file was read from, used in error locations and origins. */
  file?: string;
}

export interface ParseRequirementsOptions {
  /** Expand `${VAR}` references in the parsed fields with these values (pip's rule). */
  env?: Record<string, string | undefined>;
}

/** Options pip's requirements-file format defines: short alias → long name, and whether a value follows. */
const KNOWN_OPTIONS: ReadonlyMap<string, { takesValue: boolean }> = new Map([
  ['--index-url', { takesValue: true }],
  ['--extra-index-url', { takesValue: true }],
  ['--no-index', { takesValue: false }],
  ['--find-links', { takesValue: true }],
  ['--trusted-host', { takesValue: true }],
  ['--pre', { takesValue: false }],
  ['--prefer-binary', { takesValue: false }],
  ['--only-binary', { takesValue: true }],
  ['--no-binary', { takesValue: true }],
  ['--require-hashes', { takesValue: false }],
  ['--use-feature', { takesValue: true }],
  ['--requirement', { takesValue: true }],
  ['--constraint', { takesValue: true }],
  ['--editable', { takesValue: true }],
]);

const SHORT_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['-i', '--index-url'],
  ['-f', '--find-links'],
  ['-r', '--requirement'],
  ['-c', '--constraint'],
  ['-e', '--editable'],
]);

// ---------------------------------------------------------------------------------------------
// Physical lines

interface PhysicalLine {
  text: string;
  ending: '' | '\n' | '\r\n' | '\r';
}

/** Splits on CRLF, LF and a lone CR (as Python's universal newlines do); the last line may have no ending. */
export function splitPhysicalLines(text: string): PhysicalLine[] {
  const lines: PhysicalLine[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') {
      lines.push({ text: text.slice(start, i), ending: '\n' });
      start = i + 1;
    } else if (ch === '\r') {
      const crlf = text[i + 1] === '\n';
      lines.push({ text: text.slice(start, i), ending: crlf ? '\r\n' : '\r' });
      if (crlf) i++;
      start = i + 1;
    }
  }
  if (start < text.length) lines.push({ text: text.slice(start), ending: '' });
  return lines;
}

/** Index of the `#` that starts a comment (at the line start or after whitespace, pip's rule), or -1. */
function commentStart(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return i;
  }
  return -1;
}

/** `text` without the run of `char` at its end (a loop: `/\\+$/` is quadratic on a long inner run). */
function withoutTrailing(text: string, char: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === char) end--;
  return text.slice(0, end);
}

function endsWithBackslash(text: string): boolean {
  return text.trimEnd().endsWith('\\');
}

/** A logical line and, for each of its characters, the 1-based line and column it came from. */
interface LogicalLine {
  content: string;
  comment?: string;
  positions: Array<{ line: number; column: number }>;
}

function buildLogicalLine(lines: PhysicalLine[], firstLineNumber: number): LogicalLine {
  let content = '';
  let comment: string | undefined;
  const positions: Array<{ line: number; column: number }> = [];
  lines.forEach((physical, index) => {
    const cut = commentStart(physical.text);
    if (cut >= 0) comment = physical.text.slice(cut);
    const uncommented = cut >= 0 ? physical.text.slice(0, cut) : physical.text;
    const leading = uncommented.length - uncommented.trimStart().length;
    let body = uncommented.trim();
    // MLflow strips the line, then `rstrip("\\")`: the space before the backslash is kept as the separator.
    if (cut < 0 && body.endsWith('\\')) body = withoutTrailing(body, '\\');
    for (let k = 0; k < body.length; k++) {
      positions.push({ line: firstLineNumber + index, column: leading + k + 1 });
    }
    content += body;
  });
  const leadingTrim = content.length - content.trimStart().length;
  const trimmed = content.trim();
  return {
    content: trimmed,
    ...(comment !== undefined ? { comment } : {}),
    positions: positions.slice(leadingTrim, leadingTrim + trimmed.length),
  };
}

/** Groups physical lines into statements: a line without a comment ending in `\` continues. */
function groupStatements(lines: PhysicalLine[]): PhysicalLine[][] {
  const groups: PhysicalLine[][] = [];
  let current: PhysicalLine[] = [];
  for (const physical of lines) {
    current.push(physical);
    const continues = commentStart(physical.text) < 0 && endsWithBackslash(physical.text);
    if (!continues) {
      groups.push(current);
      current = [];
    }
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Environment variables

const ENV_VAR_REFERENCE = /\$\{([A-Z0-9_]+)\}/g;

/** pip's `${VAR}` expansion: only `${NAME}` with NAME in [A-Z0-9_]; an unset or empty variable is left as is. */
export function expandEnvironmentVariables(text: string, env: Record<string, string | undefined>): string {
  return text.replace(ENV_VAR_REFERENCE, (reference, name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? reference : value;
  });
}

// ---------------------------------------------------------------------------------------------
// Classification

type StatementBody =
  | Omit<RequirementStatement, keyof StatementBase>
  | Omit<IncludeStatement, keyof StatementBase>
  | Omit<OptionStatement, keyof StatementBase>
  | Omit<EditableStatement, keyof StatementBase>
  | Omit<UrlStatement, keyof StatementBase>
  | { kind: 'comment'; comment: string }
  | { kind: 'blank' };

interface ClassifyContext {
  logical: LogicalLine;
  /** `logical.content` after `${VAR}` expansion (the same string when no env is given). */
  text: string;
  file?: string;
  line: number;
}

// pip's reading of a line that is neither an option nor editable (pip 26.3, POSIX:
// req/constructors.py `parse_req_from_line`), without looking at the disk:
//
//  1. a URL when `urllib.parse.urlsplit` finds a scheme pip downloads from (`https:`, `file:`,
//     `git+https:`, ...; `gopher:` and `s3:` are not). Markers follow the first `; `.
//  2. otherwise markers follow the first `;`, and the rest (`name`) is
//     - a local archive when it ends in an archive suffix (`.whl`, `.tar.gz`, ...), unless it
//       holds an `@` with no path before it (then it is `name @ url`);
//     - a local directory when it looks like a path (holds `/` or starts with `.`) and is not a
//       valid requirement: pip installs it when the directory exists. A text holding `@` or
//       `://` is no directory anyone writes (`name[.a]@git+https://...`): that is a requirement
//       with an error, as pip reports it when no such directory exists;
//     - a PEP 508 requirement otherwise, which must parse.
// `\` is not a path separator (POSIX pip), so `C:\pkg` and `pkg\sub` are requirements (invalid).

/** Schemes pip installs from (`is_url`: http, https, file, ftp and its version-control schemes). */
const PIP_URL_SCHEMES: ReadonlySet<string> = new Set([
  'http', 'https', 'file', 'ftp',
  'bzr+http', 'bzr+https', 'bzr+ssh', 'bzr+sftp', 'bzr+ftp', 'bzr+lp', 'bzr+file',
  'git+http', 'git+https', 'git+ssh', 'git+git', 'git+file',
  'hg+file', 'hg+http', 'hg+https', 'hg+ssh', 'hg+static-http',
  'svn+ssh', 'svn+http', 'svn+https', 'svn+svn', 'svn+file',
]);

/** The scheme `urllib.parse.urlsplit` finds (tabs and line breaks dropped, lower-cased), if any. */
function urlScheme(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = text.slice(0, colon).replace(/[\t\r\n]/g, '');
  return /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme) ? scheme.toLowerCase() : undefined;
}

function isPipUrl(text: string): boolean {
  const scheme = urlScheme(text);
  return scheme !== undefined && PIP_URL_SCHEMES.has(scheme);
}

/** pip's `_looks_like_path`: holds `/` or starts with `.`. */
function looksLikePath(text: string): boolean {
  return text.includes('/') || text.startsWith('.');
}

const ARCHIVE_SUFFIXES = ['.zip', '.whl', '.tar.bz2', '.tbz', '.tar.gz', '.tgz', '.tar', '.tar.xz', '.txz', '.tlz', '.tar.lz', '.tar.lzma'];

/** pip's `is_archive_file` on the text with a trailing `[extras]` removed (`strip_extras`). */
function isArchiveName(text: string): boolean {
  const extras = /\[[^\]]+\]$/.exec(text);
  const base = (extras && extras.index > 0 ? text.slice(0, extras.index) : text).toLowerCase();
  return ARCHIVE_SUFFIXES.some((suffix) => base.endsWith(suffix));
}

/** Splits `req --hash=a --hash b` into the requirement part and its per-requirement options. */
function splitPerRequirementOptions(text: string): { head: string; options: string[] } {
  // pip's `break_args_options`: the line split on single spaces; the options start at the first
  // piece that starts with `-` (a tab before `-` does not start one).
  let optionsStart = -1;
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '-' && text[i - 1] === ' ') {
      optionsStart = i;
      break;
    }
  }
  if (optionsStart < 0) return { head: text, options: [] };
  const head = text.slice(0, optionsStart).trimEnd();
  const options: string[] = [];
  for (const token of text.slice(optionsStart).trim().split(/\s+/)) {
    if (token.startsWith('-') || options.length === 0) options.push(token);
    else options[options.length - 1] += ` ${token}`;
  }
  return { head, options };
}

/** The options pip allows after a requirement (`SUPPORTED_OPTIONS_REQ`). */
const PER_REQUIREMENT_OPTIONS = new Set(['--hash', '--config-settings', '-C']);

function checkPerRequirementOptions(options: readonly string[], context: ClassifyContext): void {
  for (const option of options) {
    const flag = option.startsWith('--') ? option.split(/[=\s]/, 1)[0]! : option.slice(0, 2);
    if (flag === '-' || PER_REQUIREMENT_OPTIONS.has(flag)) continue;
    throw inputError('INVALID_REQUIREMENTS_LINE', `\`${clip(flag)}\` is not an option pip allows after a requirement`, {
      file: context.file,
      line: context.line,
      hint: 'Only `--hash` and `--config-settings` (`-C`) may follow a requirement; put other options on a line of their own.',
    });
  }
}

/**
 * packaging's `parse_wheel_filename`, as pip applies it to a `.whl` URL or path (an invalid name
 * is refused before anything is downloaded). Returns the reason, or undefined when valid.
 */
function invalidWheelFilename(target: string): string | undefined {
  const path = target.split(/[?#]/, 1)[0]!;
  let filename = path.slice(path.lastIndexOf('/') + 1);
  try {
    filename = decodeURIComponent(filename);
  } catch {
    // pip's unquote leaves a bad escape as written
  }
  if (!filename.toLowerCase().endsWith('.whl')) return undefined;
  if (!filename.endsWith('.whl')) return "extension must be '.whl'";
  const stem = filename.slice(0, -4);
  const dashes = stem.split('-').length - 1;
  if (dashes !== 4 && dashes !== 5) return 'wrong number of parts';
  const parts = stem.split('-');
  const name = parts[0]!;
  if (name.includes('__') || !/^[\p{L}\p{N}_.]+$/u.test(name)) return 'invalid project name';
  if (!tryParseVersion(parts[1]!)) return 'invalid version';
  if (dashes === 5 && !/^[0-9]/.test(parts[2]!)) return 'invalid build number';
  const tags = parts.slice(-3);
  if (tags.some((tag) => tag.split('.').some((component) => component === ''))) return 'invalid tag';
  return undefined;
}

/** At most 120 characters of `text` for a message (a line may be megabytes long), the cut marked with `…`. */
function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}

/** pip's `url_to_path` on POSIX: a `file:` URL names a host other than `localhost` (`file://server/x`, `file://.`). */
function checkFileUrl(url: string, context: ClassifyContext): void {
  if (urlScheme(url) !== 'file') return;
  const match = /^[^:]*:\/\/([^/?#]*)/.exec(url);
  const host = match?.[1];
  if (host === undefined || host === '' || host.toLowerCase() === 'localhost') return;
  throw inputError('INVALID_REQUIREMENTS_LINE', `\`${clip(url)}\` names the host \`${clip(host)}\`: pip installs only local \`file:\` URLs`, {
    file: context.file,
    line: context.line,
    hint: 'Write a local path (`./pkg`) or a URL with three slashes (`file:///abs/path`).',
  });
}

function wheelError(target: string, context: ClassifyContext): void {
  const reason = invalidWheelFilename(target);
  if (reason === undefined) return;
  throw inputError('INVALID_REQUIREMENTS_LINE', `\`${clip(target)}\` is not a valid wheel file name (${reason})`, {
    file: context.file,
    line: context.line,
    hint: 'A wheel is named `name-version(-build)-python-abi-platform.whl`, e.g. `pkg-1.0-py3-none-any.whl`; pip refuses any other `.whl` name.',
  });
}

/** A line that is neither an option nor editable: a URL, a local path or a requirement (pip's rules above). */
function classifyRequirementLike(context: ClassifyContext): StatementBody {
  const { head, options } = splitPerRequirementOptions(context.text);
  checkPerRequirementOptions(options, context);

  if (isPipUrl(head)) {
    const cut = head.indexOf('; ');
    const target = (cut < 0 ? head : head.slice(0, cut)).trim();
    if (cut >= 0) checkMarker(head, cut + 2, context);
    checkFileUrl(target, context);
    wheelError(target, context);
    return { kind: 'url', form: urlScheme(target) === 'file' ? 'path' : 'url', target: head, options };
  }

  const cut = head.indexOf(';');
  const name = (cut < 0 ? head : head.slice(0, cut)).trim();
  if (isArchiveName(name)) {
    const at = name.indexOf('@');
    const urlRequirement = at >= 0 && !looksLikePath(name.slice(0, at));
    if (!urlRequirement) {
      if (cut >= 0) checkMarker(head, cut + 1, context);
      wheelError(name, context);
      return { kind: 'url', form: 'path', target: head, options };
    }
  } else if (looksLikePath(name) && !name.includes('@') && !name.includes('://') && !isValidRequirement(name)) {
    if (cut >= 0) checkMarker(head, cut + 1, context);
    return { kind: 'url', form: 'path', target: head, options };
  }
  return { kind: 'requirement', requirement: parseRequirementLine(head, cut, context), requirementText: head, options };
}

function isValidRequirement(text: string): boolean {
  try {
    parseRequirement(text);
    return true;
  } catch (error) {
    if (isMlfError(error)) return false;
    throw error;
  }
}

/** The marker after `head[0, start)`: parsed, or its error thrown at the file's line and column. */
function checkMarker(head: string, start: number, context: ClassifyContext): MarkerList | undefined {
  const text = head.slice(start);
  if (text.trim() === '') return undefined;
  try {
    return parseMarker(text);
  } catch (error) {
    if (!isMlfError(error) || error.code !== 'INVALID_MARKER') throw error;
    // Reported as an error of the whole requirement, with the caret under the marker's fault.
    const data = error.data as { reason: string; span: [number, number] };
    const failure = new SyntaxFailure(data.reason, head, start + data.span[0], start + data.span[1]);
    throw relocate(failure.toMlfError('INVALID_REQUIREMENT', 'Invalid requirement', REQUIREMENT_HINT), head, 0, context);
  }
}

/**
 * A requirement line as pip reads it: the requirement before the first `;` (parsed as PEP 508)
 * and the marker after it (an empty marker is none, as in pip: `name==1.0;` is valid).
 */
function parseRequirementLine(head: string, cut: number, context: ClassifyContext): ParsedRequirement {
  const requirementPart = cut < 0 ? head : head.slice(0, cut);
  let requirement: ParsedRequirement;
  try {
    requirement = parseRequirement(requirementPart.trimEnd());
  } catch (error) {
    if (!isMlfError(error)) throw error;
    throw relocate(error, head, 0, context);
  }
  if (requirement.url !== undefined) checkFileUrl(requirement.url, context);
  if (cut < 0) return requirement;
  const tree = checkMarker(head, cut + 1, context);
  if (!tree) return requirement;
  const raw = head.slice(cut + 1);
  const leading = raw.length - raw.trimStart().length;
  const marker = raw.trim();
  return {
    ...requirement,
    marker,
    markerTree: tree,
    spans: { ...requirement.spans, marker: [cut + 1 + leading, cut + 1 + leading + marker.length] },
  };
}

/** Reads the flag of an option line and the value after it (`--x=v`, `--x v`, `-xv`, `-x v`, `-x=v`). */
function splitFlag(text: string): { flag: string; value?: string } {
  let flag: string;
  let rest: string;
  if (text.startsWith('--')) {
    const end = text.search(/[=\s]/);
    flag = end < 0 ? text : text.slice(0, end);
    rest = end < 0 ? '' : text.slice(end);
  } else {
    flag = text.slice(0, 2);
    rest = text.slice(2);
  }
  if (rest.startsWith('=')) rest = rest.slice(1);
  const value = rest.trim();
  return value === '' ? { flag } : { flag, value };
}

function classify(context: ClassifyContext): StatementBody {
  const { logical, text } = context;
  if (text === '') {
    return logical.comment !== undefined ? { kind: 'comment', comment: logical.comment } : { kind: 'blank' };
  }
  if (text.startsWith('-')) return classifyOption(context);
  return classifyRequirementLike(context);
}

function classifyOption(context: ClassifyContext): StatementBody {
  const { flag, value } = splitFlag(context.text);
  const name = SHORT_OPTIONS.get(flag) ?? flag;
  if (name === '--requirement' || name === '--constraint' || name === '--editable') {
    if (value === undefined) {
      throw inputError('INVALID_REQUIREMENTS_LINE', `Option \`${flag}\` needs a value`, {
        file: context.file,
        line: context.line,
        detail: context.logical.content,
        hint: name === '--editable' ? 'Write it as `-e <path or URL>`.' : `Write it as \`${flag} <file>\`.`,
      });
    }
    if (name === '--editable') {
      const { head, options } = splitPerRequirementOptions(value);
      return { kind: 'editable', flag, target: head, options };
    }
    return { kind: 'include', include: name === '--requirement' ? 'requirements' : 'constraints', flag, path: value };
  }
  const known = KNOWN_OPTIONS.has(name);
  return { kind: 'option', name, flag, known, ...(value !== undefined ? { value } : {}) };
}

/**
 * A PEP 508 or marker error on `head.slice(offset)`, re-located to the file's line and column
 * (the error's column counts from `offset`).
 */
function relocate(error: MlfError, head: string, offset: number, context: ClassifyContext): MlfError {
  // Columns map back to the file only when `${VAR}` expansion did not move the characters.
  const unexpanded = context.text === context.logical.content;
  const column = error.location.column;
  const index = column !== undefined ? offset + Array.from(head.slice(offset)).slice(0, column - 1).join('').length : undefined;
  const position = unexpanded && index !== undefined ? context.logical.positions[index] : undefined;
  const unexpandedVariable = unexpanded && /\$\{[A-Z0-9_]+\}/.test(head);
  return new MlfError(error.category, error.code, error.message, {
    file: context.file,
    line: position?.line ?? context.line,
    ...(position ? { column: position.column } : {}),
    hint: unexpandedVariable
      ? 'The line holds a `${VAR}` reference that was not expanded; pip expands it from the environment at install time.'
      : error.hint,
    detail: error.detail,
    data: error.data,
    cause: error,
  });
}

// ---------------------------------------------------------------------------------------------
// Parse and serialize

function detectNewline(lines: PhysicalLine[]): Newline {
  let crlf = 0;
  let lf = 0;
  for (const { ending } of lines) {
    if (ending === '\r\n') crlf++;
    else if (ending === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

function buildStatement(
  group: PhysicalLine[],
  lineNumber: number,
  file: string | undefined,
  options: ParseRequirementsOptions,
): Statement {
  const logical = buildLogicalLine(group, lineNumber);
  const text = options.env ? expandEnvironmentVariables(logical.content, options.env) : logical.content;
  const body = classify({ logical, text, file, line: lineNumber });
  const base: StatementBase = {
    line: lineNumber,
    endLine: lineNumber + group.length - 1,
    raw: group.map((physical) => physical.text + physical.ending).join(''),
    content: logical.content,
    ...(logical.comment !== undefined ? { comment: logical.comment } : {}),
  };
  return { ...base, ...body } as Statement;
}

/**
 * Parses a requirements file into statements. An invalid requirement throws the PEP 508 error
 * (`INVALID_REQUIREMENT`) located at `file`, the line and the column of the problem.
 */
export function parseRequirementsFile(
  text: string,
  file?: string,
  options: ParseRequirementsOptions = {},
): RequirementsFile {
  return readStatements(text, file, options, (error) => {
    throw error;
  });
}

/** A file read on past its bad statements: the good ones, and one error per bad one, in order. */
export interface TolerantRequirementsParse {
  /** The statements that parsed (a bad statement is left out, so `serializeRequirementsFile` is not the input). */
  file: RequirementsFile;
  errors: MlfError[];
}

/**
 * As parseRequirementsFile, but a statement that does not parse is left out and its error kept,
 * so that one pass reports every bad line (linear in the file's length).
 */
export function parseRequirementsFileTolerant(
  text: string,
  file?: string,
  options: ParseRequirementsOptions = {},
): TolerantRequirementsParse {
  const errors: MlfError[] = [];
  const parsed = readStatements(text, file, options, (error) => errors.push(error));
  return { file: parsed, errors };
}

/**
 * Characters no requirements file holds: C0 controls but tab (and the line breaks, which split
 * lines), DEL, and the separators Python's `splitlines` breaks a line at but mlf does not (so pip
 * and mlf would see different lines).
 */
const CONTROL_CHARACTER = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]/;

const CONTROL_NAMES: Record<string, string> = { '\0': 'NUL', '\x0b': 'vertical tab', '\x0c': 'form feed', '\x1b': 'escape', '\x7f': 'DEL', '\x85': 'next line', '\u2028': 'line separator', '\u2029': 'paragraph separator' };

/** Throws at the first control character of the statement's lines (1-based line and column, in characters). */
function checkControlCharacters(group: PhysicalLine[], lineNumber: number, file: string | undefined): void {
  group.forEach((physical, index) => {
    const match = CONTROL_CHARACTER.exec(physical.text);
    if (!match) return;
    const char = match[0];
    const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    const name = CONTROL_NAMES[char];
    throw inputError('INVALID_REQUIREMENTS_LINE', `control character ${code}${name ? ` (${name})` : ''} in a requirements file`, {
      file,
      line: lineNumber + index,
      column: Array.from(physical.text.slice(0, match.index)).length + 1,
      hint: 'Remove it: requirements files are plain text (was the file saved in another encoding, such as UTF-16?).',
    });
  });
}

function readStatements(
  text: string,
  file: string | undefined,
  options: ParseRequirementsOptions,
  onError: (error: MlfError) => void,
): RequirementsFile {
  const lines = splitPhysicalLines(text);
  const statements: Statement[] = [];
  let lineNumber = 1;
  for (const group of groupStatements(lines)) {
    try {
      checkControlCharacters(group, lineNumber, file);
      statements.push(buildStatement(group, lineNumber, file, options));
    } catch (error) {
      if (!isMlfError(error)) throw error;
      onError(error);
    }
    lineNumber += group.length;
  }
  const last = lines[lines.length - 1];
  return {
    statements,
    newline: detectNewline(lines),
    endsWithNewline: last !== undefined && last.ending !== '',
    ...(file !== undefined ? { file } : {}),
  };
}

/** The file's text: every statement's original bytes, in order. */
export function serializeRequirementsFile(f: RequirementsFile): string {
  return f.statements.map((statement) => statement.raw).join('');
}

// ---------------------------------------------------------------------------------------------
// Editing

/**
 * Parses one new statement from its text (one logical line, no line ending). It is written with the
 * file's newline style when put into a file with `replaceStatement` / `insertStatements`.
 */
export function parseStatement(text: string, file?: string, options: ParseRequirementsOptions = {}): Statement {
  if (/[\r\n]/.test(text)) {
    throw inputError('INVALID_REQUIREMENTS_LINE', 'A new statement must be a single line', {
      file,
      detail: JSON.stringify(text),
    });
  }
  return buildStatement([{ text, ending: '' }], 1, file, options);
}

function lineEndingOf(raw: string): string {
  if (raw.endsWith('\r\n')) return '\r\n';
  if (raw.endsWith('\n') || raw.endsWith('\r')) return raw.slice(-1);
  return '';
}

function withLineEnding(statement: Statement, ending: string): Statement {
  const current = lineEndingOf(statement.raw);
  if (current === ending) return statement;
  return { ...statement, raw: statement.raw.slice(0, statement.raw.length - current.length) + ending };
}

function physicalLineCount(raw: string): number {
  const lines = splitPhysicalLines(raw).length;
  return Math.max(lines, 1);
}

/**
 * Restores the file's invariants after an edit: every statement but the last ends with a line
 * ending, the last one ends with one exactly when `endsWithNewline`, and line numbers run on.
 */
function normalizeStatements(f: RequirementsFile, statements: Statement[]): RequirementsFile {
  let lineNumber = 1;
  const renumbered = statements.map((statement, index) => {
    const isLast = index === statements.length - 1;
    let fixed = statement;
    if (!isLast && lineEndingOf(fixed.raw) === '') fixed = withLineEnding(fixed, f.newline);
    if (isLast && !f.endsWithNewline) fixed = withLineEnding(fixed, '');
    if (isLast && f.endsWithNewline && lineEndingOf(fixed.raw) === '') fixed = withLineEnding(fixed, f.newline);
    const count = physicalLineCount(fixed.raw);
    const result = { ...fixed, line: lineNumber, endLine: lineNumber + count - 1 };
    lineNumber += count;
    return result;
  });
  return { ...f, statements: renumbered };
}

function checkIndex(f: RequirementsFile, index: number, allowEnd: boolean): void {
  const max = allowEnd ? f.statements.length : f.statements.length - 1;
  if (!Number.isInteger(index) || index < 0 || index > max) {
    throw new RangeError(`Statement index ${index} is out of range 0..${max}`);
  }
}

function toStatement(f: RequirementsFile, statement: string | Statement): Statement {
  const parsed = typeof statement === 'string' ? parseStatement(statement, f.file) : statement;
  return withLineEnding(parsed, f.newline);
}

/**
 * Replaces the statement at `index` by a new one (text or statement). The new statement keeps the
 * line ending of the one it replaces; all other statements are untouched.
 */
export function replaceStatement(f: RequirementsFile, index: number, statement: string | Statement): RequirementsFile {
  checkIndex(f, index, false);
  const old = f.statements[index]!;
  const replacement = withLineEnding(toStatement(f, statement), lineEndingOf(old.raw) || f.newline);
  const statements = f.statements.slice();
  statements[index] = replacement;
  return normalizeStatements(f, statements);
}

/** Inserts new statements before `index` (`statements.length` appends), written with the file's newline. */
export function insertStatements(
  f: RequirementsFile,
  index: number,
  statements: ReadonlyArray<string | Statement>,
): RequirementsFile {
  checkIndex(f, index, true);
  const added = statements.map((statement) => toStatement(f, statement));
  return normalizeStatements(f, [...f.statements.slice(0, index), ...added, ...f.statements.slice(index)]);
}

/** Appends new statements at the end of the file. */
export function appendStatements(f: RequirementsFile, statements: ReadonlyArray<string | Statement>): RequirementsFile {
  return insertStatements(f, f.statements.length, statements);
}

/** Removes the statement at `index`. */
export function removeStatement(f: RequirementsFile, index: number): RequirementsFile {
  checkIndex(f, index, false);
  return normalizeStatements(f, f.statements.filter((_, i) => i !== index));
}

// ---------------------------------------------------------------------------------------------
// Includes

/** One line of the expanded list, with where it came from. */
export interface ResolvedLine {
  /** The logical line as MLflow yields it (per-requirement options included, `${VAR}` not expanded). */
  text: string;
  /** The file (as joined from the include paths) and line the text came from. */
  file?: string;
  line: number;
  /** `file:line`, e.g. `requirements.txt:3`, for messages. */
  origin: string;
}

/** An include that points back to a file being read; it is skipped, not followed. */
export interface IncludeCycle {
  /** The files from the outermost to the one included again, e.g. `['a.txt', 'b.txt', 'a.txt']`. */
  chain: string[];
  file?: string;
  line: number;
}

export interface ResolvedRequirements {
  requirements: ResolvedLine[];
  constraints: ResolvedLine[];
  cycles: IncludeCycle[];
}

export interface ResolveIncludesOptions {
  /** Expands `${VAR}` in include paths (and in nested files' parsed fields). */
  env?: Record<string, string | undefined>;
}

/**
 * Reads an included file. Throwing (e.g. ENOENT) is reported as `INCLUDE_NOT_READABLE` at the include line;
 * another MlfError without a line keeps its code and message and gets the include line.
 */
export type ReadRequirementsFile = (filePath: string) => string;

/**
 * Expands `-r` and `-c` includes as MLflow's `_parse_requirements` does: comments and blank lines
 * dropped, every other statement yielded as its logical line; `-r` files recurse as requirements and
 * `-c` files as constraints (whatever the including file was); relative paths resolve against
 * `baseDir` for the top file and against the including file's directory below it. Unlike MLflow it
 * also follows `-r=x`, `-rx` and `--requirement=x`, and reads each file once: an include cycle is
 * reported in `cycles` and skipped instead of recursing until Python gives up.
 */
export function resolveIncludes(
  file: RequirementsFile,
  readFile: ReadRequirementsFile,
  baseDir: string,
  options: ResolveIncludesOptions = {},
): ResolvedRequirements {
  const result: ResolvedRequirements = { requirements: [], constraints: [], cycles: [] };
  const visited = new Set<string>();
  const stack: string[] = [];

  const walk = (current: RequirementsFile, dir: string, asConstraints: boolean): void => {
    const key = current.file !== undefined ? path.normalize(current.file) : undefined;
    if (key !== undefined) {
      visited.add(`${asConstraints}:${key}`);
      stack.push(key);
    }
    for (const statement of current.statements) {
      if (statement.kind === 'blank' || statement.kind === 'comment') continue;
      if (statement.kind !== 'include') {
        const target = asConstraints ? result.constraints : result.requirements;
        const where = current.file ?? '<input>';
        target.push({
          text: statement.content,
          ...(current.file !== undefined ? { file: current.file } : {}),
          line: statement.line,
          origin: `${where}:${statement.line}`,
        });
        continue;
      }
      const written = options.env ? expandEnvironmentVariables(statement.path, options.env) : statement.path;
      const included = path.isAbsolute(written) ? written : path.join(dir, written);
      const includedKey = path.normalize(included);
      if (stack.includes(includedKey)) {
        result.cycles.push({
          chain: [...stack, includedKey],
          ...(current.file !== undefined ? { file: current.file } : {}),
          line: statement.line,
        });
        continue;
      }
      const asNestedConstraints = statement.include === 'constraints';
      // A file reached twice the same way (a diamond, not a cycle) adds nothing the second time.
      if (visited.has(`${asNestedConstraints}:${includedKey}`)) continue;
      let text: string;
      try {
        text = readFile(included);
      } catch (error) {
        // A reader's refusal of the file as a whole (not a regular file, too large) is placed at the
        // include line; one inside the file (a line that is not UTF-8) stays where it is; a missing
        // file is INCLUDE_NOT_READABLE, as it always was.
        if (isMlfError(error) && error.location.line === undefined && error.code !== 'FILE_NOT_FOUND') {
          throw inputError(error.code, `${error.message} (included by \`${statement.flag} ${statement.path}\`)`, {
            file: current.file,
            line: statement.line,
            ...(error.hint ? { hint: error.hint } : {}),
            ...(error.data ? { data: error.data } : {}),
            cause: error,
          });
        }
        if (isMlfError(error) && error.code !== 'FILE_NOT_FOUND') throw error;
        throw inputError('INCLUDE_NOT_READABLE', `Cannot read \`${included}\`, included by \`${statement.flag} ${statement.path}\``, {
          file: current.file,
          line: statement.line,
          hint: 'Relative paths in `-r` and `-c` resolve against the directory of the file that names them.',
          cause: error,
        });
      }
      const nested = parseRequirementsFile(text, included, options.env ? { env: options.env } : {});
      walk(nested, path.dirname(included), asNestedConstraints);
    }
    if (key !== undefined) stack.pop();
  };

  walk(file, baseDir, false);
  return result;
}
