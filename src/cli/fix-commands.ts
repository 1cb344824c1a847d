/**
 * The `mlf ...` commands a failed predict suggests, built in one place from the failure's data
 * (ops/missing-module-advice.ts) and the run to repeat: the model and input as the user typed
 * them, and the flags of the run worth repeating (`-t csv`, `--env-manager uv`, overrides), as
 * the flag table hands them over, already quoted.
 */
import { topLevelModule } from '../deps/module-names.js';
import { MlfError } from '../errors.js';
import type { MissingModuleAdvice, MissingModuleEnvironment, MissingModuleError } from '../ops/missing-module-advice.js';

/** The failed run, as the commands repeat it. */
export interface FixRun {
  /** The model argument as the user typed it (`-m`). */
  modelArg: string;
  /** The input argument as the user typed it (`-i`), `-` for stdin. */
  inputArg: string;
  /** Flags of the failed run worth repeating, already quoted. */
  repeatArgs: readonly string[];
}

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commands to try, in order: predict once with the package added on top (the model stays
 * as it is), then record it in the model's requirements for good. With `--env-manager local`
 * nothing is installed into the interpreter by mlf (an override is refused there), so the first
 * command installs into it directly.
 */
export function missingModuleFixCommands(install: { distribution: string; version?: string; localPython?: string }, run: FixRun): string[] {
  const requirement = install.version ? `${install.distribution}==${install.version}` : install.distribution;
  const record = `mlf models update-pip-requirements -m ${shellQuote(run.modelArg)} add ${shellQuote(requirement)}`;
  if (install.localPython) return [`${shellQuote(install.localPython)} -m pip install ${shellQuote(requirement)}`, record];
  return [`${predictCommand(run, run.repeatArgs)} --pip-requirements-override ${shellQuote(requirement)}`, record];
}

/** The lines under a MISSING_MODULE error: what to run (or do), for its advice. */
export function missingModuleFixLines(advice: MissingModuleAdvice, environment: MissingModuleEnvironment, run: FixRun): string[] {
  const lines: string[] = [];
  if (advice.kind === 'install') {
    const { distribution, version } = advice;
    lines.push(
      'Try, in order:',
      ...missingModuleFixCommands({ distribution, ...(version ? { version } : {}), ...(environment.localPython ? { localPython: environment.localPython } : {}) }, run).map((c) => `  ${c}`),
      version
        ? `(${distribution} ${version} is the version an install would pick today; pin the one you tested if it differs)`
        : `(no version pinned: mlf cannot tell which \`${distribution}\` the model was built with; write \`${distribution}==VERSION\` to pin the one you tested)`,
    );
    if (distribution === 'mlflow') lines.push('This model needs mlflow itself to load: add --install-mlflow to install it into the environment.');
  } else if (advice.kind === 'listed') {
    if (environment.localPython) {
      lines.push('Try one of:', `  ${shellQuote(environment.localPython)} -m pip install ${shellQuote(advice.requirement)}`, `  ${isolatedRunCommand(run)}`);
    } else {
      const top = topLevelModule(advice.module);
      const { envDir } = environment;
      lines.push(`Check which distribution installs \`${top}\`; if the environment is damaged, remove it${envDir ? ` (\`rm -rf ${shellQuote(envDir)}\`)` : ''} and run again to rebuild it.`);
    }
  } else {
    const top = topLevelModule(advice.module);
    lines.push(
      'Re-save the model with the module as a code path, so that MLflow copies it into code/:',
      `  MLflow: save_model(..., code_paths=["${top}.py"])   (or the package directory, code_paths=["${top}"])`,
      `  mlf:    mlf models package ... --code-path ${top}.py`,
      `If \`${top}\` is a published package, add the distribution that installs it by its real name: mlf models update-pip-requirements -m ${shellQuote(run.modelArg)} add NAME==VERSION`,
    );
  }
  return lines;
}

/** `error` with the fix commands under it when it is a MISSING_MODULE with advice; otherwise `error` itself. */
export function withFixCommands(error: unknown, run: FixRun): unknown {
  if (!isMissingModuleError(error)) return error;
  const lines = missingModuleFixLines(error.advice, error.environment, run);
  const { file, line, column, field } = error.location;
  return new MlfError(error.category, error.code, error.message, {
    ...(file !== undefined ? { file } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(column !== undefined ? { column } : {}),
    ...(field !== undefined ? { field } : {}),
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    ...(error.data !== undefined ? { data: error.data } : {}),
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
    ...(lines.length > 0 ? { detail: lines.join('\n') } : {}),
  });
}

/** Known by its data rather than by class, so that the CLI need not load ops/ to render. */
function isMissingModuleError(error: unknown): error is MissingModuleError {
  return error instanceof MlfError && error.code === 'MISSING_MODULE' && 'advice' in error && 'environment' in error;
}

function predictCommand(run: FixRun, args: readonly string[]): string {
  return `mlf models predict -m ${shellQuote(run.modelArg)} -i ${shellQuote(run.inputArg)}${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
}

/** The failed run again with an isolated environment manager instead of `local`. */
function isolatedRunCommand(run: FixRun): string {
  const args: string[] = [];
  for (let i = 0; i < run.repeatArgs.length; i += 1) {
    const arg = run.repeatArgs[i]!;
    if (arg === '--env-manager') {
      i += 1;
      continue;
    }
    args.push(arg);
  }
  return `${predictCommand(run, args)} --env-manager uv`;
}
