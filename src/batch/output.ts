/**
 * The output protocol of `mlf models batch-predict`, in OUTPUT_DIR:
 *
 *   part-00000.<ext> ... part-NNNNN.<ext>   the rows, one part per partition, in input order
 *   _SUCCESS                                empty, written last: present only once every part is
 *   _mlf_batch/job.json                     the job's key (what decides the output)
 *   _mlf_batch/part-NNNNN.json              a part's completion record: the job key, the part's
 *                                           input slices, its rows, bytes and SHA-256
 *   _mlf_batch/tmp/                         parts being written (renamed into place when whole)
 *
 * Readers that skip names starting with `_` (Spark, pyarrow.dataset, pandas) see the parts only.
 * While a run writes a local OUTPUT_DIR it also holds `.mlf-lock` there (model/write-lock.ts,
 * taken by ops/batch-predict.ts): a second run into the same directory is refused, not interleaved.
 *
 * Opening an output (`openOutput`) decides what a run does:
 *  - OUTPUT_DIR holding anything else than these names is refused (exit 2): mlf never deletes
 *    files it did not write.
 *  - `_SUCCESS` is removed first, so that from then on a killed run leaves none.
 *  - A finished output (there was a `_SUCCESS`), another job's output, or one without a job record
 *    is overwritten: every part and record is removed and the job starts over.
 *  - An unfinished output of the same job (the same key, no `_SUCCESS`: a killed run) is resumed:
 *    a part is kept only when its record is valid, names this job, this part and exactly this
 *    part's slices, and the part file on disk has the recorded size and SHA-256. Every other part
 *    is written again. A planted record or part therefore costs a rewrite, never a wrong output.
 * Each part is written to tmp/, fsynced by the worker, renamed into place, and only then recorded;
 * `_SUCCESS` follows the last record and a directory fsync.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { inputError, usageError } from '../errors.js';
import { fsyncDirectory, writeDurably } from '../fs/durable.js';
import { BatchSlice, type BatchFormat } from '../worker/protocol.js';
import { isWriteLockName } from '../model/write-lock.js';

export const SUCCESS_FILE = '_SUCCESS';
export const STATE_DIR = '_mlf_batch';
const JOB_FILE = 'job.json';
const TMP_DIR = 'tmp';
const PART_NAME = /^part-(\d{5})\.(parquet|csv|json)$/;

export function partFileName(index: number, format: BatchFormat): string {
  return `part-${String(index).padStart(5, '0')}.${format}`;
}

const JobRecord = z.object({ format: z.literal('mlf-batch-job'), version: z.literal(1), key: z.string() });
const PartRecord = z.object({
  format: z.literal('mlf-batch-part'),
  version: z.literal(1),
  job: z.string(),
  index: z.number().int().nonnegative(),
  file: z.string(),
  slices: z.array(BatchSlice),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
type PartRecord = z.infer<typeof PartRecord>;

/** What openOutput is told of each partition. */
export interface PlannedPart {
  index: number;
  slices: BatchSlice[];
}

export interface OpenedOutput {
  /** Parts kept from a killed run of the same job, with their recorded rows. */
  resumed: Map<number, { rows: number }>;
  /** Whether an earlier output was overwritten (finished, or another job's). */
  overwrote: boolean;
  /** Where the worker writes part `index` before it is committed. */
  tmpPath(index: number): string;
  /** Moves a written part into place and records it complete. */
  commit(part: PlannedPart, rows: number): Promise<void>;
  /** Writes `_SUCCESS`, after every part is committed, and removes tmp/. */
  finish(): Promise<void>;
}

