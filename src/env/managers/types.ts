import type { InterpreterInfo } from '../python-discovery.js';
import type { InstallPlan, MaterializedInputs } from '../install-plan.js';
import type { EnvManagerName, InstallStep, ProgressEventInput } from '../types.js';

/** Everything a manager needs to build one environment in place at `envDir`. */
export interface BuildContext {
  envDir: string;
  modelDir: string;
  plan: InstallPlan;
  inputs: MaterializedInputs;
  /** The installers' environment: the caller's, plus the user's extra vars and pip's non-interactive settings. */
  childEnv: Record<string, string | undefined>;
  timeoutMs: number;
  verbose: boolean;
  emit: (event: ProgressEventInput) => void;
}

export interface EnvironmentBuilder {
  readonly name: Exclude<EnvManagerName, 'local'>;
  /** Creates the environment and installs the plan into it. Throws ToolError when a tool fails. */
  build(ctx: BuildContext): Promise<void>;
  /** The interpreter of an environment built at `envDir`. */
  pythonPath(envDir: string): string;
}

/** The interpreter an environment is created from (uv, virtualenv). */
export interface WithInterpreter {
  python: InterpreterInfo;
}

export function announce(ctx: BuildContext, step: InstallStep, packages: string[]): void {
  ctx.emit({ kind: 'installing', step, count: packages.length, packages });
}

/** Forwards installer output as `output` events under --verbose. */
export function outputForwarder(ctx: BuildContext): ((line: string) => void) | undefined {
  return ctx.verbose ? (line) => ctx.emit({ kind: 'output', line }) : undefined;
}
