// Benchmark of `mlf models batch-predict --engine spark` against MLflow's own way of scoring on
// Spark, `mlflow.pyfunc.spark_udf(spark, model_uri, env_manager=...)`, on the same standalone
// cluster (test/support/spark-cluster.ts: a master and two one-core workers on 127.0.0.1, from
// PySpark of .e2e/spark) and the same Parquet input of the sklearn fixture. After `npm run build`:
//
//   node bench/spark.mjs [--rows 1000000] [--managers uv,virtualenv] [--skip-mlflow] [--skip-mlf]
//
// For each side: the wall time of the whole command (mlf: the CLI end to end, environment prepared
// or reused, packed, shipped, scored, committed; MLflow: spark-submit of a script that reads the
// Parquet, applies spark_udf and writes Parquet), and the environment builds per executor, counted
// from the executors' own logs (`<worker>/<app>/<executor>/stderr`): MLflow logs "Creating a new
// environment in ..." for every environment it builds; mlf builds none there (its job refuses any
// Python but the shipped archive's, and the virtual environments under the workers' dirs are
// counted too).
//
// MLflow's virtualenv env manager runs `pyenv install`: bench/pyenv-stand-in/ is put first on the
// executors' PATH (see bench/predict.mjs), which favours MLflow (no CPython build). The executors'
// own Python for spark_udf is the MLflow test Python (MLF_E2E_PYTHON or .e2e/venv), which
// spark_udf needs on every executor. mlf's first run includes building its environment (warm
// package caches); its second reuses it. Prints a markdown report (bench/spark-results.md holds one).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NODE_ESM_OPTIONS } from '../scripts/esbuild-node.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const rows = Number(option('--rows', '1000000'));
const managers = option('--managers', 'uv,virtualenv').split(',');
const python = process.env.MLF_E2E_PYTHON ?? path.join(repo, '.e2e', 'venv', 'bin', 'python');
if (!existsSync(python)) throw new Error(`no MLflow Python at ${python} (set MLF_E2E_PYTHON)`);
if (!existsSync(path.join(repo, 'dist', 'bundle', 'main.mjs'))) throw new Error('run `npm run build` first');
// The helpers find PySpark from the repository they are bundled out of: told here instead.
if (!process.env.MLF_E2E_SPARK_HOME) {
  const lib = path.join(repo, '.e2e', 'spark', 'lib');
  const home = existsSync(lib) ? readdirSync(lib).map((v) => path.join(lib, v, 'site-packages', 'pyspark')).find((dir) => existsSync(path.join(dir, 'bin', 'spark-submit'))) : undefined;
  if (!home) throw new Error('no PySpark in .e2e/spark (run .ci/run, or set MLF_E2E_SPARK_HOME)');
  process.env.MLF_E2E_SPARK_HOME = home;
}
// A failed spark_udf run's whole output is kept here, outside the work dir that is removed.
const logDir = os.tmpdir();
const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-spark-'));
process.env.TMPDIR = work; // the cluster's temp dirs (test/support/temp.ts) go under it too

// The cluster helpers are the e2e test's own (TypeScript): bundled for plain Node.
const helpers = path.join(work, 'helpers.mjs');
await build({
  ...NODE_ESM_OPTIONS,
  stdin: { contents: "export * from './test/support/spark-cluster.ts';", resolveDir: repo, loader: 'ts' },
  outfile: helpers,
  sourcemap: false,
});
const { startSparkCluster, executorDirs } = await import(helpers);

const model = path.join(repo, 'fixtures', 'models', 'sklearn-iris');
const input = path.join(work, 'input.parquet');
const report = [];
const say = (line = '') => {
  report.push(line);
  process.stderr.write(`${line}\n`);
};

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, seconds: (performance.now() - started) / 1000, output, stdout }));
  });
}

/** The executors of one application: their dirs, the environments MLflow logged building, the venvs under them. */
function executorFacts(cluster, appId) {
  const dirs = executorDirs(cluster).filter((dir) => path.basename(path.dirname(dir)) === appId);
  return dirs.map((dir) => {
    const stderr = existsSync(path.join(dir, 'stderr')) ? readFileSync(path.join(dir, 'stderr'), 'utf8') : '';
    const venvs = readdirSync(dir, { recursive: true }).filter((name) => String(name).endsWith('pyvenv.cfg')).length;
    return { dir, builds: (stderr.match(/Creating a new environment in /g) ?? []).length, venvs };
  });
}

const appIdOf = (output) => /app-\d{14}-\d{4}/.exec(output)?.[0];