export function jobKey(fields: unknown): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export async function openOutput(outputDir: string, options: { key: string; format: BatchFormat; parts: readonly PlannedPart[]; shown: string }): Promise<OpenedOutput> {
  const { key, format, shown } = options;
  const stateDir = path.join(outputDir, STATE_DIR);
  const tmpDir = path.join(stateDir, TMP_DIR);
  prepareDirectory(outputDir, shown);

  const successPath = path.join(outputDir, SUCCESS_FILE);
  const finished = lstatSync(successPath, { throwIfNoEntry: false }) !== undefined;
  if (finished) {
    await rm(successPath, { recursive: true, force: true });
    await fsyncDirectory(outputDir);
  }
  const sameJob = !finished && readJobKey(path.join(stateDir, JOB_FILE)) === key;
  const resumed = new Map<number, { rows: number }>();
  if (sameJob) {
    for (const part of options.parts) {
      const record = await verifiedRecord(outputDir, stateDir, key, format, part);
      if (record) resumed.set(part.index, { rows: record.rows });
    }
  }
  const keep = new Set([...resumed.keys()].map((index) => partFileName(index, format)));
  for (const name of readdirSync(outputDir)) {
    if (PART_NAME.test(name) && !keep.has(name)) rmSync(path.join(outputDir, name), { force: true });
  }
  if (!sameJob) rmSync(stateDir, { recursive: true, force: true });
  else {
    for (const name of readdirSync(stateDir)) {
      if (name === JOB_FILE) continue;
      const index = /^part-(\d{5})\.json$/.exec(name);
      if (!index || !resumed.has(Number(index[1]))) rmSync(path.join(stateDir, name), { recursive: true, force: true });
    }
  }
  mkdirSync(tmpDir, { recursive: true });
  if (!sameJob) await replaceDurably(path.join(stateDir, JOB_FILE), `${JSON.stringify({ format: 'mlf-batch-job', version: 1, key })}\n`, tmpDir);
  await fsyncDirectory(outputDir);

  return {
    resumed,
    overwrote: !sameJob && (finished || options.parts.length > 0),
    tmpPath: (index) => path.join(tmpDir, partFileName(index, format)),
    async commit(part, rows) {
      const name = partFileName(part.index, format);
      const target = path.join(outputDir, name);
      await rename(path.join(tmpDir, name), target);
      await fsyncDirectory(outputDir);
      const { size } = statSync(target);
      const record: PartRecord = { format: 'mlf-batch-part', version: 1, job: key, index: part.index, file: name, slices: part.slices, rows, bytes: size, sha256: await sha256Of(target) };
      await replaceDurably(path.join(stateDir, recordName(part.index)), `${JSON.stringify(record)}\n`, tmpDir);
    },
    async finish() {
      await fsyncDirectory(stateDir);
      await replaceDurably(successPath, '', tmpDir);
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}

function recordName(index: number): string {
  return `part-${String(index).padStart(5, '0')}.json`;
}

/**
 * Refuses an OUTPUT_DIR that is not a directory, or holds anything batch-predict does not write
 * (exit 2); an absent one is fine. ops/ calls it before the environment is built, openOutput again.
 */
export function refuseForeignOutput(outputDir: string, shown: string): boolean {
  const stats = lstatSync(outputDir, { throwIfNoEntry: false });
  if (!stats) return false;
  if (!stats.isDirectory()) throw usageError('OUTPUT_NOT_A_DIRECTORY', `the output \`${shown}\` exists and is not a directory`);
  const foreign = readdirSync(outputDir)
    .sort()
    .find((name) => !(PART_NAME.test(name) || name === SUCCESS_FILE || name === STATE_DIR || isWriteLockName(name)));
  if (foreign !== undefined) {
    throw usageError('OUTPUT_NOT_BATCH_OUTPUT', `the output directory \`${shown}\` holds \`${foreign}\`, which batch-predict did not write`, {
      hint: 'give a new or empty directory (mlf overwrites only its own output)',
    });
  }
  return true;
}

/** OUTPUT_DIR exists as a directory holding only what batch-predict writes (created when absent). */
function prepareDirectory(outputDir: string, shown: string): void {
  if (!refuseForeignOutput(outputDir, shown)) createOutputDirectory(outputDir, shown);
}

/** Makes OUTPUT_DIR (and its parents); a failure is one input error naming it. */
export function createOutputDirectory(outputDir: string, shown: string): void {
  try {
    mkdirSync(outputDir, { recursive: true });
  } catch (error) {
    throw inputError('OUTPUT_NOT_WRITABLE', `cannot create the output directory \`${shown}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readJobKey(file: string): string | undefined {
  try {
    const parsed = JobRecord.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data.key : undefined;
  } catch {
    return undefined;
  }
}

/** The part's record when it proves the part complete for this job and these slices; else undefined. */
async function verifiedRecord(outputDir: string, stateDir: string, key: string, format: BatchFormat, part: PlannedPart): Promise<PartRecord | undefined> {
  let record: PartRecord;
  try {
    const parsed = PartRecord.safeParse(JSON.parse(readFileSync(path.join(stateDir, recordName(part.index)), 'utf8')));
    if (!parsed.success) return undefined;
    record = parsed.data;
  } catch {
    return undefined;
  }
  const name = partFileName(part.index, format);
  if (record.job !== key || record.index !== part.index || record.file !== name || JSON.stringify(record.slices) !== JSON.stringify(part.slices)) return undefined;
  const file = path.join(outputDir, name);
  const stats = lstatSync(file, { throwIfNoEntry: false });
  if (!stats?.isFile() || stats.size !== record.bytes) return undefined;
  return (await sha256Of(file)) === record.sha256 ? record : undefined;
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Writes `content` under tmpDir, then renames it over `target` (never a half-written target). */
async function replaceDurably(target: string, content: string, tmpDir: string): Promise<void> {
  const temp = path.join(tmpDir, `.${path.basename(target)}.${process.pid}.${Date.now()}`);
  if (existsSync(temp)) await unlink(temp);
  await writeDurably(temp, content);
  await rename(temp, target);
}
