import { canonicalizeName, parseRequirement } from '../deps/pep508.js';
import { tableDistributions, topLevelModule } from '../deps/module-names.js';
import { modelError, type MlfError } from '../errors.js';
export interface MissingModule {
  /** The module as Python named it, e.g. `cv2` or `sklearn.ensemble`. */
  module: string;
  /** The distribution that most likely provides it, e.g. `opencv-python`. */
  distribution: string;
  /** False when no table vouches for it and the distribution is only the module's own name. */
  known: boolean;
}

/**
 * From a module Python could not import to the distribution a user should install: the one a
 * table of deps/module-names.ts vouches for (`cv2` → `opencv-python`, `tabulate` → `tabulate`;
 * only the top-level package counts). Otherwise the module's own name, marked unknown: callers
 * never suggest installing it on that ground alone.
 */
export function distributionForModule(module: string): MissingModule {
  const [vouched] = tableDistributions(module);
  return { module, distribution: vouched ?? canonicalizeName(topLevelModule(module)), known: vouched !== undefined };
}

export interface FixCommandsInput {
  /** The model argument as the user typed it (`-m`). */
  modelArg: string;
  /** The input argument as the user typed it (`-i`), `-` for stdin. */
  inputArg: string;
  /** Flags of the failed run worth repeating (`--env-manager uv`, `-t csv`, ...), already quoted. */
  extraArgs?: string[];
  /** A version to pin, when one is known. */
  version?: string;
  /**
   * The interpreter, when the run used `--env-manager local`: nothing is installed into it by
   * mlf (an override is refused there), so the first command installs into it directly.
   */
  localPython?: string;
}

/**
 * The commands to try, in order: predict once with the package added on top (the model stays
 * as it is), then record it in the model's requirements for good.
 */
export function missingModuleFixCommands(missing: MissingModule, input: FixCommandsInput): string[] {
  const requirement = input.version ? `${missing.distribution}==${input.version}` : missing.distribution;
  const extra = input.extraArgs && input.extraArgs.length > 0 ? ` ${input.extraArgs.join(' ')}` : '';
  const record = `mlf models update-pip-requirements -m ${shellQuote(input.modelArg)} add ${shellQuote(requirement)}`;
  if (input.localPython) return [`${shellQuote(input.localPython)} -m pip install ${shellQuote(requirement)}`, record];
  return [
    `mlf models predict -m ${shellQuote(input.modelArg)} -i ${shellQuote(input.inputArg)}${extra} --pip-requirements-override ${shellQuote(requirement)}`,
    record,
  ];
}

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * What to tell a user whose model failed with ModuleNotFoundError. A hint never misleads: it
 * names a distribution only when something vouches that it installs the module (a table, or
 * the files of the wheel the configured index serves under that name), never proposes adding a
 * requirement the model already lists, and otherwise says the module looks like local code
 * that was not saved with the model.
 */
