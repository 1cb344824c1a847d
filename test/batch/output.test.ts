/**
 * batch/output.ts, the output protocol: `_SUCCESS` only after every part, a finished or foreign
 * job overwritten, a killed run of the same job resumed only from parts whose records prove them,
 * and hostile leftovers (a planted `_SUCCESS`, a planted or stale record, a changed part) costing
 * a rewrite, never a wrong output.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openOutput, partFileName, type PlannedPart } from '../../src/batch/output.js';
import { MlfError } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

const PARTS: PlannedPart[] = [0, 1, 2].map((index) => ({ index, slices: [{ path: '/in.csv', start: index * 10, end: index * 10 + 10 }] }));

/** Runs a job over `dir` that writes the parts in `write` (as a worker would: into tmpPath), then finishes unless told to stop. */
async function run(dir: string, options: { key?: string; write?: number[]; finish?: boolean; parts?: PlannedPart[] } = {}) {
  const parts = options.parts ?? PARTS;
  const output = await openOutput(dir, { key: options.key ?? 'job-1', format: 'csv', parts, shown: 'out' });
  const written: number[] = [];
  for (const part of parts) {
    if (output.resumed.has(part.index) || !(options.write ?? parts.map((p) => p.index)).includes(part.index)) continue;
    writeFileSync(output.tmpPath(part.index), `rows of part ${part.index} for ${options.key ?? 'job-1'}\n`);
    await output.commit(part, 10);
    written.push(part.index);
  }
  if (options.finish ?? true) await output.finish();
  return { resumed: [...output.resumed.keys()], written, overwrote: output.overwrote };
}

const listing = (dir: string) => readdirSync(dir).sort();
const partText = (dir: string, index: number) => readFileSync(path.join(dir, partFileName(index, 'csv')), 'utf8');

