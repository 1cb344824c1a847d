import path from 'node:path';
import { inputError, isMlfError, usageError } from '../errors.js';
import { isRemoteModelUri } from '../tracking/model-uri.js';
import { locateModelSource, type ModelSourceRequest } from './model-source.js';
import { commitModelFiles } from '../model/transaction.js';
import { withModelWriteLock } from '../model/write-lock.js';
import type { Diagnostic } from '../validate/diagnostic.js';
import { runRules, type RuleOverrides } from '../validate/engine.js';
import { planFixes } from '../validate/fix.js';
import { loadModelFiles, DEFAULT_LOAD_LIMITS, type LoadLimits } from '../validate/load.js';
import type { ModelFiles } from '../validate/model-files.js';
import { makeReport, type AppliedFix, type ModelReport } from '../validate/report.js';
import { diagnostic } from '../validate/rules/shared.js';
import { compareDiagnostics } from '../validate/diagnostic.js';
import { applyOverrides } from '../validate/engine.js';

/**
 * `mlf models validate`: checks each model directory and yields its report as soon as it is
 * done, in argument order, with at most `concurrency` models in memory at once (so a run over
 * thousands of directories streams with bounded memory).
 */
export interface ValidateOptions {
  /** Model directories (or `file://` URIs, or remote model URIs: ops/model-source.ts), as the user gave them. */
  models: readonly string[];
  cwd: string;
  /** How remote model URIs are fetched (environment, `$MLF_HOME`, `--offline`); without it, only the cwd. */
  modelSource?: Omit<ModelSourceRequest, 'cwd'>;
  overrides?: RuleOverrides;
  /** Apply the fixable findings (atomically), then report what remains. */
  fix?: boolean;
  /**
   * `--smoke`: build the environment and predict on the input example. Given by the caller
   * (the CLI wires src/validate/smoke.ts), so that this module stays free of env/runtime.
   */
  smoke?: (files: ModelFiles) => Promise<Diagnostic[]>;
  /** `--online`: resolve the requirements against the configured index (the CLI wires `onlineCheck`). */
  online?: (files: ModelFiles, model: string) => Promise<Diagnostic[]>;
  concurrency?: number;
  limits?: LoadLimits;
}

export async function* validateModels(options: ValidateOptions): AsyncGenerator<ModelReport> {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const pending: Promise<ModelReport>[] = [];
  let next = 0;
  const start = () => {
    const model = options.models[next++]!;
    pending.push(validateOne(model, options));
  };
  while (next < options.models.length && pending.length < concurrency) start();
  while (pending.length > 0) {
    const report = await pending.shift()!;
    if (next < options.models.length) start();
    yield report;
  }
}

export async function validateOne(model: string, options: ValidateOptions): Promise<ModelReport> {
  let dir: string;
  if (options.fix && isRemoteModelUri(model)) {
    throw usageError('FIX_REMOTE_MODEL', `--fix writes into the model directory, and \`${model}\` is a remote model URI`, {
      hint: `download it first: \`mlf models download -m ${model} -o ./model\`, then \`mlf models validate ./model --fix\``,
    });
  }
  try {
    dir = (await locateModelSource(model, { env: {}, ...options.modelSource, cwd: options.cwd })).dir;
  } catch (error) {
    // A server or the network failing is no finding about the model: the run stops (exit 3).
    if (!isMlfError(error) || error.exitCode === 3) throw error;
    return makeReport(model, model, false, [unreadable(model, '.', undefined, error.message, error.hint)]);
  }
  const overrides = options.overrides ?? new Map();
  const limits = options.limits ?? DEFAULT_LOAD_LIMITS;
  let files = await loadModelFiles(dir, limits);
  const problem = firstProblem(model, files);
  if (problem) return makeReport(model, dir, false, [problem]);
  let diagnostics = runRules(files, overrides);
  const fixes: AppliedFix[] = [];
  if (options.fix && planFixes(files, diagnostics).length > 0) {
    // A file that became unreadable since the first read ends the run, as a read error.
    const reload = async () => {
      const again = await loadModelFiles(dir, limits);
      const failed = firstProblem(model, again);
      if (failed) throw inputError('MODEL_DIRECTORY_UNREADABLE', failed.message, { file: failed.file });
      return again;
    };
    // Read again under the write lock (model/write-lock.ts), so that the fixes apply to what is
    // there now and no other mlf writes between that read and the commit.
    await withModelWriteLock(
      dir,
      async () => {
        files = await reload();
        const planned = planFixes(files, runRules(files, overrides));
        if (planned.length === 0) return;
        await commitModelFiles(dir, planned.map(({ name, content }) => ({ name, content })), { displayPath: model });
        for (const file of planned) fixes.push(...file.fixes);
      },
      { displayPath: model },
    );
    files = await reload();
    diagnostics = runRules(files, overrides);
  }
  if (options.online) {
    const online = applyOverrides(await options.online(files, model), overrides);
    diagnostics = [...diagnostics, ...online].sort(compareDiagnostics);
  }
  if (options.smoke) {
    const smoke = applyOverrides(await options.smoke(files), overrides);
    diagnostics = [...diagnostics, ...smoke].sort(compareDiagnostics);
  }
  return makeReport(model, dir, true, diagnostics, fixes);
}

/** The directory, or a file the rules read (fs/read-regular-file.ts's refusal), could not be read: one MLF100. */
function firstProblem(model: string, files: ModelFiles): Diagnostic | undefined {
  if (files.directoryProblem) return unreadable(model, '.', undefined, files.directoryProblem.reason);
  const error = files.problems[0]?.error;
  return error && unreadable(model, error.location.file ?? '.', error.location.line, error.message, error.hint);
}

