/**
 * `mlf models batch-predict --engine spark` end to end, on a real Spark standalone cluster started
 * here (test/support/spark-cluster.ts: a master and two workers, loopback only) from PySpark of
 * .e2e/spark: a 1,000,000-row Parquet input of the sklearn fixture's four columns, scored by the
 * cluster's executors from the packed environment mlf ships with `--archives`.
 *
 * Checked: the output rows (input columns and prediction, in the input's order) equal
 * `--engine local`'s and their predictions equal `mlf models predict`'s on the same rows as CSV;
 * every executor's Python ran from the shipped archive (the path each reported, inside its own
 * work dir's `mlfenv/`); no environment was built on an executor (the only virtual environments
 * under the workers' dirs are the unpacked archives). Rows are compared as digests of the rows in
 * order, computed part by part and batch by batch (bounded memory). A 50,000-row case runs with
 * `file://` URIs for INPUT and OUTPUT_DIR (Spark reads them; the job commits the output through
 * Hadoop's FileSystem) and compares its rows with the same input given as local paths.
 *
 * Time (loaded 2-core machine): the cluster ~15-30 s, the spark run 1-3 min (two environments
 * built: the model's and the model's with pyarrow and pandas; the archive packed and unpacked on
 * each executor), the local run and predict ~30 s.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { executorDirs, sparkUnavailableReason, startSparkCluster, type SparkCluster } from '../support/spark-cluster.js';

const unavailable = e2eUnavailableReason() ?? sparkUnavailableReason();
const ROWS = 1_000_000;
/** The file:// case's input: the first rows of the big one. */
const SMALL_ROWS = 50_000;
const RUN_TIMEOUT_MS = 15 * 60_000;

interface Digest {
  rows: number;
  columns: string[];
  rowsSha256: string;
  predictionsSha256: string;
}

