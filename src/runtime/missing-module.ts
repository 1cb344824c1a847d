import { canonicalizeName } from '../deps/pep508.js';
import { topLevelModule, usualDistribution } from '../deps/module-names.js';
export interface MissingModule {
  /** The module as Python named it, e.g. `cv2` or `sklearn.ensemble`. */
  module: string;
  /** The distribution that most likely provides it, e.g. `opencv-python`. */
  distribution: string;
  /** False when the table had no entry and the distribution is the module's own name (a guess). */
  known: boolean;
}

/**
 * From a module Python could not import to the distribution a user should install: the
 * well-known one when the names differ (`cv2` → `opencv-python`; only the top-level package
 * counts), else the module's own name, which most distributions use (`tabulate`), marked a guess.
 */
export function distributionForModule(module: string): MissingModule {
  const usual = usualDistribution(module);
  return { module, distribution: usual ?? canonicalizeName(topLevelModule(module)), known: usual !== undefined };
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
