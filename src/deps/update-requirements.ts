/**
 * The add/remove semantics of MLflow's `update_model_requirements` (mlflow-format.md §5), applied
 * to an ordered list of entries (the statements of requirements.txt, or conda.yaml's pip list),
 * with mlf's deliberate differences (§13):
 *
 * - comment, `-c`, `-r`, option and URL lines are kept as they are (MLflow crashes on them);
 * - names compare after PEP 503 normalisation (MLflow keeps `Pandas` and `pandas` side by side);
 * - lines the operation does not touch are written back byte for byte (MLflow re-stringifies
 *   every line; for files MLflow wrote, that is the same text).
 *
 * What stays MLflow's: new requirements are lower-cased and re-emitted as packaging's
 * `str(Requirement)`; an `add` replaces a requirement of the same package in place and appends
 * new ones; `remove` goes by name and ignores version specifiers.
 */
import { inputError, MlfError } from '../errors.js';
import { deduplicateRequirements } from './merge.js';
import { canonicalizeName, formatRequirement, parseRequirement, type ParsedRequirement } from './pep508.js';

export type UpdateOperation = 'add' | 'remove';

/** A requirement given on the command line, ready to apply. */
export interface RequirementArgument {
  /** What the user typed. */
  given: string;
  /** What is written: lower-cased as MLflow does, then packaging's `str(Requirement)`. */
  text: string;
  name: string;
  canonicalName: string;
}

/** One entry of a requirements list: its canonical name when it is a requirement. */
export interface ListEntry {
  canonicalName?: string;
  text: string;
}

/** What to do to a list: computed once, applied to requirements.txt and conda.yaml alike. */
export interface EditPlan {
  /** index -> the new text of that entry. */
  replace: Map<number, string>;
  /** indexes to delete. */
  remove: Set<number>;
  /** texts to insert after `insertAfter` (-1: at the start). */
  insert: string[];
  insertAfter: number;
  /** Requested names found nowhere in the list (remove only). */
  missing: RequirementArgument[];
}

export interface RequirementChange {
  kind: 'added' | 'replaced' | 'removed';
  before?: string;
  after?: string;
}

/**
 * Parses the requirements given to `add`/`remove`. MLflow lower-cases each string first; mlf
 * lower-cases the name, extras and specifier but not a URL or marker, whose case can matter
 * (`platform_system == "Linux"`).
 */
export function parseRequirementArguments(given: readonly string[], operation: UpdateOperation): RequirementArgument[] {
  if (given.length === 0) {
    throw inputError('NO_REQUIREMENTS', `\`${operation}\` needs at least one requirement`, {
      hint: operation === 'add' ? 'e.g. `add "pandas==2.2.3"`' : 'e.g. `remove pandas`',
    });
  }
  return given.map((raw, index) => {
    const text = raw.trim();
    let parsed: ParsedRequirement;
    try {
      parsed = parseRequirement(text);
    } catch (error) {
      if (error instanceof MlfError) {
        throw inputError(error.code, `requirement ${index + 1} of the command line: ${error.message}`, {
          column: error.location.column,
          detail: error.detail,
          hint: error.hint,
        });
      }
      throw error;
    }
    const lowered = {
      ...parsed,
      name: parsed.name.toLowerCase(),
      extras: parsed.extras.map((extra) => extra.toLowerCase()),
      specifier: parsed.specifier.toLowerCase(),
    };
    return {
      given: raw,
      text: formatRequirement(lowered),
      name: lowered.name,
      canonicalName: canonicalizeName(lowered.name),
    };
  });
}

/**
 * The requirements to add, deduplicated as MLflow dedups them (§4); two that no version can
 * satisfy together are a CONFLICTING_REQUIREMENTS error naming both.
 */
export function dedupeArguments(args: readonly RequirementArgument[]): RequirementArgument[] {
  const { requirements } = deduplicateRequirements(
    args.map((arg, index) => ({ text: arg.text, origin: `argument ${index + 1}` })),
  );
  return requirements.map((entry) => {
    const name = parseRequirement(entry.text).name;
    return { given: entry.text, text: entry.text, name, canonicalName: canonicalizeName(name) };
  });
}

export function planAdd(entries: readonly ListEntry[], additions: readonly RequirementArgument[]): EditPlan {
  const plan: EditPlan = { replace: new Map(), remove: new Set(), insert: [], insertAfter: lastRequirementIndex(entries), missing: [] };
  for (const addition of additions) {
    const matches = indexesOf(entries, addition.canonicalName);
    if (matches.length === 0) {
      plan.insert.push(addition.text);
      continue;
    }
    const [first, ...duplicates] = matches;
    if (entries[first!]!.text !== addition.text) plan.replace.set(first!, addition.text);
    // MLflow's dict keeps one entry per name; later spellings of the same package go.
    for (const duplicate of duplicates) plan.remove.add(duplicate);
  }
  return plan;
}

export function planRemove(entries: readonly ListEntry[], removals: readonly RequirementArgument[]): EditPlan {
  const plan: EditPlan = { replace: new Map(), remove: new Set(), insert: [], insertAfter: entries.length - 1, missing: [] };
  for (const removal of removals) {
    const matches = indexesOf(entries, removal.canonicalName);
    if (matches.length === 0) plan.missing.push(removal);
    for (const index of matches) plan.remove.add(index);
  }
  return plan;
}

export function planUpdate(
  entries: readonly ListEntry[],
  operation: UpdateOperation,
  args: readonly RequirementArgument[],
): EditPlan {
  return operation === 'add' ? planAdd(entries, args) : planRemove(entries, args);
}

/** Applies a plan to a plain list of texts (conda.yaml's pip list). */
export function applyPlanToList(texts: readonly string[], plan: EditPlan): string[] {
  const out: string[] = [];
  if (plan.insertAfter < 0) out.push(...plan.insert);
  texts.forEach((text, index) => {
    if (!plan.remove.has(index)) out.push(plan.replace.get(index) ?? text);
    if (index === plan.insertAfter) out.push(...plan.insert);
  });
  return out;
}

/** What a plan does, entry by entry, for the summary and `--json`. */
export function describePlan(entries: readonly ListEntry[], plan: EditPlan): RequirementChange[] {
  const changes: RequirementChange[] = [];
  for (const [index, after] of plan.replace) changes.push({ kind: 'replaced', before: entries[index]!.text, after });
  for (const index of [...plan.remove].sort((a, b) => a - b)) changes.push({ kind: 'removed', before: entries[index]!.text });
  for (const after of plan.insert) changes.push({ kind: 'added', after });
  return changes;
}

export function planChangesAnything(plan: EditPlan): boolean {
  return plan.replace.size > 0 || plan.remove.size > 0 || plan.insert.length > 0;
}

function indexesOf(entries: readonly ListEntry[], canonicalName: string): number[] {
  const found: number[] = [];
  entries.forEach((entry, index) => {
    if (entry.canonicalName === canonicalName) found.push(index);
  });
  return found;
}

/**
 * New requirements go after the last requirement, not after a trailing `-c constraints.txt`
 * (which MLflow always writes last) or a comment; with no requirement at all, at the end.
 */
function lastRequirementIndex(entries: readonly ListEntry[]): number {
  for (let index = entries.length - 1; index >= 0; index--) {
    if (entries[index]!.canonicalName !== undefined) return index;
  }
  return entries.length - 1;
}
