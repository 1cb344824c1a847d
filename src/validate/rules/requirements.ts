import type { Diagnostic } from '../diagnostic.js';
import { hasFile, type ModelFiles } from '../model-files.js';
import { intersect, SpecifierSet } from '../../deps/specifier-set.js';
import type { RequirementStatement, Statement } from '../../deps/requirements-txt.js';
import { normalizeMarker } from '../../deps/markers.js';
import {
  canonicalNameOf,
  effectiveRequirements,
  findCredentialUrls,
  includeTarget,
  isRequirement,
  redactUrl,
  requirementsFileOf,
  type LocatedStatement,
} from '../requirements-view.js';
import { diagnostic, tick } from './shared.js';

/**
 * requirements.txt rules (MLF201-MLF213): syntax, includes, duplicates and conflicts, pins,
 * and the lines that are security risks (other indexes, TLS off, URLs, editables, credentials).
 */
export function checkRequirements(files: ModelFiles): Diagnostic[] {
  if (!files.requirementFiles.has('requirements.txt')) {
    if (!files.mlmodel || files.mlmodel.error) return [];
    return [
      diagnostic(
        'MLF213',
        'requirements.txt',
        undefined,
        `the model has no ${tick('requirements.txt')}: virtualenv and uv environments fall back to conda.yaml's pip list`,
      ),
    ];
  }
  const effective = effectiveRequirements(files);
  const found: Diagnostic[] = [];
  // Every requirements-like file present, whether or not something includes it.
  for (const file of files.requirementFiles.keys()) {
    found.push(...checkFile(files, file));
  }
  found.push(...checkDuplicates(effective.requirements.filter(isRequirement)));
  found.push(...checkAgainstConstraints(effective.requirements.filter(isRequirement), effective.constraints.filter(isRequirement)));
  found.push(...checkPins(effective.requirements.filter(isRequirement), effective.constraints.filter(isRequirement)));
  return found;
}

function checkFile(files: ModelFiles, file: string): Diagnostic[] {
  const parsed = requirementsFileOf(files, file);
  if (!parsed) return [];
  const found: Diagnostic[] = [];
  for (const error of parsed.errors) {
    found.push(diagnostic('MLF201', file, error.line, error.message, { column: error.column, ...(error.hint ? { hint: error.hint } : {}) }));
  }
  for (const statement of parsed.statements) found.push(...checkStatement(files, file, statement));
  return found;
}

function checkStatement(files: ModelFiles, file: string, statement: Statement): Diagnostic[] {
  const found: Diagnostic[] = [];
  const at = (code: string, message: string, hint?: string) =>
    found.push(diagnostic(code, file, statement.line, message, hint ? { hint } : {}));
  const shown = redactUrl(statement.content);

  for (const url of findCredentialUrls(statement.content)) {
    at('MLF212', `a URL with credentials: ${tick(shorten(url))}; anyone who can read the model can read them`);
  }
  switch (statement.kind) {
    case 'option':
      if (!statement.known) {
        at('MLF201', `${tick(shorten(statement.flag))} is not an option of pip's requirements files`, 'remove the line, or write the option pip documents for requirements files');
      } else if (statement.name === '--index-url') {
        at('MLF207', `${tick(shorten(shown))} makes pip install every package from ${tick(shorten(redactUrl(statement.value ?? '')))} instead of PyPI`);
      } else if (statement.name === '--extra-index-url') {
        at('MLF208', `${tick(shorten(shown))} lets ${tick(shorten(redactUrl(statement.value ?? '')))} serve any package name, alongside PyPI (dependency confusion)`);
      } else if (statement.name === '--trusted-host') {
        at('MLF209', `${tick(shorten(shown))} turns off TLS certificate checks for ${tick(shorten(statement.value ?? ''))}`);
      }
      break;
    case 'url':
      at('MLF210', `${tick(shorten(redactUrl(statement.target)))} installs ${statement.form === 'path' ? 'a local path' : describeUrl(statement.target)}, which no index vouches for`);
      break;
    case 'editable':
      at('MLF211', `${tick(shorten(shown))} installs ${tick(shorten(redactUrl(statement.target)))} in editable mode`);
      break;
    case 'requirement':
      if (isUnsatisfiable(statement)) {
        at(
          'MLF203',
          `${tick(shorten(statement.requirementText))}: no version of ${tick(shorten(statement.requirement.name))} satisfies all of ${tick(shorten(statement.requirement.specifier))}`,
        );
      }
      if (statement.requirement.url !== undefined) {
        at('MLF210', `${tick(shorten(redactUrl(statement.requirementText)))} installs ${tick(shorten(statement.requirement.name))} from ${describeUrl(statement.requirement.url)}, which no index vouches for`);
      }
      break;
    case 'include': {
      const target = includeTarget(file, statement.path);
      const what = statement.include === 'constraints' ? 'constraints file' : 'requirements file';
      if (target === undefined) {
        at('MLF206', `the ${what} ${tick(shorten(statement.path))} lies outside the model directory: it will not be there where the model is served`);
      } else if (!hasFile(files, target)) {
        at('MLF206', `the ${what} ${tick(shorten(statement.path))} does not exist in the model directory`);
      }
      break;
    }
    default:
      break;
  }
  return found;
}

