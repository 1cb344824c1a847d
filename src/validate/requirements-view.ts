import path from 'node:path';
import { isMlfError } from '../errors.js';
import { canonicalizeName } from '../deps/pep508.js';
import {
  parseRequirementsFile,
  type RequirementStatement,
  type Statement,
} from '../deps/requirements-txt.js';
import { normalizeRelative, type ModelFiles } from './model-files.js';
import { isInsidePath } from './rules/shared.js';

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
  const errors: LineError[] = [];
  // Physical lines with their endings, so that blanking one keeps every line number.
  const pieces = text.split(/(\r\n|\n|\r)/);
  for (let attempt = 0; attempt <= pieces.length; attempt += 1) {
    try {
      return { file, statements: parseRequirementsFile(pieces.join(''), file).statements, errors };
    } catch (error) {
      if (!isMlfError(error)) throw error;
      const line = error.location.line;
      errors.push({
        ...(line !== undefined ? { line } : {}),
        ...(error.location.column !== undefined ? { column: error.location.column } : {}),
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
      });
      if (line === undefined || pieces[(line - 1) * 2] === undefined || pieces[(line - 1) * 2] === '') break;
      pieces[(line - 1) * 2] = '';
    }
  }
  return { file, statements: [], errors };
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
  if (!isInsidePath(target)) return undefined;
  const base = path.posix.dirname(file);
  const joined = normalizeRelative(base === '.' ? target : `${base}/${target}`);
  return isInsidePath(joined) ? joined : undefined;
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

const URL_WITH_CREDENTIALS = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/@]+)@/g;

/** The URLs in `text` that carry credentials, redacted (`https://****@host/...`). */
export function findCredentialUrls(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+/g)) {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/@]+@/.test(match[0])) found.push(redactUrl(match[0]));
  }
  return found;
}

/** Hides the user and password of every URL in `text`. */
export function redactUrl(text: string): string {
  return text.replace(URL_WITH_CREDENTIALS, '$1****@');
}
