/**
 * MLflow's rules for the final pip list of a model (mlflow-format.md §4), as pure functions:
 * exclusive arguments, the mlflow pin, dedup, databricks-connect, constraints, the lock layout.
 *
 * Where mlf deliberately differs from MLflow (mlflow-format.md §13):
 *   - names are compared after PEP 503 normalization (MLflow keys on the name as written, so
 *     `Pandas` and `pandas` stay two entries there); the first written spelling is kept;
 *   - differing specifiers are intersected offline with `SpecifierSet` instead of
 *     `pip install --dry-run` (which needs an index); an empty intersection is a
 *     `CONFLICTING_REQUIREMENTS` error naming both requirements and where each came from.
 * Everything else follows MLflow: a requirement is the pair (name, marker), the first
 * occurrence keeps its position, specifiers are joined `"<existing>,<new>"`, extras unioned,
 * every parsable entry re-emitted as packaging's `str(Requirement)`, anything else kept verbatim.
 */
import { inputError, usageError } from '../errors.js';
import { stripLocalVersion, tryParseVersion } from './pep440.js';
import { canonicalizeName, formatRequirement, tryParseRequirement, type Requirement } from './pep508.js';
import { SpecifierSet, intersect } from './specifier-set.js';

/** One entry of a pip list and where it came from. */
export interface RequirementEntry {
  /** The line as MLflow would carry it (a requirement, an option line, a URL, ...). */
  text: string;
  /** For messages: `inferred`, `flavor defaults`, `extra_pip_requirements`, `requirements.txt:3`, `mlflow pin`. */
  origin: string;
  /** When the entry came from a file: its path and line, used to locate a conflict error. */
  file?: string;
  line?: number;
}

/** A parsed `pip_requirements` / `extra_pip_requirements` argument: requirement lines and constraint lines. */
export interface RequirementsArgument {
  requirements: RequirementEntry[];
  constraints: RequirementEntry[];
}

export const CONSTRAINTS_FILE_NAME = 'constraints.txt';
export const CONSTRAINTS_LINE = `-c ${CONSTRAINTS_FILE_NAME}`;

// ---------------------------------------------------------------------------------------------
// Arguments

export interface EnvArguments {
  condaEnv?: unknown;
  pipRequirements?: unknown;
  extraPipRequirements?: unknown;
}

/** MLflow's `ValueError` text for more than one of the three arguments, word for word. */
export const EXCLUSIVE_ENV_ARGUMENTS_MESSAGE =
  'Only one of `conda_env`, `pip_requirements`, and `extra_pip_requirements` can be specified';

/** `_validate_env_arguments`: at most one of `conda_env`, `pip_requirements`, `extra_pip_requirements`. */
export function validateEnvArguments(args: EnvArguments): void {
  const given = [args.condaEnv, args.pipRequirements, args.extraPipRequirements].filter(
    (value) => value !== undefined && value !== null,
  );
  if (given.length > 1) {
    throw usageError('EXCLUSIVE_ENV_ARGUMENTS', EXCLUSIVE_ENV_ARGUMENTS_MESSAGE, {
      hint: 'Pass `pip_requirements` for a complete list, `extra_pip_requirements` to add to the inferred one, or `conda_env`.',
    });
  }
}

/**
 * The shape check of a requirements argument (MLflow raises TypeError): a path string or a list of strings.
 * Returns which of the two it is.
 */
