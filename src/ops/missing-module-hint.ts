/**
 * Turns the worker's ModuleNotFoundError into advice that cannot mislead (worker/missing-module.ts
 * decides; this module gathers the facts it decides on): the model's own requirements and the
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
import type { ModelDirectory } from '../model/directory/strict.js';
import { MlfError } from '../errors.js';
import { adviseMissingModule, missingModuleError, type FixCommandsInput, type MissingModuleFacts } from '../worker/missing-module.js';
import { knownDistributionsFor } from '../validate/module-provider.js';

export interface MissingModuleHintContext {
  /** The model predict read (model/directory/strict.ts); its requirements are not read again. */
  model: ModelDirectory;
  manager: EnvManagerName;
  /** The environment's interpreter (for `local`, the user's). */
  pythonPath: string;
  pythonVersion?: string;
  envDir: string;
  override: readonly string[];
  fix: FixCommandsInput;
  mlfHome: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Rethrows `error` as is unless it is MISSING_MODULE; that one is rethrown with the advice. */
export async function explainMissingModule(error: unknown, ctx: MissingModuleHintContext): Promise<never> {
  if (!(error instanceof MlfError) || error.code !== 'MISSING_MODULE' || !error.data) throw error;
  const { module, pythonMessage, stage } = error.data as { module: string; pythonMessage: string; stage: 'load' | 'predict' };
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
  let version: string | undefined;
  if (advice.kind === 'install' && advice.source === 'table') {
    version = await installableVersion({
      distribution: advice.distribution,
      ...(ctx.pythonVersion ? { pythonVersion: ctx.pythonVersion } : {}),
      mlfHome: ctx.mlfHome,
      env: ctx.env,
      cwd: ctx.cwd,
    });
  }
  const advised = missingModuleError(advice, {
    stage,
    pythonMessage,
    fix: { ...ctx.fix, ...(version ? { version } : {}) },
    manager: ctx.manager,
    ...(ctx.manager === 'local' ? {} : { envDir: ctx.envDir }),
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