if (unavailable) {
  describe('mlf models batch-predict --engine spark (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const work = tempDir('mlf-batch-spark-e2e-');
  const mlfHome = path.join(work, 'home');
  const model = path.join(fixturesDir, 'models', 'sklearn-iris');
  const parquet = path.join(work, 'input.parquet');
  const csv = path.join(work, 'input.csv');
  const smallParquet = path.join(work, 'small.parquet');
  let cluster: SparkCluster | undefined;
  /** The same PATH for every run (the interpreter found on it is part of an environment's key). */
  const env = () => ({ PATH: process.env.PATH ?? '', ...cluster!.env });
  const mlf = (args: string[]) => runMlf(args, { mlfHome, env: env() });

  afterAll(async () => {
    await cluster?.stop();
  });

  beforeAll(async () => {
    const [started] = await Promise.all([startSparkCluster(), makeInputs(python, parquet, csv, smallParquet)]);
    cluster = started;
  }, 300_000);

  describe('mlf models batch-predict --engine spark (e2e)', () => {
    it('scores 1,000,000 rows on the cluster from the shipped environment, as --engine local and predict do', async () => {
      const sparkOut = path.join(work, 'out-spark');
      const spark = await mlf(['models', 'batch-predict', '-m', model, '-i', parquet, '-o', sparkOut, '--engine', 'spark', '--master', cluster!.masterUrl,
        '--partitions', '2', '--env-manager', 'uv', '--json']);
      expect(spark.stderr + spark.stdout).not.toMatch(/Traceback/);
      expect(spark.exitCode, spark.stderr.slice(-3000)).toBe(0);
      const report = JSON.parse(spark.stdout) as { engine: string; rows: number; partitions: number };
      expect(report).toMatchObject({ engine: 'spark', rows: ROWS, partitions: 2 });
      expect(readdirSync(sparkOut).sort()).toEqual(['_SUCCESS', '_mlf_batch', 'part-00000.parquet', 'part-00001.parquet']);

      // Every Python worker that scored ran the archive's interpreter, unpacked in its executor's own dir.
      const record = JSON.parse(readFileSync(path.join(sparkOut, '_mlf_batch', 'spark.json'), 'utf8')) as { executors: { executable: string; prefix: string; cwd: string; rows: number }[] };
      expect(record.executors.length).toBeGreaterThanOrEqual(2);
      const executors = executorDirs(cluster!);
      for (const executor of record.executors) {
        expect(executors).toContain(executor.cwd);
        expect(executor.executable).toBe(path.join(executor.cwd, 'mlfenv', 'bin', 'python'));
        expect(executor.prefix).toBe(path.join(executor.cwd, 'mlfenv'));
        expect(existsSync(path.join(executor.cwd, 'mlfenv', 'mlf-pack.json'))).toBe(true);
      }
      expect(record.executors.reduce((sum, executor) => sum + executor.rows, 0)).toBe(ROWS);
      // No environment was built on an executor: the only virtual environments under the
      // workers' dirs are the unpacked archives (`<executor>/mlfenv/`).
      const venvs = cluster!.workerDirs.flatMap((dir) => findFiles(dir, 'pyvenv.cfg'));
      expect(venvs.length).toBeGreaterThan(0);
      for (const cfg of venvs) expect(executors).toContain(path.dirname(path.dirname(cfg)));

      const localOut = path.join(work, 'out-local');
      const local = await mlf(['models', 'batch-predict', '-m', model, '-i', parquet, '-o', localOut, '--env-manager', 'uv', '--workers', '1', '--json']);
      expect(local.exitCode, local.stderr.slice(-3000)).toBe(0);

      const predictOut = path.join(work, 'predict.json');
      const predict = await mlf(['models', 'predict', '-m', model, '-i', csv, '-t', 'csv', '-o', predictOut, '--env-manager', 'uv']);
      expect(predict.exitCode, predict.stderr.slice(-3000)).toBe(0);

      const digests = await digestOutputs(python, { spark: sparkOut, local: localOut }, predictOut);
      expect(digests.spark.rows).toBe(ROWS);
      expect(digests.spark.columns).toEqual(['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)', 'prediction']);
      expect(digests.spark).toEqual(digests.local);
      expect(digests.spark.predictionsSha256).toBe(digests.predict.predictionsSha256);
    }, RUN_TIMEOUT_MS);

    it('reads and writes file:// URIs through Spark (50,000 rows): the same rows as with local paths, the protocol\'s names and _SUCCESS', async () => {
      const pathOut = path.join(work, 'out-spark-small');
      const uriOut = path.join(work, 'out-spark-uri');
      const run = (input: string, output: string) => mlf(['models', 'batch-predict', '-m', model, '-i', input, '-o', output, '--engine', 'spark', '--master', cluster!.masterUrl,
        '--partitions', '2', '--env-manager', 'uv', '--json']);
      const byPath = await run(smallParquet, pathOut);
      expect(byPath.exitCode, byPath.stderr.slice(-3000)).toBe(0);
      const byUri = await run(pathToFileURL(smallParquet).href, pathToFileURL(uriOut).href);
      expect(byUri.stderr + byUri.stdout).not.toMatch(/Traceback/);
      expect(byUri.exitCode, byUri.stderr.slice(-3000)).toBe(0);
      expect(JSON.parse(byUri.stdout)).toMatchObject({ engine: 'spark', rows: SMALL_ROWS, partitions: 2, outputDir: pathToFileURL(uriOut).href });
      // Written by the job through Hadoop's FileSystem: the protocol's names, no Spark names, no .crc files.
      expect(readdirSync(uriOut).sort()).toEqual(['_SUCCESS', '_mlf_batch', 'part-00000.parquet', 'part-00001.parquet']);
      expect(readdirSync(path.join(uriOut, '_mlf_batch'))).toEqual(['spark.json']);
      expect(statSync(path.join(uriOut, '_SUCCESS')).size).toBe(0);
      const digests = await digestOutputs(python, { path: pathOut, uri: uriOut });
      expect(digests.uri.rows).toBe(SMALL_ROWS);
      expect(digests.uri).toEqual(digests.path);
    }, RUN_TIMEOUT_MS);

    it('is one line and exit 2 when spark-submit is not where SPARK_HOME says', async () => {
      const result = await runMlf(['models', 'batch-predict', '-m', model, '-i', parquet, '-o', path.join(work, 'out-none'), '--engine', 'spark', '--env-manager', 'uv'],
        { mlfHome, env: { PATH: process.env.PATH ?? '', SPARK_HOME: path.join(work, 'no-spark') } });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/SPARK_HOME is `.*no-spark`, which has no bin\/spark-submit/);
      expect(result.stderr).not.toMatch(/Traceback|at .*\.js:\d+/);
    }, RUN_TIMEOUT_MS);
  });

  function findFiles(dir: string, name: string): string[] {
    const found: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (entry.name === name && entry.isFile()) found.push(path.join(entry.parentPath, entry.name));
    }
    return found.filter((file) => statSync(file).isFile());
  }
}

