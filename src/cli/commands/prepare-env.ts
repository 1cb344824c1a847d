import type { Command } from 'commander';
// Light modules only: importing env/index.js here would load the whole engine at start-up.
import { parseEnvManagerName, parsePythonVersionStrategy } from '../../env/types.js';
import type { ModelEnvOptions } from '../../ops/prepare-env.js';
import { splitOverride } from '../../env/install-plan.js';
import type { CliContext } from '../context.js';
import { addFlags } from '../flag-table.js';
import { addCommonOptions } from '../options.js';
import { ENVIRONMENT_FLAGS } from '../predict-flags.js';
import { createProgressRenderer } from '../progress.js';
import { printJson, say } from '../render.js';
import type { RegisterCommand } from './index.js';

interface PrepareEnvFlags {
  modelUri: string;
  envManager?: string;
  installMlflow?: boolean;
  pipRequirementsOverride: string[];
  pythonVersionStrategy?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** The options shared by the commands that build an environment (prepare-env, envs path, predict). */
export function addEnvironmentOptions(command: Command): Command {
  return addFlags(command, ENVIRONMENT_FLAGS);
}

/** Turns the shared flags into the engine's request. */
export function environmentRequest(flags: Omit<PrepareEnvFlags, 'json' | 'quiet'>, ctx: CliContext): Omit<ModelEnvOptions, 'onProgress'> {
  return {
    modelUri: flags.modelUri,
    ...(flags.envManager !== undefined ? { manager: parseEnvManagerName(flags.envManager) } : {}),
    pipRequirementsOverride: splitOverride(flags.pipRequirementsOverride ?? []),
    installMlflow: Boolean(flags.installMlflow),
    ...(flags.pythonVersionStrategy !== undefined ? { pythonVersionStrategy: parsePythonVersionStrategy(flags.pythonVersionStrategy) } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
    verbose: Boolean(flags.verbose),
  };
}

export const registerPrepareEnv: RegisterCommand = ({ models }, ctx) => {
  const command = models
    .command('prepare-env')
    .description('Build (or find already built) the Python environment a model runs in, and nothing else.');
  addCommonOptions(addEnvironmentOptions(command)).action(async (flags: PrepareEnvFlags) => {
    const { prepareEnv } = await import('../../ops/prepare-env.js');
    const progress = createProgressRenderer(ctx, flags);
    let prepared;
    try {
      prepared = await prepareEnv({ ...environmentRequest(flags, ctx), onProgress: progress.onProgress });
    } finally {
      progress.stop();
    }
    if (flags.json) {
      printJson(ctx, { ok: true, ...prepared });
      return;
    }
    // Warnings were shown as they happened; the path is the data a script wants.
    if (!flags.quiet) say(ctx, prepared.built ? `environment ready: ${prepared.envDir}` : `environment already built: ${prepared.envDir}`);
    ctx.stdout.write(`${prepared.envDir}\n`);
  });
};