describe('the batch output protocol', () => {
  it('a new directory: parts, records, then _SUCCESS; tmp/ is gone', async () => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    expect(await run(dir)).toEqual({ resumed: [], written: [0, 1, 2], overwrote: true });
    expect(listing(dir)).toEqual(['_SUCCESS', '_mlf_batch', 'part-00000.csv', 'part-00001.csv', 'part-00002.csv']);
    expect(listing(path.join(dir, '_mlf_batch'))).toEqual(['job.json', 'part-00000.json', 'part-00001.json', 'part-00002.json']);
    expect(readFileSync(path.join(dir, '_SUCCESS'), 'utf8')).toBe('');
  });

  it('a killed run leaves no _SUCCESS; the rerun keeps the proven parts and writes the rest', async () => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    await run(dir, { write: [0, 2], finish: false });
    // A part the killed run was writing is in tmp/, never in place.
    writeFileSync(path.join(dir, '_mlf_batch', 'tmp', partFileName(1, 'csv')), 'half a part');
    expect(existsSync(path.join(dir, '_SUCCESS'))).toBe(false);
    expect(await run(dir)).toEqual({ resumed: [0, 2], written: [1], overwrote: false });
    expect(existsSync(path.join(dir, '_SUCCESS'))).toBe(true);
    expect(partText(dir, 1)).toBe('rows of part 1 for job-1\n');
  });

  it('a finished output is overwritten by a rerun, never resumed', async () => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    await run(dir);
    expect(await run(dir)).toEqual({ resumed: [], written: [0, 1, 2], overwrote: true });
  });

  it("another job's unfinished output is overwritten, and its extra parts removed", async () => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    const four = [...PARTS, { index: 3, slices: [{ path: '/in.csv', start: 30, end: 40 }] }];
    await run(dir, { key: 'job-0', parts: four, finish: false });
    expect(await run(dir, { key: 'job-1' })).toEqual({ resumed: [], written: [0, 1, 2], overwrote: true });
    expect(listing(dir)).toEqual(['_SUCCESS', '_mlf_batch', 'part-00000.csv', 'part-00001.csv', 'part-00002.csv']);
    expect(partText(dir, 0)).toBe('rows of part 0 for job-1\n');
  });

  it('a planted _SUCCESS makes the run start over (it is removed before anything else)', async () => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    await run(dir, { write: [0], finish: false });
    writeFileSync(path.join(dir, '_SUCCESS'), '');
    expect(await run(dir, { finish: false })).toEqual({ resumed: [], written: [0, 1, 2], overwrote: true });
    expect(existsSync(path.join(dir, '_SUCCESS'))).toBe(false);
  });

  it.each([
    ['a changed part (same size)', (dir: string) => writeFileSync(path.join(dir, partFileName(0, 'csv')), 'rows of part 9 for job-1\n')],
    ['a truncated part', (dir: string) => writeFileSync(path.join(dir, partFileName(0, 'csv')), 'rows')],
    ['an emptied part', (dir: string) => writeFileSync(path.join(dir, partFileName(0, 'csv')), '')],
    ['a record that is not JSON', (dir: string) => writeFileSync(path.join(dir, '_mlf_batch', 'part-00000.json'), '{')],
    ['a record of other slices', (dir: string) => rewriteRecord(dir, (r) => ({ ...r, slices: [{ path: '/in.csv', start: 0, end: 99 }] }))],
    ['a record of another job', (dir: string) => rewriteRecord(dir, (r) => ({ ...r, job: 'job-2' }))],
    ['a record of another part', (dir: string) => rewriteRecord(dir, (r) => ({ ...r, index: 1 }))],
    ['a planted record with a made-up digest', (dir: string) => rewriteRecord(dir, (r) => ({ ...r, sha256: 'a'.repeat(64) }))],
  ])('%s: that part is written again', async (_name, tamper) => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    await run(dir, { write: [0, 1], finish: false });
    tamper(dir);
    expect(await run(dir)).toEqual({ resumed: [1], written: [0, 2], overwrote: false });
    expect(partText(dir, 0)).toBe('rows of part 0 for job-1\n');
  });

  it('a planted record for a part the run never wrote is not trusted', async () => {
    const dir = path.join(tempDir('mlf-batch-out-'), 'out');
    await run(dir, { write: [0], finish: false });
    const record = JSON.parse(readFileSync(path.join(dir, '_mlf_batch', 'part-00000.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dir, '_mlf_batch', 'part-00002.json'), JSON.stringify({ ...record, index: 2, file: partFileName(2, 'csv'), slices: PARTS[2]!.slices }));
    writeFileSync(path.join(dir, partFileName(2, 'csv')), 'planted rows\n');
    expect(await run(dir)).toEqual({ resumed: [0], written: [1, 2], overwrote: false });
    expect(partText(dir, 2)).toBe('rows of part 2 for job-1\n');
  });

  it('a directory holding anything mlf did not write is refused, and left as it was', async () => {
    const dir = tempDir('mlf-batch-out-');
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    writeFileSync(path.join(dir, 'part-00000.csv'), 'mine too');
    const error = await openOutput(dir, { key: 'k', format: 'csv', parts: PARTS, shown: 'out' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe('the output directory `out` holds `notes.txt`, which batch-predict did not write');
    expect((error as MlfError).exitCode).toBe(2);
    expect(listing(dir)).toEqual(['notes.txt', 'part-00000.csv']);
  });

  it('an output that is a file is refused', async () => {
    const file = path.join(tempDir('mlf-batch-out-'), 'out');
    writeFileSync(file, '');
    await expect(openOutput(file, { key: 'k', format: 'csv', parts: PARTS, shown: 'out' })).rejects.toThrow('the output `out` exists and is not a directory');
  });

  it('an existing empty directory is used', async () => {
    const dir = tempDir('mlf-batch-out-');
    mkdirSync(path.join(dir, 'out'));
    expect((await run(path.join(dir, 'out'))).written).toEqual([0, 1, 2]);
  });
});

function rewriteRecord(dir: string, change: (record: Record<string, unknown>) => Record<string, unknown>): void {
  const file = path.join(dir, '_mlf_batch', 'part-00000.json');
  writeFileSync(file, JSON.stringify(change(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)));
}
