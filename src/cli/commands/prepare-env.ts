import os from 'node:os';
import type { Command } from 'commander';
import { ENV } from '../../config/env-vars.js';
// Light modules only: importing env/index.js here would load the whole engine at start-up.
import { parseEnvManagerName, parsePythonVersionStrategy } from '../../env/types.js';
import type { ModelSourceOptions } from '../../ops/model-source.js';
import type { ModelEnvOptions } from '../../ops/prepare-env.js';
import { splitOverride } from '../../env/install-plan.js';
import type { CliContext } from '../context.js';
import { addFlags } from '../flag-table.js';
import { addCommonOptions } from '../options.js';
import { ENVIRONMENT_FLAGS } from '../predict-flags.js';
import { createProgressRenderer } from '../progress.js';
import { printJson, say } from '../render.js';
import type { RegisterCommand } from './index.js';

export interface PrepareEnvFlags {
  modelUri: string;
  offline?: boolean;
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
    modelSource: modelSourceOptions(flags, ctx),
    ...(flags.envManager !== undefined ? { manager: parseEnvManagerName(flags.envManager) } : {}),
    pipRequirementsOverride: splitOverride(flags.pipRequirementsOverride ?? []),
    installMlflow: Boolean(flags.installMlflow),
    ...(flags.pythonVersionStrategy !== undefined ? { pythonVersionStrategy: parsePythonVersionStrategy(flags.pythonVersionStrategy) } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
    verbose: Boolean(flags.verbose),
  };
}

/** How a remote model URI is fetched: `--offline`, and the home whose `~/.mlflow/credentials` MLflow reads. */
export function modelSourceOptions(flags: { offline?: boolean }, ctx: CliContext): ModelSourceOptions {
  return { offline: Boolean(flags.offline), home: ctx.env[ENV.HOME] || os.homedir() };
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
      const request = environmentRequest(flags, ctx);
      prepared = await prepareEnv({ ...request, modelSource: { ...request.modelSource, onModelEvent: progress.onModelEvent }, onProgress: progress.onProgress });
    } finally {
      progress.stop();
    }
    if (flags.json) {
      // The worker's cache paths are predict's business, not part of this command's answer.
      const { caches: _caches, ...shown } = prepared;
      printJson(ctx, { ok: true, ...shown });
      return;
    }
    // Warnings were shown as they happened; the path is the data a script wants.
    if (!flags.quiet) say(ctx, prepared.built ? `environment ready: ${prepared.envDir}` : `environment already built: ${prepared.envDir}`);
    ctx.stdout.write(`${prepared.envDir}\n`);
  });
};