export type MissingModuleAdvice =
  | {
      kind: 'install';
      module: string;
      distribution: string;
      /** `table`: mlf's tables know it; `index`: the index's wheel of that name installs the module. */
      source: 'table' | 'index';
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

export interface MissingModuleErrorContext {
  stage: 'load' | 'predict';
  /** Python's own words, e.g. `ModuleNotFoundError: No module named 'textfeat'`. */
  pythonMessage: string;
  /** The commands to suggest are built from the failed run; without it only the hint is given. */
  fix?: FixCommandsInput;
  manager?: string;
  /** The environment's directory, to name when it lacks a requirement it was built with. */
  envDir?: string;
}

/** The MISSING_MODULE error (exit 1) for an advice: the hint says what is wrong, the detail what to run. */
export function missingModuleError(advice: MissingModuleAdvice, ctx: MissingModuleErrorContext): MlfError {
  const { module } = advice;
  const top = topLevelModule(module);
  const lines: string[] = [];
  let hint: string;
  if (advice.kind === 'install') {
    const missing: MissingModule = { module, distribution: advice.distribution, known: true };
    const version = ctx.fix?.version ?? advice.version;
    hint =
      advice.source === 'table'
        ? `\`${module}\` is provided by the distribution \`${advice.distribution}\`, which is not installed in the model's environment`
        : `no table of mlf's knows \`${top}\`, but the index has a distribution \`${advice.distribution}\` whose files install it: make sure it is the package you mean before you install it (if \`${top}\` is your own code, re-save the model with it as a code path instead)`;
    if (ctx.fix) {
      lines.push('Try, in order:', ...missingModuleFixCommands(missing, { ...ctx.fix, ...(version ? { version } : {}) }).map((c) => `  ${c}`));
      lines.push(
        version
          ? `(${advice.distribution} ${version} is the version an install would pick today; pin the one you tested if it differs)`
          : `(no version pinned: mlf cannot tell which \`${advice.distribution}\` the model was built with; write \`${advice.distribution}==VERSION\` to pin the one you tested)`,
      );
    }
    if (advice.distribution === 'mlflow') lines.push('This model needs mlflow itself to load: add --install-mlflow to install it into the environment.');
  } else if (advice.kind === 'listed') {
    const where = advice.origin === '--pip-requirements-override' ? 'the override lists' : `the model lists \`${advice.requirement}\` (${advice.origin})`;
    const subject = advice.origin === '--pip-requirements-override' ? `${where} \`${advice.requirement}\`` : where;
    if (ctx.fix?.localPython) {
      const python = ctx.fix.localPython;
      hint = `${subject}, but the local interpreter \`${python}\` does not have it: \`--env-manager local\` installs nothing, so adding the requirement again would change nothing`;
      lines.push(
        'Try one of:',
        `  ${shellQuote(python)} -m pip install ${shellQuote(advice.requirement)}`,
        `  ${isolatedRunCommand(ctx.fix)}`,
      );
    } else {
      hint =
        `${subject} and the environment was built with it, yet \`${top}\` cannot be imported: ` +
        `\`${advice.distribution}\` may not install \`${top}\` at this version, or the environment${ctx.envDir ? ` (\`${ctx.envDir}\`)` : ''} is damaged`;
      lines.push(
        `Check which distribution installs \`${top}\`; if the environment is damaged, remove it${ctx.envDir ? ` (\`rm -rf ${shellQuote(ctx.envDir)}\`)` : ''} and run again to rebuild it.`,
      );
    }
  } else {
    hint =
      `no table of mlf's knows a distribution that installs \`${top}\`, ` +
      (advice.indexChecked ? `and the index has no package of that name that does` : `and the index could not be asked whether a package of that name installs it`) +
      `: \`${top}\` looks like local code that was not saved with the model (it is not in \`code/\`)`;
    lines.push(
      'Re-save the model with the module as a code path, so that MLflow copies it into code/:',
      `  MLflow: save_model(..., code_paths=["${top}.py"])   (or the package directory, code_paths=["${top}"])`,
      `  mlf:    mlf models package ... --code-path ${top}.py`,
      `If \`${top}\` is a published package, add the distribution that installs it by its real name: mlf models update-pip-requirements -m ${shellQuote(ctx.fix?.modelArg ?? 'MODEL')} add NAME==VERSION`,
    );
  }
  return modelError('MISSING_MODULE', `the model ${ctx.stage === 'load' ? 'could not be loaded' : 'failed while predicting'}: ${ctx.pythonMessage}`, {
    hint,
    data: {
      module,
      advice: advice.kind,
      ...(advice.kind !== 'local-code' ? { distribution: advice.distribution } : {}),
      known: advice.kind === 'install' && advice.source === 'table',
      pythonMessage: ctx.pythonMessage,
      stage: ctx.stage,
    },
    ...(lines.length > 0 ? { detail: lines.join('\n') } : {}),
  });
}

/** The failed run again with an isolated environment manager instead of `local`. */
function isolatedRunCommand(fix: FixCommandsInput): string {
  const extra: string[] = [];
  const args = fix.extraArgs ?? [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--env-manager') {
      i += 1;
      continue;
    }
    extra.push(arg);
  }
  return `mlf models predict -m ${shellQuote(fix.modelArg)} -i ${shellQuote(fix.inputArg)}${extra.length > 0 ? ` ${extra.join(' ')}` : ''} --env-manager uv`;
}
