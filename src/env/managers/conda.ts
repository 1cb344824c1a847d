import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, isMap, isSeq, isScalar } from 'yaml';
import { ENV } from '../../config/env-vars.js';
import { environmentError } from '../../errors.js';
import { runTool } from '../exec.js';
import { requirementNameOf } from '../install-plan.js';
import { canonicalizeName, parseRequirement } from '../../deps/pep508.js';
import { findExecutable, isExecutableFile } from '../which.js';
import { announce, outputForwarder, type BuildContext, type EnvironmentBuilder } from './types.js';

/**
 * conda, mamba or micromamba: `env create` from the model's conda.yaml into the cache entry
 * (`--prefix`, not a named env, so the cache owns it), then the override through the same
 * tool's `install` (MLflow's pyfunc backend, with `==` written as conda's `=`).
 */
export type CondaFlavor = 'conda' | 'mamba' | 'micromamba';

export interface CondaTool {
  flavor: CondaFlavor;
  path: string;
}

const SEARCH_ORDER: CondaFlavor[] = ['conda', 'mamba', 'micromamba'];

/**
 * The tool to use: `MLFLOW_CONDA_CREATE_ENV_CMD` when set (as MLflow honours it), else the
 * first of conda, mamba, micromamba; looked for in `$MLFLOW_CONDA_HOME/bin` when that is set,
 * else on PATH.
 */
export function findCondaTool(env: Record<string, string | undefined>): CondaTool {
  const condaHome = env[ENV.MLFLOW_CONDA_HOME];
  const wanted = env[ENV.MLFLOW_CONDA_CREATE_ENV_CMD]?.trim();
  const names = wanted ? [wanted] : SEARCH_ORDER;
  for (const name of names) {
    const found = condaHome
      ? isExecutableFile(path.join(condaHome, 'bin', name))
        ? path.join(condaHome, 'bin', name)
        : undefined
      : findExecutable(name, env);
    if (found) return { flavor: flavorOf(name), path: found };
  }
  const where = condaHome ? `in \`${path.join(condaHome, 'bin')}\` (MLFLOW_CONDA_HOME)` : 'on PATH';
  const what = wanted ? `\`${wanted}\` (MLFLOW_CONDA_CREATE_ENV_CMD)` : 'conda, mamba or micromamba';
  throw environmentError('CONDA_NOT_FOUND', `--env-manager conda needs ${what}, and none was found ${where}`, {
    hint: 'install Miniforge (https://conda-forge.org/download/) or micromamba, set MLFLOW_CONDA_HOME, or use `--env-manager uv`',
  });
}

function flavorOf(name: string): CondaFlavor {
  const base = path.basename(name);
  return base === 'micromamba' ? 'micromamba' : base === 'mamba' ? 'mamba' : 'conda';
}

/** The command line that creates the environment. */
export function condaCreateArgs(tool: CondaTool, envDir: string, condaFile: string): string[] {
  return tool.flavor === 'micromamba'
    ? ['create', '--yes', '--prefix', envDir, '--file', condaFile]
    : ['env', 'create', '--prefix', envDir, '--file', condaFile];
}

/** The command line that installs the override: conda pins use a single `=`. */
export function condaInstallArgs(tool: CondaTool, envDir: string, requirements: string[]): string[] {
  return ['install', '--yes', '--prefix', envDir, ...requirements.map((r) => r.replace('==', '='))];
}

export function condaBuilder(tool: CondaTool, condaText: string): EnvironmentBuilder {
  return {
    name: 'conda',
    pythonPath: (envDir) => path.join(envDir, 'bin', 'python'),
    async build(ctx: BuildContext) {
      ctx.emit({ kind: 'creating', manager: 'conda', envDir: ctx.envDir });
      const condaFile = await materializeCondaDir(ctx, condaText);
      const run = (args: string[]) =>
        runTool(tool.flavor, tool.path, args, { cwd: path.dirname(condaFile), env: ctx.childEnv, timeoutMs: ctx.timeoutMs, onLine: outputForwarder(ctx) });
      announce(ctx, 'requirements', ctx.plan.requirementLines.map((l) => l.text));
      await run(condaCreateArgs(tool, ctx.envDir, condaFile));
      if (ctx.plan.override.length > 0) {
        announce(ctx, 'override', ctx.plan.override);
        await run(condaInstallArgs(tool, ctx.envDir, ctx.plan.override));
      }
      if (ctx.plan.mlflowRequirement) {
        announce(ctx, 'mlflow', [ctx.plan.mlflowRequirement]);
        const python = path.join(ctx.envDir, 'bin', 'python');
        const spec = ctx.plan.mlflowRequirement;
        await runTool('pip', python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...(spec.startsWith('-e ') ? ['-e', spec.slice(3)] : [spec])], {
          cwd: ctx.modelDir,
          env: ctx.childEnv,
          timeoutMs: ctx.timeoutMs,
          onLine: outputForwarder(ctx),
        });
      }
    },
  };
}

/**
 * conda writes its pip requirements file next to the environment file and runs pip there,
 * so the file is given from a scratch directory that links every entry of the model directory
 * (`-c constraints.txt` still resolves, as in MLflow's virtualenv flow) and the model
 * directory is never written to. Pip entries the override names are dropped from that copy.
 */
async function materializeCondaDir(ctx: BuildContext, condaText: string): Promise<string> {
  const dir = path.join(ctx.inputs.dir, 'conda');
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(ctx.modelDir)) {
    if (entry === 'conda.yaml') continue;
    const target = path.join(ctx.modelDir, entry);
    try {
      await symlink(target, path.join(dir, entry));
    } catch {
      await copyFile(target, path.join(dir, entry)).catch(() => undefined);
    }
  }
  const file = path.join(dir, 'conda.yaml');
  await writeFile(file, withoutOverridden(condaText, ctx.plan.override));
  return file;
}

/** conda.yaml's text with the pip entries named by the override removed (unchanged when none is). */
export function withoutOverridden(condaText: string, override: string[]): string {
  const names = new Set(
    override.flatMap((o) => {
      try {
        return [canonicalizeName(parseRequirement(o).name)];
      } catch {
        return [];
      }
    }),
  );
  if (names.size === 0) return condaText;
  const doc = parseDocument(condaText);
  const deps = doc.get('dependencies');
  if (!isSeq(deps)) return condaText;
  let changed = false;
  for (const item of deps.items) {
    if (!isMap(item)) continue;
    const pip = item.get('pip');
    if (!isSeq(pip)) continue;
    const before = pip.items.length;
    pip.items = pip.items.filter((entry) => {
      const text = isScalar(entry) ? String(entry.value) : undefined;
      const name = text === undefined ? undefined : requirementNameOf(text);
      return name === undefined || !names.has(name);
    });
    changed ||= pip.items.length !== before;
  }
  return changed ? doc.toString() : condaText;
}
