import type { CliContext } from '../context.js';
import { addCommonOptions } from '../options.js';
import { bold, dim, green, printJson, red, say, warn } from '../render.js';
import type { RegisterCommand } from './index.js';
import type { UpdatePipRequirementsResult } from '../../ops/update-pip-requirements.js';

interface UpdateFlags {
  modelUri: string;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

export const registerUpdatePipRequirements: RegisterCommand = ({ models }, ctx) => {
  const command = models
    .command('update-pip-requirements')
    .description(
      "Add or remove pip requirements of an existing model in place: requirements.txt and conda.yaml's pip list change together; nothing else is touched.",
    )
    .argument('<operation>', '`add` (replaces a requirement of the same package in place, appends new ones) or `remove` (by name)')
    .argument('<requirements...>', 'PEP 508 requirements, e.g. `pandas==2.2.3` `"scikit-learn>=1.5,<2"`')
    .requiredOption('-m, --model-uri <MODEL>', 'the model directory (a path or a file:// URI)')
    .option('--dry-run', 'show the diff, write nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  mlf models update-pip-requirements -m ./model add "opencv-python==4.8.0"\n  mlf models update-pip-requirements -m ./model remove pandas --dry-run',
    );
  addCommonOptions(command).action(async (operation: string, requirements: string[], flags: UpdateFlags) => {
    const { updatePipRequirements } = await import('../../ops/update-pip-requirements.js');
    const result = await updatePipRequirements({
      modelUri: flags.modelUri,
      operation: operation as 'add' | 'remove',
      requirements,
      dryRun: Boolean(flags.dryRun),
      cwd: ctx.cwd,
    });
    render(ctx, result, flags);
  });
};

function render(ctx: CliContext, result: UpdatePipRequirementsResult, flags: UpdateFlags): void {
  if (flags.json) {
    printJson(ctx, {
      ok: true,
      model: result.modelDir,
      operation: result.operation,
      dryRun: result.dryRun,
      changed: result.changed,
      files: result.files.map(({ file, changed, changes, diff }) => ({ file, changed, changes, diff })),
      warnings: result.warnings,
      recovery: result.recovery,
    });
    return;
  }
  for (const warning of result.warnings) if (!flags.quiet) warn(ctx, warning);
  // The diff is the command's output, so it goes to stdout (like `git diff`); the summary is human text.
  for (const file of result.files) if (file.changed) ctx.stdout.write(colorDiff(ctx, file.diff));
  if (flags.quiet) return;
  if (!result.changed) {
    say(ctx, 'Nothing to change: the requirements already say that.');
    return;
  }
  const verb = result.dryRun ? 'Would update' : 'Updated';
  const names = result.files.filter((f) => f.changed).map((f) => f.file);
  say(ctx, `${bold(ctx, verb)} ${names.join(' and ')} in ${result.modelDir}${result.dryRun ? dim(ctx, ' (dry run: nothing written)') : ''}`);
}

function colorDiff(ctx: CliContext, diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+') && !line.startsWith('+++')) return green(ctx, line);
      if (line.startsWith('-') && !line.startsWith('---')) return red(ctx, line);
      return line;
    })
    .join('\n');
}
