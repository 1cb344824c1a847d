/**
 * `--engine local`: the serve pool's workers (serve/pool.ts), each a model loaded once in its own
 * environment, over the input's units (Parquet row groups, byte ranges of CSV / JSON lines).
 *
 * The first worker answers `batch_inspect` (columns and row groups; its load failure or a missing
 * pyarrow is reported before OUTPUT_DIR is touched), then becomes the pool's first slot. The plan
 * (plan.ts) is opened against OUTPUT_DIR (output.ts: resume or overwrite), and every part still to
 * write goes to an idle worker as one `batch_part`: the worker reads its slices and writes the part
 * itself, a batch of rows at a time, so neither mlf nor a worker ever holds more than one batch.
 * The first failure stops the run (the other workers are stopped, no `_SUCCESS`); a worker that
 * dies (killed, out of memory) fails the run too rather than be retried with the same input.
 */
import { MlfError, inputError } from '../../errors.js';
import { Pool, type HttpResult, type PoolWorker } from '../../serve/pool.js';
import type { BatchInspectReply, BatchPartReply } from '../../worker/protocol.js';
import { startSessionWorker } from '../../worker/session.js';
import type { WorkerClient } from '../../worker/worker-client.js';
import type { BatchEngine, BatchJob, BatchProgress, BatchResult } from '../engine.js';
import { DEFAULT_SLICE_BYTES, lineUnits } from '../line-slices.js';
import { jobKey, openOutput } from '../output.js';
import { planPartitions, rowGroupUnits, type InputUnit, type Partition } from '../plan.js';

/** setTimeout's longest wait: a part has no time limit of its own. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export const localEngine: BatchEngine = {
  name: 'local',
  run: runLocal,
};

async function runLocal(job: BatchJob, onProgress: (progress: BatchProgress) => void): Promise<BatchResult> {
  const started = Date.now();
  const startWorker = () =>
    startSessionWorker({
      ...job.worker,
      // Ctrl-C reaches the whole process group; mlf stops its workers itself.
      ignoreSigint: true,
      ...(job.onLog ? { onLog: job.onLog } : {}),
      ...(job.onStderr ? { onStderr: job.onStderr } : {}),
    });
  const first = await startWorker();
  let pool: Pool | undefined;
  let handedOver = false;
  try {
    const inspected = await first.batchInspect(job.format, job.inputFiles.map((file) => file.path));
    checkColumns(job, inspected);
    const partitions = planPartitions(unitsOf(job, inspected), job.partitions);
    const key = jobKey({
      version: 1,
      identity: job.identity,
      format: job.format,
      columns: job.columns ?? null,
      resultColumn: job.resultColumn,
      files: job.inputFiles,
      parts: partitions.map((part) => part.slices),
    });
    const output = await openOutput(job.outputDir, { key, format: job.format, parts: partitions, shown: job.outputLabel });
    const todo = partitions.filter((part) => !output.resumed.has(part.index));
    const progress: BatchProgress = {
      partsTotal: partitions.length,
      partsDone: output.resumed.size,
      partsResumed: output.resumed.size,
      files: job.inputFiles.length,
      rowsDone: [...output.resumed.values()].reduce((sum, part) => sum + part.rows, 0),
      ...(partitions.every((part) => part.rows !== undefined) ? { rowsTotal: partitions.reduce((sum, part) => sum + part.rows!, 0) } : {}),
      rowsResumed: 0,
      bytesDone: partitions.filter((part) => output.resumed.has(part.index)).reduce((sum, part) => sum + part.bytes, 0),
      bytesResumed: 0,
      bytesTotal: partitions.reduce((sum, part) => sum + part.bytes, 0),
      elapsedMs: Date.now() - started,
    };
    progress.rowsResumed = progress.rowsDone;
    progress.bytesResumed = progress.bytesDone;
    onProgress({ ...progress });

    const workers = Math.max(1, Math.min(job.workers, todo.length));
    let maxRssKb: number | undefined;
    if (todo.length > 0) {
      pool = await Pool.start({
        workers,
        maxQueue: todo.length,
        timeoutMs: NO_TIMEOUT_MS,
        // Slot 0 is the worker that inspected the input; any later start (a replacement) is a new one.
        startWorker: async () => {
          if (!handedOver) {
            handedOver = true;
            return first;
          }
          return startWorker();
        },
      });
      const livePool = pool;
      let failure: unknown;
      await Promise.all(
        todo.map(async (part) => {
          const outcome = await livePool.run((worker) => writePart(worker, job, part, output.tmpPath(part.index)));
          if (failure !== undefined) return;
          if (!('ok' in outcome)) {
            failure = workerDied(outcome, part);
          } else if (!outcome.ok) {
            failure = outcome.error;
          } else {
            await output.commit(part, outcome.reply.rows);
            if (outcome.reply.max_rss_kb !== undefined) maxRssKb = Math.max(maxRssKb ?? 0, outcome.reply.max_rss_kb);
            progress.partsDone += 1;
            progress.rowsDone += outcome.reply.rows;
            progress.bytesDone += part.bytes;
            progress.elapsedMs = Date.now() - started;
            onProgress({ ...progress });
            return;
          }
          // The first failure ends the run: the other parts are not waited for.
          void livePool.close(0);
        }),
      );
      if (failure !== undefined) throw failure;
    }
    await output.finish();
    return {
      engine: 'local',
      outputDir: job.outputDir,
      format: job.format,
      files: job.inputFiles.length,
      partitions: partitions.length,
      partsWritten: todo.length,
      partsResumed: output.resumed.size,
      rows: progress.rowsDone,
      elapsedMs: Date.now() - started,
      workers: todo.length > 0 ? workers : 0,
      ...(maxRssKb !== undefined ? { workerMaxRssKb: maxRssKb } : {}),
    };
  } finally {
    // The pool holds the first worker from its start on (and closes it even when that start fails).
    if (pool) await pool.close(0);
    else await first.close().catch(() => undefined);
  }
}

type PartOutcome = { ok: true; reply: BatchPartReply } | { ok: false; error: unknown };

/** One part on one worker; its failure as a value, so that the pool does not mistake it for a dead worker. */
async function writePart(worker: PoolWorker, job: BatchJob, part: Partition, outputPath: string): Promise<PartOutcome> {
  try {
    const reply = await (worker as WorkerClient).batchPart({
      format: job.format,
      slices: part.slices,
      output_path: outputPath,
      columns: job.columns ?? null,
      result_column: job.resultColumn,
      batch_rows: job.batchRows,
    }, { inputPath: part.slices[0]!.path });
    return { ok: true, reply };
  } catch (error) {
    return { ok: false, error };
  }
}

