/**
 * `mlf models batch-predict --engine local` end to end: the built CLI on the sklearn-iris fixture,
 * over a generated 200,000-row input (an `id` column and the four iris columns) in Parquet (10 row
 * groups), CSV and JSON lines. The reference is `mlf models predict` on the same rows (itself
 * checked byte for byte against `mlflow models predict` by predict.test.ts): every output row is
 * the input's row, in order, plus predict's prediction for it. A run SIGKILLed midway leaves no
 * `_SUCCESS`, and its rerun keeps the parts it proved complete and writes a complete output. While
 * a run writes OUTPUT_DIR it holds `.mlf-lock` there: a second run is refused.
 *
 * The Parquet case runs in the model's own uv environment (built from the fixture's requirements:
 * pyarrow comes with mlflow), the others with `--env-manager local` (the MLflow test Python) to
 * spare CI a second build of the same environment.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, mlfBin, repoRoot, runMlf, tempDir } from '../support/cli.js';

const unavailable = e2eUnavailableReason();
const ROWS = 200_000;
const ROW_GROUP_ROWS = 20_000;
const FORMATS = ['parquet', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface OutputReport {
  columns: string[];
  rows: number;
  input_kept: boolean;
  parts: string[];
  values: number[];
}

if (unavailable) {
  describe('mlf models batch-predict (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const venvBin = path.dirname(python);
  const work = tempDir('mlf-batch-e2e-');
  const mlfHome = path.join(work, 'home');
  const localPath = `${venvBin}${path.delimiter}${process.env.PATH ?? ''}`;
  const model = path.join(fixturesDir, 'models', 'sklearn-iris');
  const input = (format: Format) => path.join(work, `in.${format}`);
  let reference: number[] = [];

  const mlf = (args: string[]) => runMlf(args, { mlfHome, env: { PATH: localPath } });
  const batch = (format: Format, output: string, extra: string[] = []) =>
    mlf(['models', 'batch-predict', '-m', model, '-i', input(format), '-o', output, '--env-manager', 'local', '-w', '2', ...extra]);
  const readOutput = async (format: Format, output: string): Promise<OutputReport> => {
    const result = await execa(python, [path.join(repoRoot, 'test/e2e/py/batch_output.py'), format, output, input(format)], { reject: false });
    if (result.exitCode !== 0) throw new Error(`batch_output.py failed:\n${result.stderr}`);
    return JSON.parse(result.stdout) as OutputReport;
  };
  const expectComplete = async (format: Format, output: string) => {
    expect(existsSync(path.join(output, '_SUCCESS'))).toBe(true);
    const report = await readOutput(format, output);
    expect(report.columns).toEqual(['id', 'sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)', 'prediction']);
    expect(report.rows).toBe(ROWS);
    expect(report.input_kept).toBe(true);
    // One comparison of 200,000 values (a failing toEqual would print them all).
    const differing = report.values.findIndex((value, at) => value !== reference[at]);
    expect(differing, `first differing row: ${differing}`).toBe(-1);
    return report;
  };


  beforeAll(async () => {
    const made = await execa(python, [path.join(repoRoot, 'test/e2e/py/batch_input.py'), work, String(ROWS), String(ROW_GROUP_ROWS)], { reject: false });
    if (made.exitCode !== 0) throw new Error(`batch_input.py failed:\n${made.stderr}`);
    // The reference: predict on the same rows (the CSV; the extra `id` column is dropped with MLflow's warning).
    const predicted = await mlf(['models', 'predict', '-m', model, '-i', input('csv'), '-t', 'csv', '--env-manager', 'local', '-q']);
    if (predicted.exitCode !== 0) throw new Error(`mlf models predict failed:\n${predicted.stderr}`);
    reference = (JSON.parse(predicted.stdout) as { predictions: number[] }).predictions;
    expect(reference).toHaveLength(ROWS);
  }, 600_000);

  it("Parquet, in the model's own uv environment: every row kept, in order, with predict's prediction", async () => {
    const output = path.join(work, 'out-parquet');
    const result = await mlf(['models', 'batch-predict', '-m', model, '-i', input('parquet'), '-o', output, '--env-manager', 'uv', '-w', '2', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, engine: 'local', format: 'parquet', files: 1, partitions: 10, partsWritten: 10, partsResumed: 0, rows: ROWS, workers: 2, environment: { manager: 'uv' } });
    expect(report.workerMaxRssKb).toEqual(expect.any(Number));
    expect((await expectComplete('parquet', output)).parts).toEqual(Array.from({ length: 10 }, (_, i) => `part-${String(i).padStart(5, '0')}.parquet`));
  }, 900_000);

  it.each(['csv', 'json'] as const)('%s lines, in 4 partitions: the same rows and predictions; a rerun overwrites', async (format) => {
    const output = path.join(work, `out-${format}`);
    for (let run = 0; run < 2; run++) {
      const result = await batch(format, output, ['--partitions', '4', '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ partitions: 4, partsWritten: 4, partsResumed: 0, rows: ROWS });
      await expectComplete(format, output);
    }
  }, 900_000);

  it('file: URIs for the input and the output are the paths they name (the local engine\'s filesystem is this machine\'s)', async () => {
    const output = path.join(work, 'out-file-uri');
    const result = await mlf(['models', 'batch-predict', '-m', model, '-i', pathToFileURL(input('parquet')).href, '-o', pathToFileURL(output).href,
      '--env-manager', 'local', '-w', '2', '--partitions', '2', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ partitions: 2, partsWritten: 2, rows: ROWS });
    await expectComplete('parquet', output);
  }, 900_000);

  it('progress and warnings on stderr: rows, files, rate; each worker warning once', async () => {
    const result = await batch('parquet', path.join(work, 'out-progress'), ['--partitions', '2']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(`wrote ${ROWS} rows in 2 parts to ${path.join(work, 'out-progress')} (parquet)\n`);
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines.filter((line) => line.startsWith('warning: Found extra inputs'))).toHaveLength(1);
    expect(lines).toContain(`scoring: 0/2 parts, 0/${ROWS} rows, 1 file`);
    expect(lines.at(-1)).toMatch(new RegExp(`^scoring: 2/2 parts, ${ROWS}/${ROWS} rows, 1 file, \\d+ rows/s$`));
  }, 900_000);

  it('a run SIGKILLed midway leaves no _SUCCESS; the rerun keeps the completed parts and finishes the output', async () => {
    const output = path.join(work, 'out-killed');
    const args = [mlfBin, 'models', 'batch-predict', '-m', model, '-i', input('parquet'), '-o', output, '--env-manager', 'local', '-w', '1', '--batch-rows', '1000', '-q'];
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', MLF_HOME: mlfHome, PATH: localPath }, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const records = () => (existsSync(path.join(output, '_mlf_batch')) ? readdirSync(path.join(output, '_mlf_batch')).filter((name) => /^part-\d{5}\.json$/.test(name)) : []);
    try {
      const deadline = Date.now() + 300_000;
      while (records().length < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(child.exitCode, 'the run ended before it could be killed').toBeNull();
      child.kill('SIGKILL');
      await exited;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const completed = records().length;
    expect(completed).toBeGreaterThanOrEqual(2);
    expect(completed).toBeLessThan(10);
    expect(existsSync(path.join(output, '_SUCCESS'))).toBe(false);
    // The killed run's lock is still there; its owner is dead, so the rerun takes it over.
    expect(existsSync(path.join(output, '.mlf-lock'))).toBe(true);

    const rerun = await batch('parquet', output, ['--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as { partsResumed: number; partsWritten: number; rows: number };
    // The part being written when the run was killed may have been recorded just before the kill.
    expect(report.partsResumed).toBeGreaterThanOrEqual(completed);
    expect(report.partsResumed + report.partsWritten).toBe(10);
    expect(report.rows).toBe(ROWS);
    await expectComplete('parquet', output);
    expect(readdirSync(output).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 900_000);

  it('a second run into an output directory a live run holds is refused in one line, exit 2, and changes nothing', async () => {
    const output = path.join(work, 'out-busy');
    mkdirSync(path.join(output, '.mlf-lock'), { recursive: true });
    // The holder: a live process of this host, recorded as mlf records its runs (lock-owner.ts).
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const owner = { pid: holder.pid, host: hostname(), boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), since: new Date().toISOString() };
      writeFileSync(path.join(output, '.mlf-lock', 'owner.json'), JSON.stringify(owner));
      const before = readdirSync(output, { recursive: true }).sort();
      const result = await batch('parquet', output);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
        `error: ${output}/.mlf-lock: \`${output}\` is being written by mlf process ${holder.pid} on ${hostname()}, since ${owner.since}; run again when it has finished; if no mlf is running, delete \`${output}/.mlf-lock\``,
      ]);
      expect(readdirSync(output, { recursive: true }).sort()).toEqual(before);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 120_000);

  it('a planted _SUCCESS and planted parts in the output are overwritten, not trusted', async () => {
    const output = path.join(work, 'out-planted');
    mkdirSync(path.join(output, '_mlf_batch'), { recursive: true });
    writeFileSync(path.join(output, '_SUCCESS'), '');
    writeFileSync(path.join(output, 'part-00000.parquet'), 'not the rows');
    writeFileSync(path.join(output, 'part-00042.parquet'), 'not the rows either');
    const result = await batch('parquet', output, ['--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ partsWritten: 10, partsResumed: 0 });
    expect((await expectComplete('parquet', output)).parts).toHaveLength(10);
  }, 900_000);

  it.each([
    ['a column --columns names that the input lacks', () => ['-i', input('parquet'), '--columns', 'sepal length (cm),nope'], /^error: the input file `\S+in\.parquet` has no column `nope` \(--columns\); its columns: `id`, /],
    ['a directory of mixed formats', () => ['-i', mixedDir()], /^error: the input `\S+mixed` mixes formats: `\S+in\.csv` is csv, `\S+in\.parquet` is parquet; /],
    ['an empty input directory', () => ['-i', emptyDir()], /^error: the input directory `\S+empty` holds no data files$/],
    ['a glob matching nothing', () => ['-i', path.join(work, '*.none')], /^error: the input `\S+\*\.none` matches no files$/],
    ['a URI input of another scheme with --engine local', () => ['-i', 'hdfs://namenode:8020/data/in.parquet'], /^error: the input `hdfs:\/\/namenode:8020\/data\/in\.parquet` is a URI, which only --engine spark reads and writes \(--engine local takes local paths and file: URIs\); use --engine spark, or give a local path$/],
    ['an output directory of other files', () => ['-i', input('parquet'), '-o', fixturesDir], /^error: the output directory `\S+fixtures` holds `README\.md`, which batch-predict did not write; /],
  ])('%s: one line, exit 2', async (_name, args, line) => {
    const extra = args();
    const output = extra.includes('-o') ? [] : ['-o', path.join(work, 'out-refused')];
    const result = await mlf(['models', 'batch-predict', '-m', model, '--env-manager', 'local', ...output, ...extra]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(line);
    expect(result.stderr).not.toContain('Traceback');
    expect(existsSync(path.join(work, 'out-refused', '_SUCCESS'))).toBe(false);
  }, 900_000);

  function mixedDir(): string {
    const dir = path.join(work, 'mixed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'in.csv'), readFileSync(input('csv')).subarray(0, 200));
    writeFileSync(path.join(dir, 'in.parquet'), 'x');
    return dir;
  }

  function emptyDir(): string {
    const dir = path.join(work, 'empty');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '_SUCCESS'), '');
    return dir;
  }
}
