/**
 * What to tell a user whose model failed with ModuleNotFoundError, decided on facts that
 * missing-module-hint.ts gathers. Advice never misleads: it names a distribution only when
 * something vouches that it installs the module (a table, or the files of the wheel the
 * configured index serves under that name), never proposes adding a requirement the model
 * already lists, and otherwise says the module looks like local code that was not saved with
 * the model. The advice is data on the error; the commands to run are cli/fix-commands.ts's.
 */
import { canonicalizeName, parseRequirement } from '../deps/pep508.js';
import { topLevelModule } from '../deps/module-names.js';
import { MlfError } from '../errors.js';
import type { WorkerStage } from '../worker/failure.js';

export type MissingModuleAdvice =
  | {
      kind: 'install';
      module: string;
      distribution: string;
      /** `table`: mlf's tables know it; `index`: the index's wheel of that name installs the module. */
      source: 'table' | 'index';
      /** The version an install would pick today (or the index's wheel's), to pin. */
      version?: string;
    }
  | {
      kind: 'listed';
      module: string;
      distribution: string;
      /** The requirement as the model (or the override) lists it, e.g. `skops==0.16.0`. */
      requirement: string;
      /** Where: `requirements.txt:3`, or `--pip-requirements-override`. */
      origin: string;
    }
  | {
      kind: 'local-code';
      module: string;
      /** Whether the index was asked and has no wheel of that name providing the module (false: it could not be asked). */
      indexChecked: boolean;
    };

export interface MissingModuleFacts {
  module: string;
  /** Distributions mlf's tables know to install the module's top-level name, usual first. */
  known: readonly string[];
  /** The model's requirement lines, as its environment installs them, with their origins. */
  requirements: readonly { text: string; origin: string }[];
  /** `--pip-requirements-override` values. */
  override: readonly string[];
  /**
   * For a name no table knows: what the index has under the module's own name (the wheel's
   * version and the top-level modules its files install), `absent`, or undefined when unknown.
   */
  index?: { distribution: string; version: string; modules: readonly string[] } | 'absent';
}

export function adviseMissingModule(facts: MissingModuleFacts): MissingModuleAdvice {
  const module = facts.module;
  const top = topLevelModule(module);
  const candidates = new Set([...facts.known.map(canonicalizeName), canonicalizeName(top)]);
  const listed =
    facts.override.map((text) => ({ text, origin: '--pip-requirements-override' })).find((r) => candidates.has(nameOf(r.text) ?? '')) ??
    facts.requirements.find((r) => candidates.has(nameOf(r.text) ?? ''));
  if (listed) return { kind: 'listed', module, distribution: nameOf(listed.text)!, requirement: listed.text, origin: listed.origin };
  if (facts.known.length > 0) return { kind: 'install', module, distribution: facts.known[0]!, source: 'table' };
  const index = facts.index;
  if (index && index !== 'absent' && index.modules.includes(top)) {
    return { kind: 'install', module, distribution: index.distribution, source: 'index', version: index.version };
  }
  return { kind: 'local-code', module, indexChecked: index !== undefined };
}

function nameOf(text: string): string | undefined {
  try {
    return canonicalizeName(parseRequirement(text.split(/\s+--?[a-z]/)[0]!.trim()).name);
  } catch {
    return undefined;
  }
}

/** Where the model ran, as far as the advice depends on it. */
export interface MissingModuleEnvironment {
  /** The interpreter, when the run used `--env-manager local` (mlf installs nothing into it). */
  localPython?: string;
  /** The environment's directory, to name when it lacks a requirement it was built with. */
  envDir?: string;
}

export interface MissingModuleErrorContext extends MissingModuleEnvironment {
  stage: WorkerStage;
  /** Python's own words, e.g. `ModuleNotFoundError: No module named 'textfeat'`. */
  pythonMessage: string;
}

/** MISSING_MODULE (exit 1) with its advice as data: the hint says what is wrong; cli/fix-commands.ts adds what to run. */
export class MissingModuleError extends MlfError {
  readonly advice: MissingModuleAdvice;
  readonly environment: MissingModuleEnvironment;

  constructor(advice: MissingModuleAdvice, ctx: MissingModuleErrorContext) {
    super('model', 'MISSING_MODULE', `the model ${ctx.stage === 'load' ? 'could not be loaded' : 'failed while predicting'}: ${ctx.pythonMessage}`, {
      hint: missingModuleHint(advice, ctx),
      data: {
        module: advice.module,
        advice: advice.kind,
        ...(advice.kind !== 'local-code' ? { distribution: advice.distribution } : {}),
        known: advice.kind === 'install' && advice.source === 'table',
        pythonMessage: ctx.pythonMessage,
        stage: ctx.stage,
      },
    });
    this.advice = advice;
    this.environment = { ...(ctx.localPython !== undefined ? { localPython: ctx.localPython } : {}), ...(ctx.envDir !== undefined ? { envDir: ctx.envDir } : {}) };
  }
}

function missingModuleHint(advice: MissingModuleAdvice, ctx: MissingModuleErrorContext): string {
  const { module } = advice;
  const top = topLevelModule(module);
  if (advice.kind === 'install') {
    return advice.source === 'table'
      ? `\`${module}\` is provided by the distribution \`${advice.distribution}\`, which is not installed in the model's environment`
      : `no table of mlf's knows \`${top}\`, but the index has a distribution \`${advice.distribution}\` whose files install it: make sure it is the package you mean before you install it (if \`${top}\` is your own code, re-save the model with it as a code path instead)`;
  }
  if (advice.kind === 'listed') {
    const where = advice.origin === '--pip-requirements-override' ? 'the override lists' : `the model lists \`${advice.requirement}\` (${advice.origin})`;
    const subject = advice.origin === '--pip-requirements-override' ? `${where} \`${advice.requirement}\`` : where;
    if (ctx.localPython) {
      return `${subject}, but the local interpreter \`${ctx.localPython}\` does not have it: \`--env-manager local\` installs nothing, so adding the requirement again would change nothing`;
    }
    return (
      `${subject} and the environment was built with it, yet \`${top}\` cannot be imported: ` +
      `\`${advice.distribution}\` may not install \`${top}\` at this version, or the environment${ctx.envDir ? ` (\`${ctx.envDir}\`)` : ''} is damaged`
    );
  }
  return (
    `no table of mlf's knows a distribution that installs \`${top}\`, ` +
    (advice.indexChecked ? `and the index has no package of that name that does` : `and the index could not be asked whether a package of that name installs it`) +
    `: \`${top}\` looks like local code that was not saved with the model (it is not in \`code/\`)`
  );
}
