import path from 'node:path';
import { runTool } from '../exec.js';
import type { InterpreterInfo } from '../python-discovery.js';
import { installPlan } from './pip-steps.js';
import { outputForwarder, type BuildContext, type EnvironmentBuilder } from './types.js';

/**
 * `uv venv --python <exact interpreter>` then `uv pip install` (mlflow-format.md §7.2). The
 * interpreter is passed as a path, not a version, so uv never downloads one behind our back:
 * discovery already chose it and it is part of the cache key.
 */
export function uvBuilder(uvPath: string, python: InterpreterInfo): EnvironmentBuilder {
  return {
    name: 'uv',
    pythonPath: (envDir) => path.join(envDir, 'bin', 'python'),
    async build(ctx: BuildContext) {
      ctx.emit({ kind: 'creating', manager: 'uv', envDir: ctx.envDir });
      await runTool('uv', uvPath, ['venv', ctx.envDir, '--python', python.path, '--no-project'], {
        cwd: ctx.modelDir,
        env: ctx.childEnv,
        timeoutMs: ctx.timeoutMs,
        onLine: outputForwarder(ctx),
      });
      await installPlan(ctx, { tool: 'uv', file: uvPath, prefix: ['pip', 'install', '--python', path.join(ctx.envDir, 'bin', 'python')] });
    },
  };
}
