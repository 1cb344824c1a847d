import os from 'node:os';
import { BATCH_ENGINES, type BatchEngineName } from '../../batch/engine.js';
import { BATCH_FORMATS, RUNTIME_CHOICES, type BatchFormat, type RuntimeChoice, type WorkerLog } from '../../worker/protocol.js';
import { BATCH_ENGINE, BATCH_FORMAT, BATCH_PARTITIONS, BATCH_PREDICT_COMMAND, BATCH_PREDICT_FLAGS, BATCH_ROWS, BATCH_WORKERS } from '../batch-flags.js';
import { addFlags, longSpelling } from '../flag-table.js';
import { RUNTIME } from '../predict-flags.js';
import { createBatchProgressRenderer, createProgressRenderer } from '../progress.js';
import { dim, printJson, say, warn } from '../render.js';
import { environmentRequest } from './prepare-env.js';
import { parseChoice, parseEnvPairs } from './predict.js';
import { wholeNumber } from './serve.js';
import type { RegisterCommand } from './index.js';

interface BatchPredictFlags {
  modelUri: string;
  inputPath: string;
  outputPath: string;
  format?: string;
  engine: string;
  master?: string;
  partitions?: string;
  columns: string[];
  resultColumn: string;
  workers?: string;
  batchRows: string;
  envManager?: string;
  installMlflow?: boolean;
  pipRequirementsOverride: string[];
  pythonVersionStrategy?: string;
  offline?: boolean;
  env: string[];
  runtime: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

export const registerBatchPredict: RegisterCommand = ({ models }, ctx) => {
  const command = models.command('batch-predict').description(BATCH_PREDICT_COMMAND.description);
  addFlags(command, BATCH_PREDICT_FLAGS).action(async (flags: BatchPredictFlags) => {
    const { batchPredict } = await import('../../ops/batch-predict.js');
    const engine = parseChoice<BatchEngineName>(flags.engine, BATCH_ENGINES, longSpelling(BATCH_ENGINE));
    const format = flags.format === undefined ? undefined : parseChoice<BatchFormat>(flags.format, BATCH_FORMATS, longSpelling(BATCH_FORMAT));
    const runtime = parseChoice<RuntimeChoice>(flags.runtime, RUNTIME_CHOICES, longSpelling(RUNTIME));
    const partitions = flags.partitions === undefined ? undefined : wholeNumber(flags.partitions, longSpelling(BATCH_PARTITIONS), 1, 1_000_000);
    const workers = flags.workers === undefined ? Math.max(1, os.availableParallelism()) : wholeNumber(flags.workers, longSpelling(BATCH_WORKERS), 1, 1_024);
    const batchRows = wholeNumber(flags.batchRows, longSpelling(BATCH_ROWS), 1, 100_000_000);
    const columns = flags.columns.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== '');
    const extraEnv = parseEnvPairs(flags.env);
    const envRequest = environmentRequest(flags, ctx);
    const progress = createProgressRenderer(ctx, flags);
    const scoring = createBatchProgressRenderer(ctx, flags);
    const silent = Boolean(flags.json) || Boolean(flags.quiet);
    // Each worker warns about each batch it scores (an extra column dropped, ...): each warning is shown once.
    const warned = new Set<string>();
    const onLog = (log: WorkerLog) => {
      if (silent) return;
      if (log.level === 'warning') {
        if (warned.has(log.message)) return;
        warned.add(log.message);
        scoring.above(() => warn(ctx, log.message));
      } else if (flags.verbose) scoring.above(() => say(ctx, dim(ctx, `[mlf-worker] ${log.message}`)));
    };
    const onStderr = (line: string) => {
      if (!silent && flags.verbose) scoring.above(() => say(ctx, dim(ctx, line)));
    };
    let result;
    try {
      // No fix commands: the ones fix-commands.ts builds repeat `mlf models predict`.
      result = await batchPredict({
        ...envRequest,
        modelSource: { ...envRequest.modelSource, onModelEvent: progress.onModelEvent },
        modelUri: flags.modelUri,
        input: flags.inputPath,
        outputDir: flags.outputPath,
        ...(format ? { format } : {}),
        engine,
        ...(flags.master !== undefined ? { master: flags.master } : {}),
        ...(partitions !== undefined ? { partitions } : {}),
        ...(columns.length > 0 ? { columns } : {}),
        resultColumn: flags.resultColumn,
        workers,
        batchRows,
        runtime,
        extraEnv,
        onProgress: progress.onProgress,
        onBatchProgress: (event) => {
          progress.stop();
          scoring.onBatchProgress(event);
        },
        onLog,
        onStderr,
      });
    } finally {
      progress.stop();
      scoring.stop();
    }
    if (flags.json) {
      printJson(ctx, { ok: true, ...result });
      return;
    }
    ctx.stdout.write(`${describeBatchResult(result, flags.outputPath)}\n`);
  });
};

/** The line a finished job prints: `wrote 1000 rows in 4 parts to out (parquet, 1 kept from an earlier run of the same job)`. */
export function describeBatchResult(result: { rows: number; partitions: number; partsResumed: number; format: string }, outputPath: string): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const resumed = result.partsResumed > 0 ? `, ${result.partsResumed} kept from an earlier run of the same job` : '';
  return `wrote ${count(result.rows, 'row')} in ${count(result.partitions, 'part')} to ${outputPath} (${result.format}${resumed})`;
}
