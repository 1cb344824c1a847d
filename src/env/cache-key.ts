import { createHash } from 'node:crypto';
import type { InterpreterIdentity } from './python-discovery.js';
import type { EnvManagerName } from './types.js';

/**
 * The cache key of an environment: a digest of everything that decides its contents, and
 * nothing else (a model directory's path does not change what gets installed). Unlike
 * MLflow's key (mlflow-format.md §7.3), the override list is part of it (§13).
 */
export interface EnvKeyInputs {
  manager: EnvManagerName;
  /**
   * The resolved interpreter: its X.Y.Z and identity (conda: the `python=` spec of conda.yaml,
   * no identity). Not its path: a venv's python, the base it was made from, and a second
   * install of the same build give the same environment (python-discovery.ts).
   */
  python: { version: string; identity?: InterpreterIdentity };
  /** python_env.yaml's build_dependencies, as written. */
  buildDependencies: string[];
  /** Requirement lines with every -r expanded, normalised (see normalizeRequirementLine). */
  requirements: string[];
  /** Constraint lines from every -c file, expanded and normalised. */
  constraints: string[];
  /** conda: conda.yaml's non-pip part, normalised; absent for the other managers. */
  condaDependencies?: string[];
  override: string[];
  /** EnvRequest.extraRequirements; absent or empty leaves the key as it was before they existed. */
  extraRequirements?: string[];
  installMlflow: boolean;
  /** What --install-mlflow installs (`mlflow==3.6.0`, or `-e <MLFLOW_HOME>`). */
  mlflowRequirement?: string;
  platform: string;
  arch: string;
  /** mlf's version: the worker shipped with it runs in the environment. */
  workerVersion: string;
}

/** Bump when the meaning of an entry changes without the bucket changing. */
const KEY_SCHEMA = 2;

/** Hex sha256 of the canonical JSON of the inputs. Requirements and constraints are order-insensitive. */
export function computeEnvKey(inputs: EnvKeyInputs): string {
  const normalized = {
    schema: KEY_SCHEMA,
    manager: inputs.manager,
    python: { version: inputs.python.version, identity: inputs.python.identity ?? null },
    buildDependencies: inputs.buildDependencies.map(normalizeRequirementLine),
    requirements: sortedUnique(inputs.requirements.map(normalizeRequirementLine)),
    constraints: sortedUnique(inputs.constraints.map(normalizeRequirementLine)),
    condaDependencies: inputs.condaDependencies ? sortedUnique(inputs.condaDependencies.map(normalizeRequirementLine)) : null,
    // Order matters for the override: a later entry wins when two name the same package.
    override: inputs.override.map(normalizeRequirementLine),
    // Left out when empty (canonicalJson drops undefined), so every existing entry keeps its key.
    extraRequirements: inputs.extraRequirements?.length ? sortedUnique(inputs.extraRequirements.map(normalizeRequirementLine)) : undefined,
    installMlflow: inputs.installMlflow,
    mlflowRequirement: inputs.installMlflow ? (inputs.mlflowRequirement ?? null) : null,
    platform: inputs.platform,
    arch: inputs.arch,
    workerVersion: inputs.workerVersion,
  };
  return createHash('sha256').update(canonicalJson(normalized)).digest('hex');
}

/** The short form used in directory names: 16 hex digits (64 bits), as uv does, keeping shebangs short. */
export function shortKey(key: string): string {
  return key.slice(0, 16);
}

/**
 * A requirement line as pip sees it: whitespace collapsed around operators and commas, so
 * that `numpy >= 1.0` and `numpy>=1.0` give one key. Case is kept (URLs are case-sensitive).
 */
export function normalizeRequirementLine(line: string): string {
  return line
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/\s*(===|==|!=|~=|<=|>=|<|>|,|;|\[|\])\s*/g, '$1');
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** JSON with object keys sorted at every level, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
