import { addFlags } from '../flag-table.js';
import { COMMON_FLAGS } from '../options.js';
import { MODEL_URI, OFFLINE } from '../predict-flags.js';
import { createProgressRenderer } from '../progress.js';
import { printJson, say } from '../render.js';
import { modelSourceOptions } from './prepare-env.js';
import type { RegisterCommand } from './index.js';

interface DownloadFlags {
  modelUri: string;
  outputPath: string;
  offline?: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** `mlf models download -m URI -o DIR`: the model written into a directory (MLflow's `mlflow artifacts download`). */
export const registerDownload: RegisterCommand = ({ models }, ctx) => {
  const command = models.command('download').description('Write a model (a model URI or a directory) into a new directory, through the model cache.');
  addFlags(command, [
    MODEL_URI,
    { spellings: ['-o', '--output-path'], argument: 'DIR', description: 'the directory to write the model into (new, or empty)', required: true, decidesWorker: false },
    OFFLINE,
    ...COMMON_FLAGS,
  ]).action(async (flags: DownloadFlags) => {
    const { downloadModel } = await import('../../ops/download.js');
    const progress = createProgressRenderer(ctx, flags);
    let result;
    try {
      result = await downloadModel({ modelUri: flags.modelUri, outputPath: flags.outputPath, cwd: ctx.cwd, env: ctx.env, ...modelSourceOptions(flags, ctx), onModelEvent: progress.onModelEvent });
    } finally {
      progress.stop();
    }
    if (flags.json) {
      printJson(ctx, { ok: true, ...result });
      return;
    }
    if (!flags.quiet) say(ctx, `wrote ${flags.modelUri} to ${result.outputPath}`);
    ctx.stdout.write(`${result.outputPath}\n`);
  });
};