const cluster = await startSparkCluster().catch((error) => {
  rmSync(work, { recursive: true, force: true });
  throw error;
});
try {
  const made = await run(python, ['-c', `
import numpy as np, pandas as pd
rng = np.random.default_rng(15)
n = ${rows}
pd.DataFrame({
    "sepal length (cm)": rng.uniform(4.0, 8.0, n).round(2), "sepal width (cm)": rng.uniform(2.0, 4.5, n).round(2),
    "petal length (cm)": rng.uniform(1.0, 7.0, n).round(2), "petal width (cm)": rng.uniform(0.1, 2.5, n).round(2),
}).to_parquet(${JSON.stringify(input)}, index=False, row_group_size=125_000)
`], process.env);
  if (made.code !== 0) throw new Error(made.output);

  say('# `mlf models batch-predict --engine spark` vs `mlflow.pyfunc.spark_udf`');
  say();
  say(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with other work: times are noisy)`);
  say(`cluster: Spark standalone from PySpark (.e2e/spark), 1 master + 2 workers × 1 core, 1 GB each, on 127.0.0.1; input: ${rows.toLocaleString('en')} rows of Parquet (fixtures/models/sklearn-iris's four columns)`);
  say();
  say('| run | wall | exit | executors | environment builds per executor | virtual environments under the executors\' dirs |');
  say('| --- | --- | --- | --- | --- | --- |');

  const mlfHome = path.join(work, 'mlf-home');
  const sparkEnv = { ...process.env, ...cluster.env, NO_COLOR: '1', MLF_HOME: mlfHome };
  for (const label of argv.includes('--skip-mlf') ? [] : ['first (environment built)', 'second (environment reused)']) {
    const out = path.join(work, 'out-mlf');
    const r = await run(process.execPath, [path.join(repo, 'bin', 'mlf.js'), 'models', 'batch-predict', '-m', model, '-i', input, '-o', out, '--engine', 'spark',
      '--master', cluster.masterUrl, '--partitions', '2', '--env-manager', 'uv', '--json'], sparkEnv);
    const record = r.code === 0 ? JSON.parse(readFileSync(path.join(out, '_mlf_batch', 'spark.json'), 'utf8')) : {};
    const facts = record.application_id ? executorFacts(cluster, record.application_id) : [];
    say(`| mlf, ${label} | ${r.seconds.toFixed(1)} s | ${r.code} | ${facts.length} | ${facts.map((f) => f.builds).join(', ') || 'n/a'} | ${facts.map((f) => f.venvs).join(', ') || 'n/a'} (the unpacked archive) |`);
    if (r.code !== 0) say(`  - failed: ${r.output.split('\n').filter(Boolean).slice(-3).join(' / ')}`);
  }

  if (!argv.includes('--skip-mlflow')) {
    const script = path.join(work, 'spark_udf_job.py');
    writeFileSync(script, [
      'import sys',
      'import mlflow.pyfunc',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.appName("mlflow spark_udf").getOrCreate()',
      'frame = spark.read.parquet(sys.argv[1])',
      'udf = mlflow.pyfunc.spark_udf(spark, sys.argv[2], env_manager=sys.argv[4], result_type="long")',
      'frame.withColumn("prediction", udf(*frame.columns)).write.mode("overwrite").parquet(sys.argv[3])',
      'print("application", spark.sparkContext.applicationId)',
      'spark.stop()',
      '',
    ].join('\n'));
    const standIn = path.join(repo, 'bench', 'pyenv-stand-in');
    for (const manager of managers) {
      const env = {
        ...process.env, ...cluster.env,
        PATH: `${standIn}${path.delimiter}${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`,
        MLF_BENCH_PYENV_PYTHON: python,
        PYSPARK_PYTHON: python,
        PYSPARK_DRIVER_PYTHON: python,
      };
      // The executors inherit the workers' environment, not spark-submit's: what MLflow's env
      // managers run there (pyenv, virtualenv, uv) is put on their PATH through executorEnv.
      const executorEnv = ['PATH', 'MLF_BENCH_PYENV_PYTHON'].flatMap((name) => ['--conf', `spark.executorEnv.${name}=${env[name]}`]);
      const r = await run(path.join(cluster.sparkHome, 'bin', 'spark-submit'), ['--master', cluster.masterUrl, ...executorEnv, script, input, model, path.join(work, `out-mlflow-${manager}`), manager], env);
      const appId = appIdOf(r.output);
      const facts = appId ? executorFacts(cluster, appId) : [];
      say(`| \`spark_udf(env_manager="${manager}")\` | ${r.seconds.toFixed(1)} s | ${r.code} | ${facts.length} | ${facts.map((f) => f.builds).join(', ') || 'n/a'} | ${facts.map((f) => f.venvs).join(', ') || 'n/a'} |`);
      if (r.code !== 0) {
        say(`  - failed: ${r.output.split('\n').filter((l) => /Error|Exception/.test(l)).slice(-2).join(' / ').slice(0, 400)}`);
        writeFileSync(path.join(logDir, `mlf-bench-spark-udf-${manager}.log`), r.output);
      }
    }
  }
  say();
  say('Environment builds per executor are counted from each executor\'s stderr (MLflow\'s "Creating a new environment in" log line); mlf\'s executors run the shipped archive and build none.');
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${report.join('\n')}\n`);
