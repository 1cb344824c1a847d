import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerPrepareEnv } from './prepare-env.js';
import { registerPredict } from './predict.js';
import { registerBatchPredict } from './batch-predict.js';
import { registerEnvs } from './envs.js';
import { registerUpdatePipRequirements } from './update-pip-requirements.js';
import { registerValidate } from './validate.js';
import { registerPackage } from './package.js';
import { registerServe } from './serve.js';
import { registerDownload } from './download.js';
import { registerLog } from './log.js';
import { registerDocker } from './docker.js';
import { registerK8s } from './k8s.js';

export interface CommandGroups {
  program: Command;
  models: Command;
  envs: Command;
}

export type RegisterCommand = (groups: CommandGroups, ctx: CliContext) => void;

/** Every command module, in the order `--help` lists them. */
export const commandModules: RegisterCommand[] = [registerPredict, registerBatchPredict, registerServe, registerUpdatePipRequirements, registerPrepareEnv, registerValidate, registerPackage, registerDocker, registerK8s, registerDownload, registerLog, registerEnvs];