function workerDied(outcome: HttpResult, part: Partition): MlfError {
  let said = '';
  try {
    said = (JSON.parse(String(outcome.body)) as { message?: string }).message ?? '';
  } catch {
    said = String(outcome.body);
  }
  return new MlfError('model', 'BATCH_WORKER_DIED', `the model worker stopped while writing part ${part.index}: ${said.replace(/; it is being replaced$/, '')}`, {
    hint: 'no `_SUCCESS` was written; run the same command again to resume from the parts already complete',
  });
}

function unitsOf(job: BatchJob, inspected: BatchInspectReply): InputUnit[] {
  if (job.format === 'parquet') {
    return job.inputFiles.flatMap((file, at) => rowGroupUnits(file.path, inspected.files[at]!.row_groups ?? [], file.size));
  }
  const totalBytes = job.inputFiles.reduce((sum, file) => sum + file.size, 0);
  // With --partitions N, ranges small enough to make N parts; never larger than the default.
  const targetBytes = Math.max(1, Math.min(DEFAULT_SLICE_BYTES, job.partitions ? Math.ceil(totalBytes / job.partitions) : DEFAULT_SLICE_BYTES));
  return job.inputFiles.flatMap((file) => lineUnits(file.path, file.size, { header: job.format === 'csv', targetBytes }));
}

/**
 * `--columns` names only columns every file has, and `--result-column` none of them (JSON lines:
 * checked by the worker as it reads, mlf_worker/batch/score.py).
 */
function checkColumns(job: BatchJob, inspected: BatchInspectReply): void {
  inspected.files.forEach((file, at) => {
    if (!file.columns) return;
    if (file.columns.includes(job.resultColumn)) {
      throw inputError('BATCH_RESULT_COLUMN_CLASH', `the result column \`${job.resultColumn}\` is also a column of the input file \`${job.inputFiles[at]!.path}\``, {
        hint: 'name the result column with --result-column',
      });
    }
    if (!job.columns) return;
    const missing = job.columns!.find((name) => !file.columns!.includes(name));
    if (missing !== undefined) {
      throw inputError('BATCH_COLUMN_MISSING', `the input file \`${job.inputFiles[at]!.path}\` has no column \`${missing}\` (--columns)`, {
        hint: `its columns: ${file.columns.map((name) => `\`${name}\``).join(', ')}`,
      });
    }
  });
}
