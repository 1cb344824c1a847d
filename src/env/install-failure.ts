import path from 'node:path';
import { canonicalizeName } from '../deps/pep508.js';
import type { ResolvedLine } from '../deps/requirements-txt.js';
import { environmentError, type MlfError } from '../errors.js';
import { closeKnownDistribution } from '../deps/module-names.js';
import { requirementNameOf } from './install-plan.js';
import type { ToolError } from './exec.js';
import type { EnvManagerName, InstallStep } from './types.js';

/**
 * Turns an installer's failure into MlfError INSTALL_FAILED (exit 3): the installer's own
 * words (the tail of its output) as the detail, and the requirement that failed when its
 * output names one, traced back to the file and line that asked for it.
 */

/** Phrases in which pip and uv name the requirement they could not install. */
const FAILED_REQUIREMENT_PATTERNS: RegExp[] = [
  // pip
  /Could not find a version that satisfies the requirement (\S+)/,
  /No matching distribution found for (\S+)/,
  /Failed building wheel for (\S+)/,
  /Failed to build (?:installable wheels for some pyproject\.toml based projects )?\(?([A-Za-z0-9][\w.-]*)/,
  // uv
  /there is no version of ([^\s,]+)/,
  /Because ([A-Za-z0-9][\w.\-[\]]*) was not found in the package registry/,
  /Failed to (?:build|download|prepare distributions?|fetch)[^`]*`([^`]+)`/,
  /you require ([^\s,]+)/,
  // conda
  /PackagesNotFoundError:[\s\S]*?\n\s+- (\S+)/,
];

export interface FailedRequirement {
  /** As the installer named it, e.g. `six==99`. */
  named: string;
  /** The model's line that asked for it, when found. */
  line?: ResolvedLine;
  /** The index has no distribution of that name at all (a misspelling, or a private package). */
  notOnIndex: boolean;
}

/** uv's and pip's words for "no distribution of this name" (as opposed to "no such version"). */
function isNotOnIndex(output: string): boolean {
  return /was not found in the package registry|was not found in the provided package locations|\(from versions: none\)/.test(output);
}

export function findFailedRequirement(output: string, lines: ResolvedLine[]): FailedRequirement | undefined {
  for (const pattern of FAILED_REQUIREMENT_PATTERNS) {
    const match = pattern.exec(output);
    const named = match?.[1]?.replace(/[`'")(]+$/g, '').replace(/^[`'"(]+/, '');
    if (!named) continue;
    const name = requirementNameOf(named) ?? named.toLowerCase();
    const line = lines.find((l) => requirementNameOf(l.text) === name);
    return { named, ...(line ? { line } : {}), notOnIndex: isNotOnIndex(output) };
  }
  return undefined;
}

export interface InstallFailureContext {
  manager: EnvManagerName;
  envDir: string;
  modelDir: string;
  step?: InstallStep | 'create';
  /** Every line that was being installed, to trace the failed one to its origin. */
  lines: ResolvedLine[];
}

export function installFailure(error: ToolError, ctx: InstallFailureContext): MlfError {
  const failed = findFailedRequirement(error.output, ctx.lines);
  const what =
    ctx.step === 'create' || ctx.step === undefined
      ? `creating the ${ctx.manager} environment`
      : `installing the ${ctx.step === 'requirements' ? "model's requirements" : ctx.step}`;
  let how: string;
  if (error.notFound) how = `\`${error.argv[0]}\` could not be started`;
  else if (error.timedOut) how = 'the installer timed out';
  else if (error.signal) how = `the installer was killed by ${error.signal}`;
  else how = `\`${error.tool}\` exited with code ${error.exitCode}`;
  let message = `${what} failed: ${how}`;
  if (failed) {
    message += failed.line
      ? `; the requirement that failed: \`${failed.line.text}\` (from \`${failed.line.origin}\`)`
      : `; the requirement that failed: \`${failed.named}\``;
  }
  const hint = ctx.step === 'override' ? 'check the versions given to `--pip-requirements-override`' : failed ? failedRequirementHint(failed, ctx.modelDir) : "run again with --verbose to see the installer's full output";
  const file = failed?.line?.file;
  return environmentError('INSTALL_FAILED', message, {
    hint,
    // The error points at the line that asked for the requirement (`requirements.txt:3: ...`).
    ...(file && ctx.step !== 'override' ? { file: path.resolve(ctx.modelDir, file), line: failed!.line!.line } : {}),
    ...(error.stderrTail ? { detail: error.stderrTail } : {}),
    cause: error,
    data: {
      manager: ctx.manager,
      envDir: ctx.envDir,
      step: ctx.step ?? 'create',
      command: error.argv,
      exitCode: error.exitCode ?? null,
      ...(failed ? { failedRequirement: failed.line?.text ?? failed.named, ...(failed.line ? { origin: failed.line.origin } : {}) } : {}),
    },
  });
}

/**
 * What to do about the requirement that failed. A name the index does not have cannot be
 * fixed by an override (that only replaces a same-name requirement): the line must be corrected
 * or removed. A version the index does not have can be replaced.
 */
function failedRequirementHint(failed: FailedRequirement, modelDir: string): string {
  const name = requirementNameOf(failed.line?.text ?? failed.named) ?? canonicalizeName(failed.named.replace(/[^A-Za-z0-9._-].*$/, ''));
  const model = shellWord(modelDir);
  const where = failed.line ? `line ${failed.line.origin}` : 'the requirement';
  if (failed.notOnIndex) {
    const near = closeKnownDistribution(name);
    return (
      `the index has no distribution called \`${name}\`${near ? ` (did you mean \`${near}\`?)` : ''}: correct or remove ${where} ` +
      `(\`mlf models update-pip-requirements -m ${model} remove ${name}\`, then \`add\` the right name with its version)`
    );
  }
  return (
    `pick a version the index has: try it for this run with \`--pip-requirements-override ${name}==VERSION\`, ` +
    `then fix ${where} with \`mlf models update-pip-requirements -m ${model} add ${name}==VERSION\` ` +
    `(or drop it: \`mlf models update-pip-requirements -m ${model} remove ${name}\`)`
  );
}

/** A path quoted for a POSIX shell only when it needs it. */
function shellWord(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
