// Benchmark of `mlf models predict` against `mlflow models predict` (issue 3). After `npm run build`:
//
//   node bench/predict.mjs [--runs 3] [--rows 1000000] [--skip-cold] [--skip-big] [--skip-mlflow] [--managers uv,virtualenv]
//   node bench/predict.mjs --flavors [--runs 3] [--only xgboost,lightgbm]
//
// --flavors (issue 14) does only this, for each fixtures/flavors/ model, all with --env-manager local
// in the test Python that has its library (MLF_E2E_PYTHON; torch and keras: MLF_E2E_TORCH_PYTHON or
// .e2e/torch; tensorflow: MLF_E2E_TF_PYTHON or .e2e/tf): mlf's warm predict of request.json (median of --runs), a bare in-process run (median of --runs) in the
// same Python without mlflow (import the library, load the file, read the request with pandas,
// predict, json.dump: the floor), and `python -m mlflow models predict`; the ratios of one run, of wall
// and of CPU time.
//
// On the sklearn fixture, in one run on one machine:
//   cold  — empty environment caches (a fresh MLF_HOME / MLFLOW_ENV_ROOT), warm package caches
//           (uv's and pip's own caches are the user's);
//   warm  — the environment already built: the whole command, end to end, median of --runs;
//   big   — a CSV of --rows rows through the warm uv environment: wall time, CPU, and the peak RSS
//           of mlf's Node process and of its worker, next to `mlflow models predict` and to
//           predicting in-process in the same environment (load, read_csv, predict, json.dump).
// --skip-mlflow leaves out MLflow's warm runs (for comparing two builds of mlf: ~20 s a run saved).
// Prints a markdown report with the ratios. Needs the MLflow test Python (MLF_E2E_PYTHON or
// .e2e/venv/bin/python) for `python -m mlflow models predict`, and uv + virtualenv on PATH.
//
// MLflow's virtualenv manager runs `pyenv install --skip-existing X` in a fresh PYENV_ROOT on
// every call, which downloads and compiles CPython. For the mlflow runs only, bench/pyenv-stand-in/
// is put first on PATH: its `pyenv` links $PYENV_ROOT/versions/X to the MLflow test Python's own
// installation instead (see the script). That favours MLflow: it skips Python's download and build.
// Note that `mlflow models predict` (MLflow 3.17) builds its environment in a new temporary
// directory on every call (python_api.predict passes create_env_root_dir=True), so its "warm"
// runs rebuild the environment too, from warm package caches; MLFLOW_ENV_ROOT does not change that.
//
// Internal: `node bench/predict.mjs --child-mlf ARGS...` runs the CLI in this process and
// reports Node's own peak RSS (getrusage RUSAGE_SELF) on stderr, so that the worker's memory is
// not counted as Node's.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);

