import { packageLines } from '../install-plan.js';
import { runTool } from '../exec.js';
import { announce, outputForwarder, type BuildContext } from './types.js';

/**
 * The install steps shared by uv and virtualenv: the same plan, run by `uv pip install` or
 * `python -m pip install`. `installer` gives the executable and the arguments before the
 * package arguments (e.g. `uv pip install --python <env python>`).
 */
export interface Installer {
  tool: string;
  file: string;
  prefix: string[];
}

export async function installPlan(ctx: BuildContext, installer: Installer): Promise<void> {
  const run = (args: string[]) =>
    runTool(installer.tool, installer.file, [...installer.prefix, ...args], {
      cwd: ctx.modelDir,
      env: ctx.childEnv,
      timeoutMs: ctx.timeoutMs,
      onLine: outputForwarder(ctx),
    });
  const { plan, inputs } = ctx;
  if (plan.buildDependencies.length > 0) {
    announce(ctx, 'build dependencies', plan.buildDependencies);
    await run(plan.buildDependencies);
  }
  if (inputs.requirementsFile || plan.extraRequirements.length > 0) {
    // One resolve for the model's requirements and the extra ones, so that neither moves the other's pins.
    announce(ctx, 'requirements', [...packageLines(plan.requirementLines), ...plan.extraRequirements]);
    await run([
      ...(inputs.requirementsFile ? ['-r', inputs.requirementsFile] : []),
      ...(inputs.constraintsFile ? ['-c', inputs.constraintsFile] : []),
      ...plan.extraRequirements,
    ]);
  }
  if (plan.override.length > 0) {
    announce(ctx, 'override', plan.override);
    await run(plan.override);
  }
  if (plan.mlflowRequirement) {
    announce(ctx, 'mlflow', [plan.mlflowRequirement]);
    await run(plan.mlflowRequirement.startsWith('-e ') ? ['-e', plan.mlflowRequirement.slice(3)] : [plan.mlflowRequirement]);
  }
}
