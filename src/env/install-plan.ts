import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalizeName, parseRequirement } from '../deps/pep508.js';
import { parseStatement, type ResolvedLine } from '../deps/requirements-txt.js';
import { usageError } from '../errors.js';

/**
 * What gets installed, in order: the build dependencies, the model's requirements (with -r
 * expanded and its constraints honoured), the override on top, then mlflow. Requirements
 * that the override names are left out of the second step, so that a broken pin in the
 * model (the reason to override) does not fail the install before the override runs.
 */
export interface InstallPlan {
  buildDependencies: string[];
  /** Logical requirement lines (options such as --index-url included), override names removed. */
  requirementLines: ResolvedLine[];
  constraintLines: ResolvedLine[];
  override: string[];
  /** Installed with the requirement lines, in one resolve (EnvRequest.extraRequirements). */
  extraRequirements: string[];
  /** `mlflow==X.Y.Z`, `mlflow`, or `-e <MLFLOW_HOME>`; absent without --install-mlflow. */
  mlflowRequirement?: string;
  /** Requirement lines the override replaced. */
  replaced: ResolvedLine[];
}

export interface PlanInput {
  buildDependencies: string[];
  requirements: ResolvedLine[];
  constraints: ResolvedLine[];
  override: string[];
  extraRequirements?: string[];
  mlflowRequirement?: string;
}

export function planInstall(input: PlanInput): InstallPlan {
  const overridden = new Set(input.override.map(overrideName).filter((n): n is string => n !== undefined));
  const kept: ResolvedLine[] = [];
  const replaced: ResolvedLine[] = [];
  for (const line of input.requirements) {
    const name = requirementNameOf(line.text);
    if (name !== undefined && overridden.has(name)) replaced.push(line);
    else kept.push(line);
  }
  return {
    buildDependencies: input.buildDependencies,
    requirementLines: kept,
    constraintLines: input.constraints,
    override: input.override,
    extraRequirements: input.extraRequirements ?? [],
    ...(input.mlflowRequirement ? { mlflowRequirement: input.mlflowRequirement } : {}),
    replaced,
  };
}

/**
 * Splits `--pip-requirements-override` values on commas (MLflow's CLI does not: §13) and
 * checks each is a requirement. The flag may repeat. A comma only separates requirements: one
 * inside extras (`pkg[a,b]`), a quoted marker string, or before another specifier of the same
 * requirement (`pkg>=1,<2`) stays part of it.
 */
export function splitOverride(values: string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of splitRequirementList(value)) {
      const text = part.trim();
      if (!text) continue;
      try {
        parseRequirement(text);
      } catch (error) {
        throw usageError('INVALID_OVERRIDE', `invalid requirement \`${text}\` in --pip-requirements-override`, {
          cause: error,
          ...(error instanceof Error && 'detail' in error && typeof error.detail === 'string' ? { detail: error.detail } : {}),
          hint: 'give requirements such as `pkg==1.0`, separated by commas',
        });
      }
      out.push(text);
    }
  }
  return out;
}

/** `a==1,b[x,y]>=2,<3` -> [`a==1`, `b[x,y]>=2,<3`]. */
export function splitRequirementList(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  let quote: string | undefined;
  for (const char of value) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[' || char === '(') {
      depth++;
    } else if ((char === ']' || char === ')') && depth > 0) {
      depth--;
    } else if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current);
  // A part that starts with a version operator continues the previous requirement's specifier.
  const joined: string[] = [];
  for (const part of parts) {
    if (joined.length > 0 && /^\s*(~=|==|!=|<=|>=|<|>|===)/.test(part)) joined[joined.length - 1] += `,${part}`;
    else joined.push(part);
  }
  return joined;
}

/** The canonical name of a requirement line, or undefined for options, URLs and editables. */
export function requirementNameOf(text: string): string | undefined {
  try {
    const statement = parseStatement(text);
    return statement.kind === 'requirement' ? canonicalizeName(statement.requirement.name) : undefined;
  } catch {
    return undefined;
  }
}

function overrideName(text: string): string | undefined {
  try {
    return canonicalizeName(parseRequirement(text).name);
  } catch {
    return undefined;
  }
}

/** The lines that count as packages to install (for "installing N requirements"). */
export function packageLines(lines: ResolvedLine[]): string[] {
  return lines.map((l) => l.text).filter((text) => !text.startsWith('-') || /^(-e|--editable)\b/.test(text));
}

export interface MaterializedInputs {
  dir: string;
  requirementsFile?: string;
  constraintsFile?: string;
}

/**
 * Writes the flattened requirement and constraint lines to files in `dir` (beside the
 * environment, never in the model directory). The installer runs with cwd = the model
 * directory, so relative paths in requirement lines (`./pkg`, `-e .`) resolve as MLflow
 * resolves them; the -r/-c includes are already expanded, so none is left to resolve.
 */
export async function materializeInputs(plan: InstallPlan, dir: string): Promise<MaterializedInputs> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const out: MaterializedInputs = { dir };
  if (plan.requirementLines.length > 0) {
    out.requirementsFile = path.join(dir, 'requirements.txt');
    await writeFile(out.requirementsFile, `${plan.requirementLines.map((l) => l.text).join('\n')}\n`);
  }
  if (plan.constraintLines.length > 0) {
    out.constraintsFile = path.join(dir, 'constraints.txt');
    await writeFile(out.constraintsFile, `${plan.constraintLines.map((l) => l.text).join('\n')}\n`);
  }
  return out;
}