if (argv[0] === '--child-mlf') {
  // What bin/mlf.js runs: the early start, then the bundle (npm run build).
  const mlfArgv = ['node', 'mlf', ...argv.slice(1)];
  const bundle = path.join(repo, 'dist', 'bundle');
  const early = await import(path.join(bundle, 'early.mjs'));
  const earlyStart = early.startEarly(mlfArgv, process.env, process.cwd());
  const { main } = await import(path.join(bundle, 'main.mjs'));
  const code = await main(mlfArgv, { earlyStart });
  earlyStart.discard();
  process.stderr.write(`\nMLF_NODE_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
  process.exitCode = code;
} else if (argv.includes('--flavors')) {
  await flavorBenchmark();
} else {
  await benchmark();
}

async function benchmark() {
  const option = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const runs = Number(option('--runs', '3'));
  const rows = Number(option('--rows', '1000000'));
  const managers = option('--managers', 'uv,virtualenv').split(',');
  const python = process.env.MLF_E2E_PYTHON ?? path.join(repo, '.e2e', 'venv', 'bin', 'python');
  if (!existsSync(python)) throw new Error(`no MLflow Python at ${python} (set MLF_E2E_PYTHON)`);
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'main.mjs'))) throw new Error('run `npm run build` first');
  const model = path.join(repo, 'fixtures', 'models', 'sklearn-iris');
  const input = path.join(model, 'serving_input_example.json');
  const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-predict-'));
  const homes = { mlf: path.join(work, 'mlf-home'), mlflow: path.join(work, 'mlflow-envs') };
  const baseEnv = { ...process.env, NO_COLOR: '1', MLF_HOME: homes.mlf, MLFLOW_ENV_ROOT: homes.mlflow };
  const report = [];
  const say = (line = '') => {
    report.push(line);
    process.stderr.write(`${line}\n`);
  };

  const mlfArgs = (manager, extra = []) => ['models', 'predict', '-m', model, '-i', input, '--env-manager', manager, ...extra];
  const mlflowArgs = (manager, extra = []) => ['-m', 'mlflow', 'models', 'predict', '-m', model, '-i', input, '--env-manager', manager, ...extra];
  const runMlf = (args) => measure(process.execPath, [fileURLToPath(import.meta.url), '--child-mlf', ...args], baseEnv);
  const standIn = path.join(repo, 'bench', 'pyenv-stand-in');
  const mlflowEnv = {
    ...baseEnv,
    PATH: `${standIn}${path.delimiter}${process.env.PATH ?? ''}`,
    MLF_BENCH_PYENV_PYTHON: python,
  };
  const runMlflow = (args) => measure(python, args, mlflowEnv);

  say('# `mlf models predict` benchmark');
  say();
  say(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  say(`model: fixtures/models/sklearn-iris; runs per warm figure: ${runs}`);
  say(`PYTHONDONTWRITEBYTECODE: ${process.env.PYTHONDONTWRITEBYTECODE ? `\`${process.env.PYTHONDONTWRITEBYTECODE}\`` : 'unset'}; mlflow runs use the pyenv stand-in (bench/pyenv-stand-in/pyenv)`);
  say();

  const results = {};
  if (!argv.includes('--skip-cold')) {
    say('## Cold (empty environment cache, warm package cache)');
    say();
    say('| command | wall | CPU (user+sys) | exit |');
    say('| --- | --- | --- | --- |');
    for (const manager of managers) {
      rmSync(homes.mlf, { recursive: true, force: true });
      const r = await runMlf(mlfArgs(manager));
      results[`cold mlf ${manager}`] = r;
      say(`| \`mlf models predict --env-manager ${manager}\` | ${sec(r.ms)} | ${sec(r.cpuMs)} | ${r.code} |`);
    }
    for (const manager of managers) {
      rmSync(homes.mlflow, { recursive: true, force: true });
      const r = await runMlflow(mlflowArgs(manager));
      results[`cold mlflow ${manager}`] = r;
      say(`| \`mlflow models predict --env-manager ${manager}\` | ${sec(r.ms)} | ${sec(r.cpuMs)} | ${r.code} |`);
    }
    say();
    ratio(say, 'cold: mlflow (virtualenv) / mlf (uv)', results['cold mlflow virtualenv'], results['cold mlf uv'], 3);
    for (const manager of managers) ratio(say, `cold, same manager (${manager}): mlflow / mlf`, results[`cold mlflow ${manager}`], results[`cold mlf ${manager}`]);
    say();
  }

  say('## Warm (environment built), end to end');
  say();
  say('| command | median wall | min wall | median CPU | exit |');
  say('| --- | --- | --- | --- | --- |');
  for (const manager of managers) {
    const commands = [
      ['mlf', () => runMlf(mlfArgs(manager))],
      ['mlflow', () => runMlflow(mlflowArgs(manager))],
    ].filter(([label]) => label === 'mlf' || !argv.includes('--skip-mlflow'));
    for (const [label, run] of commands) {
      await run(); // builds the environment when the cold section was skipped
      const samples = [];
      for (let i = 0; i < runs; i += 1) samples.push(await run());
      const r = summarize(samples);
      results[`warm ${label} ${manager}`] = r;
      say(`| \`${label} models predict --env-manager ${manager}\` | ${sec(r.ms)} | ${sec(r.minMs)} | ${sec(r.cpuMs)} | ${r.code} |`);
    }
  }
  say();
  for (const manager of managers) ratio(say, `warm (${manager}): mlflow / mlf`, results[`warm mlflow ${manager}`], results[`warm mlf ${manager}`], 10);
  for (const manager of managers) {
    const timed = await runMlf(mlfArgs(manager, ['--json']));
    const parsed = timed.code === 0 ? JSON.parse(timed.stdout) : {};
    if (parsed.timings) say(`- one more warm mlf run (${manager}), its own timings (ms): ${JSON.stringify(parsed.timings)}; whole process ${Math.round(timed.ms)}`);
  }
  say();

  if (!argv.includes('--skip-big')) {
    const csv = path.join(work, 'big.csv');
    writeBigCsv(csv, rows);
    say(`## ${rows.toLocaleString('en')} rows of CSV (${(statSync(csv).size / 1e6).toFixed(0)} MB), warm uv environment`);
    say();
    const out = (name) => path.join(work, `${name}.json`);
    const mlf = await runMlf(['models', 'predict', '-m', model, '-i', csv, '-t', 'csv', '-o', out('mlf'), '--env-manager', 'uv', '--json']);
    const report = mlf.code === 0 ? JSON.parse(mlf.stdout) : {};
    const envPython = report.environment?.pythonPath;
    const mlflow = await runMlflow(['-m', 'mlflow', 'models', 'predict', '-m', model, '-i', csv, '-t', 'csv', '-o', out('mlflow'), '--env-manager', 'uv']);
    const script = [
      'import json, sys, time, pandas as pd, mlflow.pyfunc',
      'from mlflow.utils.proto_json_utils import NumpyEncoder',
      'from mlflow.pyfunc.scoring_server import predictions_to_json',
      `m = mlflow.pyfunc.load_model(${JSON.stringify(model)})`,
      `df = pd.read_csv(${JSON.stringify(csv)})`,
      'p = m.predict(df)',
      `predictions_to_json(p, open(${JSON.stringify(out('inprocess'))}, "w"))`,
    ].join('\n');
    // The leanest in-process run: the model file loaded with skops directly, no mlflow at all.
    const lean = [
      'import json, pandas as pd, skops.io',
      `m = skops.io.load(${JSON.stringify(path.join(model, 'model.skops'))}, trusted=None)`,
      `df = pd.read_csv(${JSON.stringify(csv)})`,
      'p = m.predict(df)',
      `json.dump({"predictions": p.tolist()}, open(${JSON.stringify(out('lean'))}, "w"))`,
    ].join('\n');
    // Like for like on bytecode: the baselines get a bytecode cache of their own (warmed by one
    // unmeasured run), as mlf's worker has its pycache prefix; otherwise, with
    // PYTHONDONTWRITEBYTECODE set, they would compile mlflow, pandas and scikit-learn from source.
    const inEnv = { ...baseEnv, PYTHONDONTWRITEBYTECODE: '' };
    const pyc = ['-X', `pycache_prefix=${path.join(work, 'baseline-pycache')}`];
    const runIn = async (code) => {
      if (!envPython) return { code: 'n/a', ms: NaN, cpuMs: NaN, maxRssKb: NaN };
      await measure(envPython, [...pyc, '-c', code], inEnv);
      return measure(envPython, [...pyc, '-c', code], inEnv);
    };
    const inProcess = await runIn(script);
    const leanRun = await runIn(lean);
    say('| run | wall | CPU | peak RSS | exit |');
    say('| --- | --- | --- | --- | --- |');
    say(`| mlf (whole tree) | ${sec(mlf.ms)} | ${sec(mlf.cpuMs)} | Node ${mb(mlf.nodeMaxRssKb)}, worker ${mb(report.workerMaxRssKb)} | ${mlf.code} |`);
    say(`| \`mlflow models predict\` (whole tree) | ${sec(mlflow.ms)} | ${sec(mlflow.cpuMs)} | largest process ${mb(mlflow.maxRssKb)} | ${mlflow.code} |`);
    say(`| in-process in the same environment, MLflow's way (mlflow.pyfunc.load_model, read_csv, predict, predictions_to_json) | ${sec(inProcess.ms)} | ${sec(inProcess.cpuMs)} | ${mb(inProcess.maxRssKb)} | ${inProcess.code} |`);
    say(`| in-process in the same environment, no mlflow (skops.io.load, read_csv, predict, json.dump) | ${sec(leanRun.ms)} | ${sec(leanRun.cpuMs)} | ${mb(leanRun.maxRssKb)} | ${leanRun.code} |`);
    say();
    if (mlf.code === 0 && mlflow.code === 0 && inProcess.code === 0 && leanRun.code === 0) {
      const mlfOut = readFileSync(out('mlf'), 'utf8');
      const same = ['mlflow', 'inprocess', 'lean'].every((name) => readFileSync(out(name), 'utf8') === mlfOut);
      say(`- outputs of mlf, \`mlflow models predict\` and both in-process runs byte-identical: ${same ? 'yes' : 'NO'}`);
    }
    ratio(say, 'mlf / in-process (MLflow\'s way)', mlf, inProcess, 1.3, true);
    ratio(say, 'mlf / in-process (no mlflow)', mlf, leanRun, 1.3, true);
    ratio(say, 'mlflow / mlf', mlflow, mlf);
    say(`- mlf's Node process peak RSS: ${mb(mlf.nodeMaxRssKb)} (target < 200 MB)`);
    if (report.timings) say(`- mlf timings (ms): ${JSON.stringify(report.timings)}`);
    say();
  }
  process.stdout.write(`${report.join('\n')}\n`);
  rmSync(work, { recursive: true, force: true });
}

