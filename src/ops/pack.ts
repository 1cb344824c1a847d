/**
 * `mlf envs pack`: the model's environment, prepared (built or reused) exactly as predict prepares
 * it, written as a relocatable archive with mlf's worker inside (env/pack/). What Spark's
 * `--archives` and MLServer's `environment_tarball` take.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import type { EnvRequest } from '../env/index.js';
import { packEnvironment } from '../env/pack/pack-environment.js';
import type { PackManifest } from '../env/pack/manifest.js';
import { workerFiles } from '../worker/files.js';
import { prepareModelRun, readModelToRun } from './model-run.js';
import type { ModelSourceOptions } from './model-source.js';

export type { PackManifest } from '../env/pack/manifest.js';

export interface PackOptions extends Omit<EnvRequest, 'model'> {
  /** A path, a `file://` URI or a remote model URI (ops/model-source.ts). */
  modelUri: string;
  modelSource?: ModelSourceOptions;
  /** The archive to write (resolved against `cwd`); its directory must exist. Replaced atomically. */
  output: string;
}

export interface PackResult {
  /** The archive's absolute path. */
  archive: string;
  sizeBytes: number;
  manifest: PackManifest;
  environment: { manager: string; envDir: string; key: string; built: boolean };
}

export async function packModelEnvironment(options: PackOptions): Promise<PackResult> {
  if (options.manager === 'local' || options.manager === 'conda') {
    throw usageError('PACK_MANAGER', `\`mlf envs pack\` packs the virtual environments of uv and virtualenv, not --env-manager ${options.manager}`, {
      hint: 'use `--env-manager uv` or `--env-manager virtualenv`',
    });
  }
  const archive = await checkOutput(options.output, options.cwd);
  const model = await readModelToRun(options.modelUri, { cwd: options.cwd, env: options.env, ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}), ...options.modelSource });
  const { modelUri, modelSource: _source, output: _output, ...envRequest } = options;
  const run = await prepareModelRun(model, modelUri, envRequest, undefined);
  try {
    const { environment } = run;
    const { launcher, packageDir } = workerFiles();
    const packed = await packEnvironment({
      environment,
      worker: { launcher, packageDir },
      output: archive,
      extraRequirements: options.extraRequirements ?? [],
      env: options.env,
      cwd: options.cwd,
    });
    return { ...packed, environment: { manager: environment.manager, envDir: environment.envDir, key: environment.key, built: environment.built } };
  } finally {
    await run.release();
  }
}

/** `-o`: a file in an existing directory (checked before anything slow, exit 2). */
async function checkOutput(output: string, cwd: string): Promise<string> {
  const archive = path.resolve(cwd, output);
  const existing = await stat(archive).catch(() => undefined);
  if (existing?.isDirectory()) throw usageError('PACK_OUTPUT', `\`${output}\` is a directory; give the archive's file name, e.g. \`${path.join(output, 'env.tar.gz')}\``);
  const parent = await stat(path.dirname(archive)).catch(() => undefined);
  if (!parent?.isDirectory()) throw usageError('PACK_OUTPUT', `the directory of \`${output}\` does not exist`);
  return archive;
}
