import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMlfError } from '../../src/errors.js';
import { batchPredict, type BatchPredictOptions } from '../../src/ops/batch-predict.js';
import { tempDir } from '../support/temp.js';

/** Refusals batchPredict makes before it reads the model (so the model need not exist). */
async function refusal(overrides: Partial<BatchPredictOptions>) {
  const cwd = tempDir('mlf-batch-ops-');
  const options = { modelUri: 'no-such-model', input: 'in.csv', outputDir: 'out', engine: 'local', resultColumn: 'prediction', workers: 1, cwd, env: {}, ...overrides } as BatchPredictOptions;
  try {
    await batchPredict(options);
  } catch (error) {
    if (isMlfError(error)) return { exitCode: error.exitCode, message: error.message };
    throw error;
  }
  throw new Error('did not throw');
}

describe('batchPredict with URIs', () => {
  it('--engine local refuses a URI input or output of another scheme than file: in one line, exit 2', async () => {
    expect(await refusal({ input: 'hdfs://nn:8020/data/in.csv' })).toEqual({
      exitCode: 2, message: 'the input `hdfs://nn:8020/data/in.csv` is a URI, which only --engine spark reads and writes (--engine local takes local paths and file: URIs)',
    });
    expect(await refusal({ outputDir: 's3a://bucket/out' })).toEqual({
      exitCode: 2, message: 'the output `s3a://bucket/out` is a URI, which only --engine spark reads and writes (--engine local takes local paths and file: URIs)',
    });
  });

  it('--engine local reads a file: URI input as its path (here: a file that does not exist, named as a path)', async () => {
    const refused = await refusal({ input: 'file:///nonexistent-mlf/in.csv' });
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toContain('/nonexistent-mlf/in.csv');
    expect(refused.message).not.toContain('file:');
  });

  it('--engine spark takes a URI input without looking for it locally, and asks for --format when its name does not say', async () => {
    expect(await refusal({ engine: 'spark', input: 'hdfs://nn:8020/data/table/' })).toMatchObject({ exitCode: 2, message: expect.stringContaining('cannot tell the format of the input `hdfs://nn:8020/data/table/`') });
    // Past the input (no local discovery of `hdfs://...`), the next step is the model: the refusal is about it.
    const modelRefusal = await refusal({ engine: 'spark', input: 'hdfs://nn:8020/data/table/', format: 'parquet', outputDir: 'gs://b/out' });
    expect(modelRefusal.message).toContain('no-such-model');
  });
});

describe('batchPredict and its output directory', () => {
  it('a run that fails before writing (here: no such model) leaves no output directory and no lock behind', async () => {
    const cwd = tempDir('mlf-batch-ops-');
    writeFileSync(path.join(cwd, 'in.csv'), 'a,b\n1,2\n');
    const options = { modelUri: 'no-such-model', input: 'in.csv', outputDir: 'new/out', engine: 'local', resultColumn: 'prediction', workers: 1, cwd, env: {} } as BatchPredictOptions;
    await expect(batchPredict(options)).rejects.toThrow(/no-such-model/);
    expect(existsSync(path.join(cwd, 'new', 'out'))).toBe(false);
  });

  it('an existing output directory keeps what it held, and loses the lock', async () => {
    const cwd = tempDir('mlf-batch-ops-');
    writeFileSync(path.join(cwd, 'in.csv'), 'a,b\n1,2\n');
    mkdirSync(path.join(cwd, 'out', '_mlf_batch'), { recursive: true });
    writeFileSync(path.join(cwd, 'out', 'part-00000.csv'), 'kept');
    const options = { modelUri: 'no-such-model', input: 'in.csv', outputDir: 'out', engine: 'local', resultColumn: 'prediction', workers: 1, cwd, env: {} } as BatchPredictOptions;
    await expect(batchPredict(options)).rejects.toThrow(/no-such-model/);
    expect(readdirSync(path.join(cwd, 'out')).sort()).toEqual(['_mlf_batch', 'part-00000.csv']);
  });
});