// Per fixture: the bare load + predict, in Python, after `import json, pandas as pd` with the
// request read into `df` (a `dataframe_split` request) or `x` (an `inputs` one, as a float32 array)
// and the model file in `path`; it ends with `out` (what json.dump writes).
function bareRuns() {
  return {
    xgboost: ['model.ubj', 'import xgboost as xgb\nm = xgb.XGBClassifier()\nm.load_model(path)\nout = m.predict(df).tolist()'],
    'xgboost-booster': ['model.ubj', 'import xgboost as xgb\nm = xgb.Booster()\nm.load_model(path)\nout = m.predict(xgb.DMatrix(df)).tolist()'],
    lightgbm: ['model.lgb', 'import lightgbm as lgb\nout = lgb.Booster(model_file=path).predict(df).tolist()'],
    'lightgbm-sklearn': ['model.skops', 'import skops.io as sio\nm = sio.load(path, trusted=sio.get_untrusted_types(file=path))\nout = m.predict(df).tolist()'],
    catboost: ['model.cb', 'import catboost\nm = catboost.CatBoostClassifier()\nm.load_model(path)\nout = m.predict(df).tolist()'],
    statsmodels: ['model.statsmodels', 'import statsmodels.iolib.api as smio\nout = smio.load_pickle(path).predict(df).tolist()'],
    onnx: ['model.onnx', 'import onnxruntime as ort\ns = ort.InferenceSession(path, providers=["CPUExecutionProvider"])\nout = s.run(None, {"input": df.to_numpy(dtype="float32")})[0].tolist()'],
    'pytorch-pickle': ['data/model.pth', 'import torch\nm = torch.load(path, weights_only=False).eval()\nwith torch.no_grad():\n    out = m(torch.from_numpy(df.to_numpy(dtype="float32"))).tolist()'],
    'keras-no-signature': ['data/model.keras', 'import keras\nout = keras.saving.load_model(path).predict(df.values, verbose=0).tolist()'],
    // The tensor-signature fixtures: their request is `inputs`, here as the float32 array `x`.
    pytorch: ['data/model.pt2', 'import torch\nm = torch.export.load(path).module()\nwith torch.no_grad():\n    out = m(torch.from_numpy(x)).tolist()'],
    keras: ['data/model.keras', 'import keras\nout = keras.saving.load_model(path).predict(x, verbose=0).tolist()'],
    // Keras 3 on TensorFlow (mlflow.tensorflow): in .e2e/tf, KERAS_BACKEND=tensorflow.
    tensorflow: ['data/model.keras', 'import keras\nout = keras.saving.load_model(path).predict(x, verbose=0).tolist()'],
  };
}

