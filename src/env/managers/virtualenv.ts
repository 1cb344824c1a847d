import path from 'node:path';
import { runTool } from '../exec.js';
import type { InterpreterInfo } from '../python-discovery.js';
import { findExecutable } from '../which.js';
import { installPlan } from './pip-steps.js';
import { outputForwarder, type BuildContext, type EnvironmentBuilder } from './types.js';

/**
 * virtualenv where installed (the `virtualenv` command, or the interpreter's own module),
 * otherwise the standard library's venv; then the environment's pip (mlflow-format.md §7.1).
 */
export function virtualenvBuilder(python: InterpreterInfo, env: Record<string, string | undefined>): EnvironmentBuilder {
  return {
    name: 'virtualenv',
    pythonPath: (envDir) => path.join(envDir, 'bin', 'python'),
    async build(ctx: BuildContext) {
      ctx.emit({ kind: 'creating', manager: 'virtualenv', envDir: ctx.envDir });
      const creator = await chooseCreator(python, env, ctx);
      if (creator.kind === 'venv') {
        ctx.emit({ kind: 'warning', message: `virtualenv was not found; creating the environment with the standard library's venv (\`${python.path} -m venv\`)` });
      }
      await runTool(creator.tool, creator.file, creator.args(ctx.envDir), {
        cwd: ctx.modelDir,
        env: ctx.childEnv,
        timeoutMs: ctx.timeoutMs,
        onLine: outputForwarder(ctx),
      });
      const envPython = path.join(ctx.envDir, 'bin', 'python');
      await installPlan(ctx, { tool: 'pip', file: envPython, prefix: ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'] });
    },
  };
}

interface Creator {
  kind: 'virtualenv' | 'venv';
  tool: string;
  file: string;
  args: (envDir: string) => string[];
}

async function chooseCreator(python: InterpreterInfo, env: Record<string, string | undefined>, ctx: BuildContext): Promise<Creator> {
  const binary = findExecutable('virtualenv', env);
  if (binary && (await runs(binary, ['--version'], ctx))) {
    return { kind: 'virtualenv', tool: 'virtualenv', file: binary, args: (dir) => ['--python', python.path, dir] };
  }
  if (await runs(python.path, ['-m', 'virtualenv', '--version'], ctx)) {
    return { kind: 'virtualenv', tool: 'virtualenv', file: python.path, args: (dir) => ['-m', 'virtualenv', '--python', python.path, dir] };
  }
  return { kind: 'venv', tool: 'venv', file: python.path, args: (dir) => ['-m', 'venv', dir] };
}

async function runs(file: string, args: string[], ctx: BuildContext): Promise<boolean> {
  try {
    await runTool('virtualenv', file, args, { cwd: ctx.modelDir, env: ctx.childEnv, timeoutMs: 60_000 });
    return true;
  } catch {
    return false;
  }
}