/** ROWS rows of the fixture's four columns, in several row groups, as Parquet and as the same rows in CSV; the first SMALL_ROWS as Parquet. */
async function makeInputs(python: string, parquet: string, csv: string, smallParquet: string): Promise<void> {
  const script = `
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(15)
n = ${ROWS}
frame = pd.DataFrame({
    "sepal length (cm)": rng.uniform(4.0, 8.0, n).round(2),
    "sepal width (cm)": rng.uniform(2.0, 4.5, n).round(2),
    "petal length (cm)": rng.uniform(1.0, 7.0, n).round(2),
    "petal width (cm)": rng.uniform(0.1, 2.5, n).round(2),
})
pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), ${JSON.stringify(parquet)}, row_group_size=125_000)
frame.to_csv(${JSON.stringify(csv)}, index=False)
pq.write_table(pa.Table.from_pandas(frame.head(${SMALL_ROWS}), preserve_index=False), ${JSON.stringify(smallParquet)}, row_group_size=12_500)
`;
  await execa(python, ['-c', script]);
}

/**
 * Digests of each output (parts in name order, rows in order: pandas' per-row hashes of every
 * column, then of the prediction alone) and of predict's predictions, one batch at a time.
 */
async function digestOutputs<Name extends string>(python: string, outputs: Record<Name, string>, predictJson?: string): Promise<Record<Name | 'predict', Digest>> {
  const script = `
import hashlib, json, os, sys
import numpy as np, pandas as pd, pyarrow.parquet as pq
outputs = json.loads(sys.argv[1])
result = {}
for name, out in outputs.items():
    rows_hash, predictions_hash, rows, columns = hashlib.sha256(), hashlib.sha256(), 0, None
    for part in sorted(f for f in os.listdir(out) if f.startswith("part-")):
        for batch in pq.ParquetFile(os.path.join(out, part)).iter_batches(batch_size=65536):
            frame = batch.to_pandas()
            columns = columns or list(frame.columns)
            rows += len(frame)
            rows_hash.update(pd.util.hash_pandas_object(frame.astype({"prediction": "int64"}), index=False).to_numpy().tobytes())
            predictions_hash.update(frame["prediction"].to_numpy(dtype="int64").tobytes())
    result[name] = {"rows": rows, "columns": columns, "rowsSha256": rows_hash.hexdigest(), "predictionsSha256": predictions_hash.hexdigest()}
if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        predictions = np.asarray(json.load(f)["predictions"], dtype="int64")
    result["predict"] = {"rows": len(predictions), "columns": None, "rowsSha256": None, "predictionsSha256": hashlib.sha256(predictions.tobytes()).hexdigest()}
print(json.dumps(result))
`;
  const { stdout } = await execa(python, ['-c', script, JSON.stringify(outputs), ...(predictJson ? [predictJson] : [])]);
  return JSON.parse(stdout) as Record<string, Digest>;
}