async function flavorBenchmark() {
  const i = argv.indexOf('--runs');
  const runs = i >= 0 ? Number(argv[i + 1]) : 3;
  const pythons = {
    main: process.env.MLF_E2E_PYTHON ?? path.join(repo, '.e2e', 'venv', 'bin', 'python'),
    torch: process.env.MLF_E2E_TORCH_PYTHON ?? path.join(repo, '.e2e', 'torch', 'bin', 'python'),
    tf: process.env.MLF_E2E_TF_PYTHON ?? path.join(repo, '.e2e', 'tf', 'bin', 'python'),
  };
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'main.mjs'))) throw new Error('run `npm run build` first');
  const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-flavors-'));
  const lines = [
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; runs per mlf figure: ${runs}`,
    '',
    '| fixture | runtime | mlf warm (median) | bare load+predict (median) | `mlflow models predict` | mlf / bare | mlf / bare, CPU time | mlflow / mlf |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  const o = argv.indexOf('--only');
  const only = o >= 0 ? argv[o + 1].split(',') : undefined;
  for (const [name, [file, code]] of Object.entries(bareRuns()).filter(([n]) => !only || only.includes(n))) {
    const python = name === 'tensorflow' ? pythons.tf : name.startsWith('pytorch') || name.startsWith('keras') ? pythons.torch : pythons.main;
    if (!existsSync(python)) {
      lines.push(`| ${name} | n/a: no ${python} | | | | | | |`);
      continue;
    }
    const model = path.join(repo, 'fixtures', 'flavors', name, 'model');
    const request = path.join(repo, 'fixtures', 'flavors', name, 'request.json');
    // As in the tests: the local manager takes the Python first on PATH; the bytecode caches warm.
    const env = { ...process.env, NO_COLOR: '1', MLF_HOME: path.join(work, 'home'), KERAS_BACKEND: name === 'tensorflow' ? 'tensorflow' : 'torch', PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`, PYTHONDONTWRITEBYTECODE: '' };
    const mlfArgs = ['models', 'predict', '-m', model, '-i', request, '--env-manager', 'local'];
    const runMlf = (extra = []) => measure(process.execPath, [fileURLToPath(import.meta.url), '--child-mlf', ...mlfArgs, ...extra], env);
    const report = await runMlf(['--json']);
    const runtime = report.code === 0 ? JSON.parse(report.stdout).runtime : 'failed';
    const samples = [];
    for (let r = 0; r < runs; r += 1) samples.push(await runMlf());
    const mlf = summarize(samples);
    const script = [
      'import json, sys, numpy as np, pandas as pd',
      `req = json.load(open(${JSON.stringify(request)}))`,
      'split = req.get("dataframe_split")',
      'df = pd.DataFrame(split["data"], columns=split["columns"]) if split else None',
      'x = np.array(req["inputs"], dtype="float32") if "inputs" in req else None',
      `path = ${JSON.stringify(path.join(model, file))}`,
      code,
      'json.dump({"predictions": out}, sys.stdout)',
    ].join('\n');
    const pyc = ['-X', `pycache_prefix=${path.join(work, 'pycache')}`];
    // As many bare runs as mlf runs, after one that warms the bytecode cache.
    await measure(python, [...pyc, '-c', script], env);
    const bareSamples = [];
    for (let r = 0; r < runs; r += 1) bareSamples.push(await measure(python, [...pyc, '-c', script], env));
    const bare = summarize(bareSamples);
    const mlflow = await measure(python, [...pyc, '-m', 'mlflow', 'models', 'predict', '-m', model, '-i', request, '--env-manager', 'local'], env);
    // CPU time (user + sys of the command and the children it waited for) moves less than wall
    // time when other work shares the cores.
    const times = (a, b, key = 'ms') => (a.code === 0 && b.code === 0 && a[key] > 0 && b[key] > 0 ? `${(a[key] / b[key]).toFixed(2)}x` : 'n/a');
    const line = `| ${name} | ${runtime} | ${sec(mlf.ms)} | ${sec(bare.ms)} | ${sec(mlflow.ms)} | ${times(mlf, bare)} | ${times(mlf, bare, 'cpuMs')} | ${times(mlflow, mlf)} |`;
    lines.push(line);
    process.stderr.write(`${line}\n`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(work, { recursive: true, force: true });
}