function describeUrl(target: string): string {
  if (/^(git|hg|svn|bzr)\+/i.test(target)) return 'a version-control checkout';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target)) return 'a URL';
  return 'a local path';
}

/** Same canonical name and same marker: a duplicate; a conflict when no version satisfies both. */
function checkDuplicates(requirements: LocatedStatement<RequirementStatement>[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  const seen = new Map<string, LocatedStatement<RequirementStatement>>();
  for (const located of requirements) {
    const { statement } = located;
    const key = `${canonicalNameOf(statement)};${markerKey(statement.requirement.marker)}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, located);
      continue;
    }
    const where = `${first.file === located.file ? 'line' : `${first.file} line`} ${first.statement.line}`;
    const conflict = specifiersConflict(first.statement, statement);
    if (conflict) {
      found.push(
        diagnostic(
          'MLF203',
          located.file,
          statement.line,
          `${tick(shorten(statement.requirementText))} conflicts with ${tick(shorten(first.statement.requirementText))} (${where}): no version of ${tick(shorten(statement.requirement.name))} satisfies both`,
        ),
      );
    } else {
      found.push(
        diagnostic('MLF202', located.file, statement.line, `${tick(shorten(statement.requirement.name))} is already required at ${where} (${tick(shorten(first.statement.requirementText))})`),
      );
    }
  }
  return found;
}

/** A requirement that its own constraint excludes: pip refuses to resolve. */
function checkAgainstConstraints(
  requirements: LocatedStatement<RequirementStatement>[],
  constraints: LocatedStatement<RequirementStatement>[],
): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const located of requirements) {
    for (const constraint of constraints) {
      if (canonicalNameOf(constraint.statement) !== canonicalNameOf(located.statement)) continue;
      if (markerKey(constraint.statement.requirement.marker) !== markerKey(located.statement.requirement.marker)) continue;
      if (!specifiersConflict(located.statement, constraint.statement)) continue;
      found.push(
        diagnostic(
          'MLF203',
          located.file,
          located.statement.line,
          `${tick(shorten(located.statement.requirementText))} conflicts with the constraint ${tick(shorten(constraint.statement.requirementText))} (${constraint.file} line ${constraint.statement.line})`,
        ),
      );
    }
  }
  return found;
}

function checkPins(
  requirements: LocatedStatement<RequirementStatement>[],
  constraints: LocatedStatement<RequirementStatement>[],
): Diagnostic[] {
  const found: Diagnostic[] = [];
  const boundedByConstraint = new Set(
    constraints.filter((c) => c.statement.requirement.url !== undefined || isBounded(c.statement)).map((c) => canonicalNameOf(c.statement)),
  );
  for (const { statement, file } of requirements) {
    const { requirement } = statement;
    if (requirement.url !== undefined || boundedByConstraint.has(canonicalNameOf(statement))) continue;
    if (requirement.specifier.trim() === '') {
      found.push(diagnostic('MLF204', file, statement.line, `${tick(shorten(requirement.name))} is not pinned: any version may be installed`));
    } else if (!isBounded(statement)) {
      found.push(
        diagnostic('MLF205', file, statement.line, `${tick(shorten(statement.requirementText))} has no upper bound: a future major release may be installed`),
      );
    }
  }
  return found;
}

/** Has an upper bound: `==V`, `===V`, `~=V`, `<V`, `<=V` or `==V.*`. */
function isBounded(statement: RequirementStatement): boolean {
  let set: SpecifierSet;
  try {
    set = SpecifierSet.parse(statement.requirement.specifier);
  } catch {
    return true; // unparsable specifiers are reported by the syntax rule
  }
  return set.specifiers.some((spec) => ['==', '===', '~=', '<', '<='].includes(spec.operator));
}

/** One requirement whose own specifiers exclude every version (`tabulate>5,<4`): pip cannot install it. */
function isUnsatisfiable(statement: RequirementStatement): boolean {
  if (statement.requirement.url !== undefined || statement.requirement.specifiers.length < 2) return false;
  try {
    return SpecifierSet.parse(statement.requirement.specifier).isUnsatisfiable();
  } catch {
    return false; // unparsable specifiers are reported by the syntax rule
  }
}

/** At most 120 characters of `text` for a message (a line may be megabytes long), the cut marked with `…`. */
function shorten(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}

/** Two requirements that no version satisfies together (each satisfiable alone: one that is not is reported by itself). */
function specifiersConflict(a: RequirementStatement, b: RequirementStatement): boolean {
  if (a.requirement.url !== undefined || b.requirement.url !== undefined) return false;
  if (isUnsatisfiable(a) || isUnsatisfiable(b)) return false;
  try {
    return !intersect(SpecifierSet.parse(a.requirement.specifier), SpecifierSet.parse(b.requirement.specifier)).satisfiable;
  } catch {
    return false;
  }
}

function markerKey(marker: string | undefined): string {
  if (marker === undefined || marker.trim() === '') return '';
  try {
    return normalizeMarker(marker);
  } catch {
    return marker.trim();
  }
}
