import { isInsideModel, normalizeRelative } from '../model/directory/paths.js';
import path from 'node:path';
import { canonicalizeName } from '../deps/pep508.js';
import {
  parseRequirementsFileTolerant,
  type RequirementStatement,
  type Statement,
} from '../deps/requirements-txt.js';
import type { ModelFiles } from './model-files.js';

/**
 * requirements files as the rules read them: parsed into statements by deps/requirements-txt,
 * but tolerantly: a line that does not parse becomes an error entry and the rest of the file is
 * still read, so that one run reports every bad line.
 */
export interface LineError {
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

export interface TolerantRequirementsFile {
  file: string;
  statements: Statement[];
  errors: LineError[];
}

export function parseRequirementsTolerant(text: string, file: string): TolerantRequirementsFile {
  const parsed = parseRequirementsFileTolerant(text, file);
  const errors = parsed.errors.map((error): LineError => ({
    ...(error.location.line !== undefined ? { line: error.location.line } : {}),
    ...(error.location.column !== undefined ? { column: error.location.column } : {}),
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
  }));
  return { file, statements: parsed.file.statements, errors };
}

const parsedCache = new WeakMap<ModelFiles, Map<string, TolerantRequirementsFile>>();

/** The parsed requirements file at `relative` (memoized per model), or undefined when absent. */
export function requirementsFileOf(files: ModelFiles, relative: string): TolerantRequirementsFile | undefined {
  let cache = parsedCache.get(files);
  if (!cache) {
    cache = new Map();
    parsedCache.set(files, cache);
  }
  const cached = cache.get(relative);
  if (cached) return cached;
  const text = files.requirementFiles.get(relative);
  if (text === undefined) return undefined;
  const parsed = parseRequirementsTolerant(text, relative);
  cache.set(relative, parsed);
  return parsed;
}

/** Where an include statement in `file` points, relative to the model directory (undefined when outside). */
export function includeTarget(file: string, target: string): string | undefined {
  if (!isInsideModel(target)) return undefined;
  const base = path.posix.dirname(file);
  const joined = normalizeRelative(base === '.' ? target : `${base}/${target}`);
  return isInsideModel(joined) ? joined : undefined;
}

export interface LocatedStatement<S extends Statement = Statement> {
  statement: S;
  file: string;
}

export interface EffectiveRequirements {
  /** Statements of requirements.txt with `-r` files expanded in place (includes themselves dropped). */
  requirements: LocatedStatement[];
  /** Statements of the `-c` files (recursively). */
  constraints: LocatedStatement[];
  /** Files reached, and as what. */
  roles: Map<string, 'requirements' | 'constraints'>;
}

/** requirements.txt expanded as pip (and MLflow) expand it. Files outside the model or missing are skipped. */
export function effectiveRequirements(files: ModelFiles, root = 'requirements.txt'): EffectiveRequirements {
  const result: EffectiveRequirements = { requirements: [], constraints: [], roles: new Map() };
  const walk = (file: string, role: 'requirements' | 'constraints') => {
    if (result.roles.has(file)) return;
    const parsed = requirementsFileOf(files, file);
    if (!parsed) return;
    result.roles.set(file, role);
    for (const statement of parsed.statements) {
      if (statement.kind === 'blank' || statement.kind === 'comment') continue;
      if (statement.kind === 'include') {
        const target = includeTarget(file, statement.path);
        if (target) walk(target, statement.include === 'constraints' ? 'constraints' : role);
        continue;
      }
      (role === 'constraints' ? result.constraints : result.requirements).push({ statement, file });
    }
  };
  walk(root, 'requirements');
  return result;
}

export function isRequirement(located: LocatedStatement): located is LocatedStatement<RequirementStatement> {
  return located.statement.kind === 'requirement';
}

export function canonicalNameOf(statement: RequirementStatement): string {
  return canonicalizeName(statement.requirement.name);
}

/*
 * URLs are found by a hand-written scan, not by an unanchored regex: `[A-Za-z][A-Za-z0-9+.-]*:\/\/`
 * tried at every position of a long run of letters re-reads the whole run each time (quadratic:
 * seconds for one 30,000-character line). Each `://` is found once, its scheme read backwards
 * no further than the end of the previous URL, so every character is looked at a bounded
 * number of times.
 */

const isSchemeStart = (ch: string): boolean => /[A-Za-z]/.test(ch);
const isSchemeChar = (ch: string): boolean => /[A-Za-z0-9+.-]/.test(ch);
const isSpace = (ch: string): boolean => /\s/.test(ch);

/**
 * The offset of the scheme that ends at the `://` at `at` (its leftmost letter at or after
 * `floor`), or -1 when none. The walk back stops at `floor` or at a character no scheme holds
 * (`:` and `/` among them), so it never re-reads an earlier `://`.
 */
function schemeStart(text: string, at: number, floor: number): number {
  let start = at;
  while (start > floor && isSchemeChar(text[start - 1]!)) start -= 1;
  while (start < at && !isSchemeStart(text[start]!)) start += 1;
  return start < at ? start : -1;
}

/** The end of a user-info part (`[^\s/@]+@`) starting at `from`: the offset of its `@`, or -1. */
function userInfoEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== '/' && text[i] !== '@' && !isSpace(text[i]!)) i += 1;
  return i > from && text[i] === '@' ? i : -1;
}

/** The URLs in `text` that carry credentials, redacted (`https://****@host/...`): the regex `[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+` scanned left to right. */
export function findCredentialUrls(text: string): string[] {
  const found: string[] = [];
  let floor = 0;
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', Math.max(at + 1, floor))) {
    const start = schemeStart(text, at, floor);
    const authority = at + 3;
    if (start < 0 || authority >= text.length || isSpace(text[authority]!)) continue;
    let end = authority;
    while (end < text.length && !isSpace(text[end]!)) end += 1;
    if (userInfoEnd(text, authority) >= 0) found.push(redactUrl(text.slice(start, end)));
    floor = end;
  }
  return found;
}

/** Hides the user and password of every URL in `text` (each `scheme://user:pass@` becomes `scheme://****@`). */
export function redactUrl(text: string): string {
  let result = '';
  let copied = 0;
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', Math.max(at + 1, copied))) {
    if (schemeStart(text, at, copied) < 0) continue;
    const atSign = userInfoEnd(text, at + 3);
    if (atSign < 0) continue;
    result += `${text.slice(copied, at + 3)}****`;
    copied = atSign;
  }
  return result + text.slice(copied);
}