/** Runs a command under GNU time (when present) for CPU time and the peak RSS of the largest process. */
function measure(command, args, env) {
  const gnuTime = existsSync('/usr/bin/time');
  const file = gnuTime ? '/usr/bin/time' : command;
  const fullArgs = gnuTime ? ['-f', 'BENCH_TIME %U %S %M', command, ...args] : args;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, fullArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const time = /BENCH_TIME ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      const node = /MLF_NODE_MAX_RSS_KB=(\d+)/.exec(stderr);
      if (code !== 0) process.stderr.write(`  (exit ${code}) ${command} ${args.join(' ')}\n${stderr.split('\n').slice(-8).join('\n')}\n`);
      resolve({
        code,
        ms,
        stdout,
        cpuMs: time ? (Number(time[1]) + Number(time[2])) * 1000 : NaN,
        maxRssKb: time ? Number(time[3]) : NaN,
        nodeMaxRssKb: node ? Number(node[1]) : NaN,
      });
    });
  });
}

function summarize(samples) {
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return {
    code: samples.every((s) => s.code === 0) ? 0 : samples.find((s) => s.code !== 0).code,
    ms: median(samples.map((s) => s.ms)),
    minMs: Math.min(...samples.map((s) => s.ms)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
  };
}

/** `a / b` of wall times; the target is a floor (a speed-up), or a ceiling when `atMost`. */
function ratio(say, label, a, b, target, atMost = false) {
  if (!a || !b || a.code !== 0 || b.code !== 0) {
    say(`- ${label}: n/a (a run failed)`);
    return;
  }
  const value = a.ms / b.ms;
  const met = atMost ? value <= target : value >= target;
  const verdict = target === undefined ? '' : ` (target ${atMost ? '≤' : '≥'} ${target}: ${met ? 'met' : 'NOT met'})`;
  say(`- ${label}: ${value.toFixed(2)}x${verdict}`);
}

/** Iris-like rows, deterministic, written in chunks so that the generator stays small. */
function writeBigCsv(file, rows) {
  const header = 'sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n';
  const base = [
    [5.1, 3.5, 1.4, 0.2],
    [7.0, 3.2, 4.7, 1.4],
    [6.3, 3.3, 6.0, 2.5],
    [5.9, 3.0, 5.1, 1.8],
  ];
  writeFileSync(file, header);
  const chunk = 100_000;
  for (let start = 0; start < rows; start += chunk) {
    const lines = [];
    for (let i = start; i < Math.min(rows, start + chunk); i += 1) {
      const row = base[i % base.length];
      const jitter = ((i * 7919) % 100) / 1000;
      lines.push(row.map((v) => (v + jitter).toFixed(3)).join(','));
    }
    writeFileSync(file, `${lines.join('\n')}\n`, { flag: 'a' });
  }
}

function sec(ms) {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a';
}

function mb(kb) {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MB` : 'n/a';
}