function unreadable(model: string, file: string, line: number | undefined, reason: string, hint?: string): Diagnostic {
  return diagnostic('MLF100', file, line, `cannot read \`${model}\`: ${reason}`, hint ? { hint } : {});
}

export interface SmokeOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** uv, virtualenv, conda or local; default as `mlf models predict` chooses. */
  envManager?: string;
  mlfHome?: string;
}

/**
 * `--smoke`: build the environment as `mlf models predict` does and predict on the model's
 * serving input example. A failure is one diagnostic carrying the installer's or the worker's
 * message: MLF802 when the environment could not be built, MLF801 when loading or predicting
 * failed. A model without a serving example gets MLF803.
 */
export async function smokeTest(files: ModelFiles, options: SmokeOptions): Promise<Diagnostic[]> {
  const root = files.mlmodel?.value as Record<string, unknown> | undefined;
  const info = root?.saved_input_example_info as Record<string, unknown> | undefined;
  const serving = typeof info?.serving_input_path === 'string' ? info.serving_input_path : undefined;
  if (!serving || !files.entries.has(serving)) {
    return [diagnostic('MLF803', 'MLmodel', files.mlmodel?.lineOf(['saved_input_example_info']), 'the model has no serving input example (`serving_input_example.json`) to predict on')];
  }
  const [{ predict }, { parseEnvManagerName }, { isMlfError }] = await Promise.all([
    import('./predict.js'),
    import('../env/index.js'),
    import('../errors.js'),
  ]);
  try {
    await predict({
      modelUri: files.dir,
      inputPath: path.join(files.dir, serving),
      contentType: 'json',
      env: options.env,
      cwd: options.cwd,
      ...(options.mlfHome ? { mlfHome: options.mlfHome } : {}),
      ...(options.envManager ? { manager: parseEnvManagerName(options.envManager) } : {}),
    });
    return [];
  } catch (error) {
    if (isMlfError(error) && error.category === 'environment') {
      return [diagnostic('MLF802', 'MLmodel', undefined, `the environment could not be built: ${error.message}${error.detail ? `\n${error.detail}` : ''}`, error.hint ? { hint: error.hint } : {})];
    }
    if (isMlfError(error)) {
      return [diagnostic('MLF801', serving, undefined, `predict on \`${serving}\` failed: ${error.message}`, error.hint ? { hint: error.hint } : {})];
    }
    return [diagnostic('MLF801', serving, undefined, `predict on \`${serving}\` failed: ${error instanceof Error ? error.message : String(error)}`)];
  }
}

export interface OnlineOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  mlfHome?: string;
  /** Per resolution; default 2 minutes. */
  timeoutMs?: number;
}

/** How many refused requirements one model reports before it stops asking (each is one more resolution). */
const MAX_REFUSALS = 10;

/**
 * `--online`: resolves the model's requirements with `uv pip compile` against the configured
 * index (the index options in requirements.txt, UV_INDEX_URL, or pip's PIP_INDEX_URL), for the
 * model's Python version, installing nothing. A requirement that the index does not have, or
 * none of whose versions match, is MLF901 at its line, and the rest is resolved again without
 * it, so that one run reports every such line; a conflict is reported once. When the check
 * cannot run (no uv, the index unreachable) the model gets MLF902, never a silent pass.
 */
export async function onlineCheck(files: ModelFiles, model: string, options: OnlineOptions): Promise<Diagnostic[]> {
  const [{ resolverInput, resolverText, readRefusal, unresolvableDiagnostic, onlineFailedDiagnostic }, { findUv, uvIndexEnvironment }, { resolveMlfHome }, { isToolError, runTool }] =
    await Promise.all([import('../validate/online.js'), import('../env/index-probe.js'), import('../env/home.js'), import('../env/exec.js')]);
  const input = resolverInput(files);
  if (!input) return [];
  const mlfHome = resolveMlfHome({ mlfHome: options.mlfHome, env: options.env, cwd: options.cwd });
  const uv = findUv(options.env, mlfHome);
  if (!uv) return [onlineFailedDiagnostic('uv was not found on PATH (nor bootstrapped under MLF_HOME); install it (`pip install uv`)')];
  const args = ['pip', 'compile', '--quiet', '--no-header', '--no-annotate', '--color', 'never'];
  if (input.pythonVersion) args.push('--python-version', input.pythonVersion);
  for (const file of input.constraintFiles) args.push('--constraint', file);
  args.push('-');
  const found: Diagnostic[] = [];
  const skip = new Set<(typeof input.lines)[number]>();
  for (let attempt = 0; attempt < MAX_REFUSALS; attempt += 1) {
    try {
      await runTool('uv', uv, args, { cwd: files.dir, env: uvIndexEnvironment(options.env), input: resolverText(input, skip), timeoutMs: options.timeoutMs ?? 120_000 });
      return found;
    } catch (error) {
      if (!isToolError(error)) throw error;
      const refusal = error.timedOut || error.notFound ? undefined : readRefusal(error.output, input);
      if (!refusal) {
        const reason = error.timedOut ? 'uv timed out' : error.stderrTail.trim().split('\n').slice(-3).join(' ').trim() || `uv exited with code ${error.exitCode}`;
        return [...found, onlineFailedDiagnostic(reason)];
      }
      found.push(unresolvableDiagnostic(refusal, model));
      if (refusal.kind === 'conflict' || !refusal.located || skip.has(refusal.located)) return found;
      skip.add(refusal.located);
    }
  }
  return found;
}