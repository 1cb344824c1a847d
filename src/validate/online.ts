/**
 * `mlf models validate --online` (MLF901/MLF902), the part that needs no process: what to give
 * the resolver (requirements.txt as pip expands it, the model's Python version) and how to turn
 * the resolver's refusal into diagnostics that point at the requirement's line. The resolver
 * itself (uv pip compile, no install) is run by ops/validate.ts.
 */
import { closeKnownDistribution } from '../deps/module-names.js';
import { canonicalizeName } from '../deps/pep508.js';
import type { Diagnostic } from './diagnostic.js';
import { envSources } from './env-files.js';
import type { ModelFiles } from './model-files.js';
import { canonicalNameOf, effectiveRequirements, isRequirement, redactUrl, type LocatedStatement } from './requirements-view.js';
import { diagnostic, tick } from './rules/shared.js';
import { asRecord } from '../model/directory/yaml-source.js';

export interface ResolverInput {
  /** The lines to resolve, in order (requirements, options such as `--index-url`, URLs), `-r` files expanded. */
  lines: LocatedStatement[];
  /** The `-c` files, relative to the model directory. */
  constraintFiles: string[];
  /** The Python the model runs on (python_env.yaml, else MLmodel's `python_version`), when it is a plain X.Y[.Z]. */
  pythonVersion?: string;
}

/** Undefined when the model has no requirements.txt (MLF213 says so): nothing to resolve. */
export function resolverInput(files: ModelFiles): ResolverInput | undefined {
  if (!files.requirementFiles.has('requirements.txt')) return undefined;
  const effective = effectiveRequirements(files);
  const constraintFiles = [...effective.roles].filter(([, role]) => role === 'constraints').map(([file]) => file);
  const version = pythonVersionOf(files);
  return { lines: effective.requirements, constraintFiles, ...(version ? { pythonVersion: version } : {}) };
}

function pythonVersionOf(files: ModelFiles): string | undefined {
  const fromEnv = asRecord(envSources(files).pythonEnv?.value)?.python;
  const fromMlmodel = asRecord(asRecord(asRecord(files.mlmodel?.value)?.flavors)?.python_function)?.python_version;
  for (const value of [fromEnv, fromMlmodel]) {
    if (typeof value === 'string' && /^\d+\.\d+(\.\d+)?$/.test(value.trim())) return value.trim();
  }
  return undefined;
}

/** The resolver's input as requirements-file text, leaving out the lines already reported. */
export function resolverText(input: ResolverInput, skip: ReadonlySet<LocatedStatement> = new Set()): string {
  return input.lines
    .filter((l) => !skip.has(l))
    .map((l) => l.statement.content)
    .join('\n')
    .concat('\n');
}

export interface Unresolvable {
  /** The requirement line the resolver named, when it is one of the model's. */
  located?: LocatedStatement;
  /** `absent`: no distribution of that name; `version`: none of its versions match; `conflict`: the rest. */
  kind: 'absent' | 'version' | 'conflict';
  /** The resolver's own explanation, one line. */
  reason: string;
}

/**
 * Reads uv's refusal (`No solution found when resolving dependencies`, uv 0.13's wording) and
 * finds the model's requirement it names. `absent` and `version` concern that requirement
 * alone, so resolving again without it can find the next one; a conflict involves several.
 */
export function readRefusal(output: string, input: ResolverInput): Unresolvable | undefined {
  const cause = /cause: ([\s\S]*?)(?:\n\s*hint:|\n\S|$)/.exec(output)?.[1]?.replace(/\s+/g, ' ').trim();
  const reason = cause ?? output.trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim();
  if (!reason || !/No solution found|unsatisfiable|not found in the/.test(output)) return undefined;
  const absent = /Because ([A-Za-z0-9][\w.-]*) was not found in the (?:package registry|provided package locations)/.exec(output)?.[1];
  const noVersion = /there is no version of ([A-Za-z0-9][\w.-]*)/.exec(output)?.[1];
  const required = [...output.matchAll(/you require ([A-Za-z0-9][\w.-]*)/g)].map((m) => m[1]!);
  const name = absent ?? noVersion ?? required[0];
  const located = name === undefined ? undefined : findRequirement(input, name);
  const kind = absent ? 'absent' : noVersion ? 'version' : 'conflict';
  return { ...(located ? { located } : {}), kind, reason: redactUrl(reason) };
}

function findRequirement(input: ResolverInput, name: string): LocatedStatement | undefined {
  const wanted = canonicalizeName(name.replace(/[<>=!~;[\s].*$/, ''));
  return input.lines.find((l) => isRequirement(l) && canonicalNameOf(l.statement) === wanted);
}

/** MLF901 for a requirement the resolver refused. */
export function unresolvableDiagnostic(found: Unresolvable, modelArg: string): Diagnostic {
  const located = found.located;
  const statement = located?.statement;
  const text = statement?.content;
  const what = text ? `${tick(text)} cannot be resolved against the configured index` : 'the requirements cannot be resolved against the configured index';
  const name = statement && statement.kind === 'requirement' ? canonicalNameOf(statement) : undefined;
  const hint =
    found.kind === 'absent' && name
      ? `the index has no distribution called ${tick(name)}${closeKnownDistribution(name) ? ` (did you mean ${tick(closeKnownDistribution(name))}?)` : ''}: correct the name, or remove the line (${tick(`mlf models update-pip-requirements -m ${modelArg} remove ${name}`)})`
      : found.kind === 'version' && name
        ? `pin a version the index has (${tick(`mlf models update-pip-requirements -m ${modelArg} add ${name}==VERSION`)})`
        : undefined;
  return diagnostic('MLF901', located?.file ?? 'requirements.txt', statement?.line, `${what}: ${found.reason}`, hint ? { hint } : {});
}

/** MLF902: the check could not run (no uv, the index unreachable, a timeout): nothing was verified. */
export function onlineFailedDiagnostic(reason: string): Diagnostic {
  return diagnostic('MLF902', 'requirements.txt', undefined, `the requirements were not checked against the index: ${redactUrl(reason)}`);
}
