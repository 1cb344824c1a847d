// Benchmark of `mlf models batch-predict --engine local` (issue 15). After `npm run build`:
//
//   node bench/batch.mjs [--rows 10000000] [--row-group 500000] [--workers 1,2] [--slice 1000000] [--keep-input]
//
// On fixtures/models/sklearn-iris with `--env-manager local` (the MLflow test venv's interpreter
// for every side, so that environment building is out of the picture), one run on one machine:
//   input     — --rows rows (an `id` and the four iris columns, test/e2e/py/batch_input.py) as
//               Parquet in row groups of --row-group rows, and the first --slice rows as CSV, in a
//               temp directory removed at the end (also on failure and Ctrl-C);
//   mlf       — `mlf models batch-predict` on the Parquet input for each --workers count: wall time,
//               rows/s, and peak RSS: of mlf's Node process, of the largest worker, and of the whole
//               process tree at once (/proc polled every 100 ms);
//   equality  — the SHA-256 of the output's predictions (in order) against MLflow's in-process
//               path below over the same 10,000,000 rows, and the output's input columns against the input;
//   reference — (a) MLflow's own in-process, Spark-free path: mlflow.pyfunc.load_model once and
//               predict per row group (bench/batch_reference.py), and (b) `mlflow models predict
//               --env-manager local` on the CSV slice (what a user without batch-predict runs),
//               each as rows/s; ratios are mlf's rows/s over theirs.
// Writes bench/results/batch-<time>.json and .md (gitignored) and prints the markdown.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const settings = {
  rows: Number(option('--rows', '10000000')),
  rowGroup: Number(option('--row-group', '500000')),
  workers: option('--workers', '1,2').split(',').map(Number),
  slice: Number(option('--slice', '1000000')),
};
const python = process.env.MLF_E2E_PYTHON ?? path.join(repo, '.e2e', 'venv', 'bin', 'python');
if (!existsSync(python)) throw new Error(`no MLflow Python at ${python} (set MLF_E2E_PYTHON)`);
if (!existsSync(path.join(repo, 'dist', 'bundle', 'main.mjs'))) throw new Error('run `npm run build` first');
const mlfBin = path.join(repo, 'bin', 'mlf.js');
const model = path.join(repo, 'fixtures', 'models', 'sklearn-iris');
const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-batch-'));
const localPath = `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
const env = { ...process.env, PATH: localPath, NO_COLOR: '1', MLF_HOME: path.join(work, 'mlf-home') };

const running = new Set();
function cleanUp() {
  for (const child of running) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** kB of a /proc/<pid>/status field, or 0. */
function statusKb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone
    }
  }
  const all = [];
  const walk = (p) => {
    for (const child of children.get(p) ?? []) {
      all.push(child);
      walk(child);
    }
  };
  walk(pid);
  return all;
}

/** Runs a command in its own process group; wall time, stdout, and the peak RSS of it and of its tree. */
function measured(file, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    let peakTreeKb = 0;
    let selfHwmKb = 0;
    const poll = setInterval(() => {
      const tree = [child.pid, ...descendants(child.pid)];
      peakTreeKb = Math.max(peakTreeKb, tree.reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0));
      selfHwmKb = Math.max(selfHwmKb, statusKb(child.pid, 'VmHWM'));
    }, 100);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      running.delete(child);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${path.basename(file)} ${args.slice(0, 3).join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      else resolve({ seconds, stdout, peakTreeKb, selfHwmKb });
    });
  });
}

const mb = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
const rate = (rows, seconds) => Math.round(rows / seconds);

console.error(`generating ${settings.rows} rows in ${work} ...`);
execFileSync(python, [path.join(repo, 'test/e2e/py/batch_input.py'), work, String(settings.rows), String(settings.rowGroup), 'parquet'], { stdio: 'inherit' });
const sliceDir = path.join(work, 'slice');
mkdirSync(sliceDir);
execFileSync(python, [path.join(repo, 'test/e2e/py/batch_input.py'), sliceDir, String(settings.slice), String(Math.min(settings.rowGroup, settings.slice)), 'csv'], { stdio: 'inherit' });
const input = path.join(work, 'in.parquet');

// Untimed: the worker's bytecode cache and the page cache warm for every side alike.
await measured(process.execPath, [mlfBin, 'models', 'batch-predict', '-m', model, '-i', path.join(sliceDir, 'in.csv'), '-o', path.join(work, 'warm'), '--env-manager', 'local', '-q']);

console.error('reference: MLflow in-process ...');
const reference = await measured(python, [path.join(repo, 'bench/batch_reference.py'), model, input]);
const ref = JSON.parse(reference.stdout);
console.error('reference: mlflow models predict on the slice ...');
const mlflowPredict = await measured(python, ['-m', 'mlflow', 'models', 'predict', '-m', model, '-i', path.join(sliceDir, 'in.csv'), '-t', 'csv', '-o', path.join(work, 'mlflow-out.json'), '--env-manager', 'local']);

const runs = [];
for (const workers of settings.workers) {
  console.error(`mlf batch-predict -w ${workers} ...`);
  const output = path.join(work, `out-${workers}`);
  const run = await measured(process.execPath, [mlfBin, 'models', 'batch-predict', '-m', model, '-i', input, '-o', output, '--env-manager', 'local', '-w', String(workers), '--json']);
  const report = JSON.parse(run.stdout);
  const check = JSON.parse(execFileSync(python, [path.join(repo, 'test/e2e/py/batch_output.py'), 'parquet', output, input, '--digest'], { maxBuffer: 1 << 26 }).toString());
  runs.push({ workers, seconds: run.seconds, rows: report.rows, partitions: report.partitions, mlfPeakKb: run.selfHwmKb, workerPeakKb: report.workerMaxRssKb, treePeakKb: run.peakTreeKb, digestEqual: check.digest === ref.digest, inputKept: check.input_kept });
  rmSync(output, { recursive: true, force: true });
}

const refRate = rate(ref.rows, reference.seconds);
const predictRate = rate(settings.slice, mlflowPredict.seconds);
const lines = [
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}`,
  `input: ${settings.rows} rows × 5 columns, Parquet, row groups of ${settings.rowGroup} rows; the model: fixtures/models/sklearn-iris`,
  '',
  '| run | rows | wall time | rows/s | vs MLflow in-process | vs `mlflow models predict` | peak RSS: mlf (Node) | largest worker | whole tree | predictions equal | input kept |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...runs.map((r) => `| mlf batch-predict -w ${r.workers} (${r.partitions} parts) | ${r.rows} | ${r.seconds.toFixed(1)} s | ${rate(r.rows, r.seconds)} | ${(rate(r.rows, r.seconds) / refRate).toFixed(2)}x | ${(rate(r.rows, r.seconds) / predictRate).toFixed(2)}x | ${mb(r.mlfPeakKb)} | ${r.workerPeakKb ? mb(r.workerPeakKb) : '?'} | ${mb(r.treePeakKb)} | ${r.digestEqual ? 'yes (SHA-256)' : '**no**'} | ${r.inputKept ? 'yes' : '**no**'} |`),
  `| MLflow in-process (load_model, predict per row group) | ${ref.rows} | ${reference.seconds.toFixed(1)} s (load ${ref.load_s.toFixed(1)} s) | ${refRate} | 1.00x | | | | ${mb(reference.peakTreeKb)} | reference | |`,
  `| MLflow in-process, scoring only (its load left out) | ${ref.rows} | ${ref.score_s.toFixed(1)} s | ${rate(ref.rows, ref.score_s)} | ${(rate(ref.rows, ref.score_s) / refRate).toFixed(2)}x | | | | | | |`,
  `| \`mlflow models predict --env-manager local\`, CSV slice | ${settings.slice} | ${mlflowPredict.seconds.toFixed(1)} s | ${predictRate} | | 1.00x | | | ${mb(mlflowPredict.peakTreeKb)} | | |`,
];
const markdown = lines.join('\n');
mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(path.join(repo, 'bench', 'results', `batch-${stamp}.json`), JSON.stringify({ settings, reference: ref, referenceSeconds: reference.seconds, mlflowPredictSeconds: mlflowPredict.seconds, runs }, null, 2));
writeFileSync(path.join(repo, 'bench', 'results', `batch-${stamp}.md`), `${markdown}\n`);
console.log(markdown);
