/**
 * Turns the worker's missing-module failure into advice that cannot mislead
 * (missing-module-advice.ts decides; this module gathers the facts it decides on): the model's own requirements and the
 * override (so that a hint never proposes a requirement that is already there), mlf's tables,
 * and, only for a module name no table knows, the configured index, asked through uv whether it
 * serves a wheel of that name whose files install the module.
 */
import { canonicalizeName } from '../deps/pep508.js';
import { topLevelModule } from '../deps/module-names.js';
import { indexOptionLines, probeIndexDistribution } from '../env/index-probe.js';
import { installableVersion } from '../env/latest-version.js';
import { loadModelEnvironment } from '../env/model-environment.js';
import type { EnvManagerName } from '../env/types.js';
import { knownDistributionsFor } from '../deps/module-provider.js';
import type { ModelDirectory } from '../model/directory/strict.js';
import { isWorkerFailure } from '../worker/failure.js';
import { adviseMissingModule, MissingModuleError, type MissingModuleFacts } from './missing-module-advice.js';

export interface MissingModuleHintContext {
  /** The model predict read (model/directory/strict.ts); its requirements are not read again. */
  model: ModelDirectory;
  manager: EnvManagerName;
  /** The environment's interpreter (for `local`, the user's). */
  pythonPath: string;
  pythonVersion?: string;
  envDir: string;
  override: readonly string[];
  mlfHome: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Rethrows `error` as is unless it is a missing-module failure; that one is rethrown as a MissingModuleError with the advice. */
export async function explainMissingModule(error: unknown, ctx: MissingModuleHintContext): Promise<never> {
  if (!isWorkerFailure(error, 'missing-module')) throw error;
  const { stage, message: pythonMessage } = error.failure;
  const module = error.failure.module ?? 'unknown';
  const requirements = await modelRequirements(ctx);
  const facts: MissingModuleFacts = { module, known: knownDistributionsFor(module), requirements, override: ctx.override };
  let advice = adviseMissingModule(facts);
  if (advice.kind === 'local-code') {
    // A name no table knows: ask the index before naming it, and trust only the wheel's files.
    const probe = await probeIndexDistribution({
      distribution: canonicalizeName(topLevelModule(module)),
      pythonPath: ctx.pythonPath,
      indexOptions: indexOptionLines(requirements.map((r) => r.text)),
      mlfHome: ctx.mlfHome,
      env: ctx.env,
      cwd: ctx.model.dir,
    });
    if (probe.status !== 'unknown') {
      advice = adviseMissingModule({ ...facts, index: probe.status === 'absent' ? 'absent' : probe });
    }
  }
  if (advice.kind === 'install' && advice.source === 'table') {
    const version = await installableVersion({
      distribution: advice.distribution,
      ...(ctx.pythonVersion ? { pythonVersion: ctx.pythonVersion } : {}),
      mlfHome: ctx.mlfHome,
      env: ctx.env,
      cwd: ctx.cwd,
    });
    if (version) advice = { ...advice, version };
  }
  const advised = new MissingModuleError(advice, {
    stage,
    pythonMessage,
    ...(ctx.manager === 'local' ? { localPython: ctx.pythonPath } : { envDir: ctx.envDir }),
  });
  // The worker's traceback, for --verbose.
  if (error.cause !== undefined) advised.cause = error.cause;
  throw advised;
}

/** The lines the model's environment installs (conda.yaml's pip list too, for conda), or none when they cannot be read. */
async function modelRequirements(ctx: MissingModuleHintContext): Promise<{ text: string; origin: string }[]> {
  try {
    const model = await loadModelEnvironment(ctx.model, { env: ctx.env, fallbackPython: async () => ctx.pythonVersion ?? '3' });
    const lines = ctx.manager === 'conda' && model.condaRequirements ? [...model.condaRequirements, ...model.requirements] : model.requirements;
    return lines.map((l) => ({ text: l.text, origin: l.origin }));
  } catch {
    return [];
  }
}