export function checkRequirementsArgument(value: unknown, argumentName: string): 'path' | 'list' {
  if (typeof value === 'string') return 'path';
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return 'list';
  const got = Array.isArray(value) ? 'a list with a non-string item' : value === null ? 'null' : typeof value;
  throw usageError(
    'INVALID_REQUIREMENTS_ARGUMENT',
    `\`${argumentName}\` must be either a string path to a pip requirements file on the local filesystem or an iterable of pip requirement strings, but got ${got}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The mlflow pin

/** Names that count as "mlflow is already there" (MLflow's `_is_mlflow_requirement`). */
const MLFLOW_NAMES: ReadonlySet<string> = new Set(['mlflow', 'mlflow-skinny', 'mlflow-tracing']);

function tryParse(text: string): Requirement | undefined {
  return tryParseRequirement(text);
}

/** MLflow's `_get_pip_requirement_specifier`: the text before the first space-separated token starting with `-`. */
function withoutPerRequirementOptions(text: string): string {
  const tokens = text.split(' ');
  const index = tokens.findIndex((token) => token.startsWith('-'));
  return index < 0 ? text : tokens.slice(0, index).join(' ');
}

/**
 * Whether a pip-list line already asks for mlflow: a requirement named mlflow, mlflow-skinny or
 * mlflow-tracing (per-requirement options ignored), or a URL or path containing `/mlflow` or `mlflow@git`.
 * mlf compares canonical names (MLflow lower-cases only, so `mlflow_skinny` does not count there), and
 * accepts all three names after stripping options (MLflow then accepts only `mlflow`).
 */
export function isMlflowRequirement(text: string): boolean {
  const parsed = tryParse(text) ?? tryParse(withoutPerRequirementOptions(text));
  if (parsed) return MLFLOW_NAMES.has(canonicalizeName(parsed.name));
  const compact = text.replace(/ /g, '').toLowerCase();
  return compact.includes('/mlflow') || compact.includes('mlflow@git');
}

/**
 * `_generate_mlflow_version_pinning`: `mlflow==<version>` for a release (rc included); for a dev
 * build `mlflow==<major>.<minor>.<micro-1>`, the last release before it. Where MLflow would write
 * `X.Y.-1` (a dev build of `X.Y.0`), mlf writes the installable `mlflow<X.Y.0` instead.
 */
export function mlflowVersionPin(mlflowVersion: string): string {
  const version = tryParseVersion(mlflowVersion);
  if (!version || version.dev === undefined) return `mlflow==${mlflowVersion}`;
  const [major = 0, minor = 0, micro = 0] = version.release;
  if (micro === 0) return `mlflow<${major}.${minor}.0`;
  return `mlflow==${major}.${minor}.${micro - 1}`;
}

/** Inserts the mlflow pin at index 0 unless a line already asks for mlflow. */
export function withMlflowPin(entries: readonly RequirementEntry[], mlflowVersion: string): RequirementEntry[] {
  if (entries.some((entry) => isMlflowRequirement(entry.text))) return [...entries];
  return [{ text: mlflowVersionPin(mlflowVersion), origin: 'mlflow pin' }, ...entries];
}

// ---------------------------------------------------------------------------------------------
// Dedup

/** packaging's `str(marker)` for a marker as written: the normalized form that keys the dedup. */
function normalizedMarker(marker: string | undefined): string {
  if (marker === undefined) return '';
  const formatted = formatRequirement({ name: 'x', extras: [], specifier: '', marker });
  return formatted.slice(formatted.indexOf(';') + 1).trim();
}

/** packaging's `str(SpecifierSet(text))`: sorted, deduplicated, without spaces. */
function normalizedSpecifier(specifier: string): string {
  return SpecifierSet.parse(specifier).toString();
}

/** A parsed entry being merged, with every entry that contributed to it (for conflict messages). */
interface MergedRequirement {
  requirement: Requirement;
  contributors: Array<{ entry: RequirementEntry; requirement: Requirement }>;
}

export interface DedupResult {
  requirements: RequirementEntry[];
  /** Things the merge decided that a user may want to know (a dropped local label, a URL winning over a pin). */
  notes: string[];
}

function describe(entry: RequirementEntry, requirement?: Requirement): string {
  const text = requirement ? formatRequirement(requirement) : entry.text;
  return `\`${text}\` (${entry.origin})`;
}

/** Are the two specifiers satisfiable together? Offline, through `SpecifierSet`. */
function specifiersIntersect(a: string, b: string): boolean {
  return intersect(SpecifierSet.parse(a), SpecifierSet.parse(b)).satisfiable;
}

function conflictError(
  name: string,
  first: { entry: RequirementEntry; requirement: Requirement },
  second: { entry: RequirementEntry; requirement: Requirement },
  reason: string,
) {
  const firstText = formatRequirement(first.requirement);
  const secondText = formatRequirement(second.requirement);
  return inputError(
    'CONFLICTING_REQUIREMENTS',
    `Conflicting requirements for \`${name}\`: ${describe(first.entry, first.requirement)} and ${describe(second.entry, second.requirement)} ${reason}`,
    {
      file: second.entry.file,
      line: second.entry.line,
      hint: 'Change or remove one of them so that both can hold at once.',
      data: {
        name,
        first: { requirement: firstText, origin: first.entry.origin },
        second: { requirement: secondText, origin: second.entry.origin },
      },
    },
  );
}

/**
 * The one `==` version of a specifier, if that is all it is (for MLflow's local-label rule).
 */
function singlePin(specifier: string): string | undefined {
  const normalized = normalizedSpecifier(specifier);
  const match = /^==([^,*]+)$/.exec(normalized);
  return match ? match[1] : undefined;
}

/**
 * MLflow's exception for `torch==2.7.1+cu128` next to `torch==2.7.1`: the same pin but for a local
 * label on one side; the one without the label (installable from PyPI) wins. Returns the winner.
 */
function localLabelWinner(existing: string, incoming: string): string | undefined {
  const a = singlePin(existing);
  const b = singlePin(incoming);
  if (a === undefined || b === undefined) return undefined;
  const left = stripLocalVersion(a);
  const right = stripLocalVersion(b);
  if (left.version !== right.version || (left.local === undefined) === (right.local === undefined)) return undefined;
  return left.local === undefined ? existing : incoming;
}

function mergeSpecifiers(
  merged: MergedRequirement,
  incoming: { entry: RequirementEntry; requirement: Requirement },
  notes: string[],
): string {
  const existing = merged.requirement.specifier;
  const added = incoming.requirement.specifier;
  if (existing.trim() === '') return added;
  if (added.trim() === '') return existing;
  // Equal sets (`==1.0` and `==1.0.0`, or the same specifiers in another order) are not joined.
  if (SpecifierSet.parse(existing).equals(SpecifierSet.parse(added))) return existing;

  const winner = localLabelWinner(existing, added);
  if (winner !== undefined) {
    notes.push(
      `\`${merged.requirement.name}\`: kept \`${normalizedSpecifier(winner)}\` over \`${normalizedSpecifier(
        winner === existing ? added : existing,
      )}\` (the version without a local label installs from PyPI)`,
    );
    return winner;
  }

  if (!specifiersIntersect(existing, added)) {
    // Name the earlier entry that conflicts on its own when there is one; otherwise the merged whole.
    const culprit = merged.contributors.find(
      (contributor) =>
        contributor.requirement.specifier.trim() !== '' &&
        !specifiersIntersect(contributor.requirement.specifier, added),
    );
    const first = culprit ?? {
      entry: {
        text: formatRequirement(merged.requirement),
        origin: merged.contributors.map((contributor) => contributor.entry.origin).join(' + '),
      },
      requirement: merged.requirement,
    };
    throw conflictError(merged.requirement.name, first, incoming, 'have no version in common');
  }
  return `${existing},${added}`;
}

/** Extras unioned by canonical name, first spelling kept, sorted (formatRequirement sorts too). */
function mergeExtras(existing: string[], added: string[]): string[] {
  const byName = new Map<string, string>();
  for (const extra of [...existing, ...added]) {
    const key = canonicalizeName(extra);
    if (!byName.has(key)) byName.set(key, extra);
  }
  return [...byName.values()].sort();
}

function mergeInto(
  merged: MergedRequirement,
  incoming: { entry: RequirementEntry; requirement: Requirement },
  notes: string[],
): void {
  const current = merged.requirement;
  const added = incoming.requirement;
  let url = current.url;
  let specifier: string;
  if (current.url !== undefined || added.url !== undefined) {
    // A direct reference cannot carry a version specifier. Two different URLs cannot both hold; a URL
    // wins over a version (MLflow would write `name==1.0 @ url`, which is not a valid requirement).
    if (current.url !== undefined && added.url !== undefined && current.url !== added.url) {
      const first = merged.contributors.find((c) => c.requirement.url !== undefined) ?? merged.contributors[0]!;
      throw conflictError(current.name, first, incoming, 'point to different URLs');
    }
    url = current.url ?? added.url;
    const dropped = current.url !== undefined ? added.specifier : current.specifier;
    if (dropped.trim() !== '') {
      notes.push(`\`${current.name}\`: the direct reference \`${url}\` replaces \`${normalizedSpecifier(dropped)}\``);
    }
    specifier = '';
  } else {
    specifier = mergeSpecifiers(merged, incoming, notes);
  }
  merged.requirement = {
    name: current.name,
    extras: mergeExtras(current.extras, added.extras),
    specifier,
    ...(url !== undefined ? { url } : {}),
    ...(current.marker !== undefined ? { marker: current.marker } : {}),
  };
  merged.contributors.push(incoming);
}

/**
 * `_deduplicate_requirements`, keyed on (canonical name, normalized marker). The first occurrence
 * keeps its position and its spelling; parsable entries come back as `str(Requirement)`; anything
 * that is not a PEP 508 requirement (options, URLs, `-e .`, lines with `--hash`) is kept verbatim
 * and deduplicated only on its exact text. Throws `CONFLICTING_REQUIREMENTS` on an empty intersection.
 */
export function deduplicateRequirements(entries: readonly RequirementEntry[]): DedupResult {
  const slots = new Map<string, MergedRequirement | RequirementEntry>();
  const notes: string[] = [];
  for (const entry of entries) {
    const requirement = tryParse(entry.text);
    if (!requirement) {
      const key = `verbatim:${entry.text}`;
      if (!slots.has(key)) slots.set(key, entry);
      continue;
    }
    const key = `requirement:${canonicalizeName(requirement.name)}\u0000${normalizedMarker(requirement.marker)}`;
    const existing = slots.get(key) as MergedRequirement | undefined;
    if (!existing) {
      slots.set(key, { requirement, contributors: [{ entry, requirement }] });
    } else {
      mergeInto(existing, { entry, requirement }, notes);
    }
  }
  const requirements = [...slots.values()].map((slot): RequirementEntry => {
    if (!('requirement' in slot)) return slot;
    const first = slot.contributors[0]!.entry;
    return { ...first, text: formatRequirement(slot.requirement) };
  });
  return { requirements, notes };
}

// ---------------------------------------------------------------------------------------------
// databricks-connect

function requirementName(text: string): string | undefined {
  const parsed = tryParse(text);
  return parsed ? canonicalizeName(parsed.name) : undefined;
}

/** `_remove_incompatible_requirements`: with `databricks-connect` present, `pyspark` and `pyspark-connect` go. */
export function removeIncompatibleRequirements(entries: readonly RequirementEntry[]): RequirementEntry[] {
  const names = new Set(entries.map((entry) => requirementName(entry.text)));
  if (!names.has('databricks-connect')) return [...entries];
  return entries.filter((entry) => {
    const name = requirementName(entry.text);
    return name !== 'pyspark' && name !== 'pyspark-connect';
  });
}

// ---------------------------------------------------------------------------------------------
// The pip list

export interface PipRequirementsInput {
  /** The parsed `pip_requirements` argument: used as is (no inference, no defaults). */
  pipRequirements?: RequirementsArgument;
  /** The parsed `extra_pip_requirements` argument: appended to `sorted(inferred ∪ defaults)`. */
  extraPipRequirements?: RequirementsArgument;
  /** Inferred requirements (ignored when `pipRequirements` is given). */
  inferred?: readonly string[];
  /** The flavor's default requirements (ignored when `pipRequirements` is given). */
  defaults?: readonly string[];
  /** The MLflow version the pin names (`3.6.0`, `3.6.1.dev0`, ...). */
  mlflowVersion: string;
}

export interface MergedPipRequirements {
  /** The deduplicated list with the mlflow pin, before the lock step and before `-c constraints.txt`. */
  requirements: RequirementEntry[];
  /** Constraint lines collected from `-c` files: what goes into constraints.txt. */
  constraints: RequirementEntry[];
  notes: string[];
}

/** `sorted(set(inferred) | set(defaults))`, labelled `inferred` or `flavor defaults`. */
export function inferredWithDefaults(inferred: readonly string[], defaults: readonly string[]): RequirementEntry[] {
  const inferredSet = new Set(inferred);
  const all = [...new Set([...inferred, ...defaults])];
  // Python sorts str by code point; JS's default sort compares UTF-16 units, the same outside astral planes.
  all.sort();
  return all.map((text) => ({ text, origin: inferredSet.has(text) ? 'inferred' : 'flavor defaults' }));
}

/**
 * `_process_pip_requirements` up to the lock step: pick the list (pip_requirements as is; or
 * sorted(inferred ∪ defaults) + extras; or sorted(inferred ∪ defaults)), insert the mlflow pin,
 * deduplicate, drop what databricks-connect replaces. Throws `EXCLUSIVE_ENV_ARGUMENTS` when both
 * arguments are given and `CONFLICTING_REQUIREMENTS` on a conflict.
 */
export function mergePipRequirements(input: PipRequirementsInput): MergedPipRequirements {
  validateEnvArguments({ pipRequirements: input.pipRequirements, extraPipRequirements: input.extraPipRequirements });
  let list: RequirementEntry[];
  let constraints: RequirementEntry[] = [];
  if (input.pipRequirements) {
    list = [...input.pipRequirements.requirements];
    constraints = [...input.pipRequirements.constraints];
  } else {
    list = inferredWithDefaults(input.inferred ?? [], input.defaults ?? []);
    if (input.extraPipRequirements) {
      list.push(...input.extraPipRequirements.requirements);
      constraints = [...input.extraPipRequirements.constraints];
    }
  }
  const { requirements, notes } = deduplicateRequirements(withMlflowPin(list, input.mlflowVersion));
  return { requirements: removeIncompatibleRequirements(requirements), constraints, notes };
}

/**
 * The lines of requirements.txt (and of conda.yaml's pip list) after the lock step: the lock layout
 * when `lockedLines` is given (no `-c` line then), otherwise the list plus `-c constraints.txt` last
 * when there are constraints.
 */
export function finalPipList(merged: MergedPipRequirements, lockedLines?: string | readonly string[]): string[] {
  const texts = merged.requirements.map((entry) => entry.text);
  if (lockedLines !== undefined) return formatLockedRequirements(texts, lockedLines);
  return merged.constraints.length > 0 ? [...texts, CONSTRAINTS_LINE] : texts;
}

/** Python's `str.splitlines()` for the line separators a tool's output uses. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `_lock_requirements`' layout: the original list as comments, then uv's `pip compile` output.
 *
 *   # Original requirements
 *   # mlflow==3.6.0
 *   #
 *   # Locked requirements
 *   <uv output lines>
 */
export function formatLockedRequirements(original: readonly string[], uvOutput: string | readonly string[]): string[] {
  const locked = typeof uvOutput === 'string' ? splitLines(uvOutput) : [...uvOutput];
  return ['# Original requirements', ...original.map((line) => `# ${line}`), '#', '# Locked requirements', ...locked];
}

/** Whether a pip list is in the lock layout (such a list is not merged again). */
export function isLockedPipList(lines: readonly string[]): boolean {
  return lines[0] === '# Original requirements' && lines.includes('# Locked requirements');
}

/**
 * `_process_conda_env` for the pip list of a user's conda env: the parsed list as is (no dedup, no
 * lock, as MLflow), the mlflow pin at index 0 when missing, `-c constraints.txt` last when there are
 * constraints. The result is both the conda pip section and requirements.txt.
 */
export function condaEnvPipList(pip: RequirementsArgument, mlflowVersion: string): { pipList: string[]; constraints: RequirementEntry[] } {
  const texts = withMlflowPin(pip.requirements, mlflowVersion).map((entry) => entry.text);
  return { pipList: pip.constraints.length > 0 ? [...texts, CONSTRAINTS_LINE] : texts, constraints: [...pip.constraints] };
}

// ---------------------------------------------------------------------------------------------
// conda.yaml vs requirements.txt

export interface PipListMismatch {
  /** 0-based position in the two lists. */
  index: number;
  conda?: string;
  requirements?: string;
}

export interface PipListComparison {
  matches: boolean;
  mismatches: PipListMismatch[];
}

/**
 * MLflow writes conda.yaml's pip list and requirements.txt from one list (`"\n".join`), so they
 * should be equal line for line. Lines are compared trimmed; blank lines of requirements.txt (a
 * trailing newline, say) are ignored.
 */
export function condaPipListMatchesRequirements(condaPipList: readonly string[], requirementsText: string): PipListComparison {
  const requirements = splitLines(requirementsText)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const conda = condaPipList.map((line) => String(line).trim());
  const mismatches: PipListMismatch[] = [];
  const length = Math.max(conda.length, requirements.length);
  for (let index = 0; index < length; index++) {
    const left = conda[index];
    const right = requirements[index];
    if (left !== right) {
      mismatches.push({
        index,
        ...(left !== undefined ? { conda: left } : {}),
        ...(right !== undefined ? { requirements: right } : {}),
      });
    }
  }
  return { matches: mismatches.length === 0, mismatches };
}
