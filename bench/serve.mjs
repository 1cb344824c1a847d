// Benchmark of `mlf models serve` against `mlflow models serve` (issue 11). After `npm run build`:
//
//   npm run bench:serve -- [--duration 8] [--warmup 2] [--workers 1,2] [--concurrency 1,16,64]
//                          [--rows 1,100] [--starts 5] [--batch-size 64] [--batch-delay-ms 2] [--skip-uv]
//
// On fixtures/models/sklearn-iris, in one run on one machine, loopback only:
//   throughput — for each worker count, three servers are up at once: `mlflow models serve`,
//     `mlf models serve` with batching off, and with batching on (`--max-batch-size`,
//     `--max-batch-delay-ms`; MLflow has no batching), all with `--env-manager local` (the same
//     interpreter, the MLflow test venv, so that environment building is out of the picture).
//     For each payload (a `dataframe_split` of 1 or 100 iris rows, the same bytes for every server)
//     and each concurrency, autocannon measures each server in turn for --duration seconds after
//     --warmup seconds of the same load (then one request, answered once the warm-up's last ones
//     are: the measured run starts on an idle server): one cell's three servers run back to back, so that other
//     work on the machine weighs on all three alike. Before measuring, each server's answer to each
//     payload is checked (200, and the same body from all three).
//   time to ready — spawn to the first 200 from GET /ping (polled every 10 ms), median of --starts
//     starts per server, interleaved, after one untimed start of each (warm environment, warm
//     caches): mlflow and mlf with `--env-manager local`, and mlf with its own uv environment
//     (built once before, untimed; --skip-uv leaves it out).
// Every server runs in its own process group and is stopped at the end, on failure and on Ctrl-C
// too. Writes bench/results/serve-<time>.json and .md (gitignored) and prints the markdown.
// Needs the MLflow test Python (MLF_E2E_PYTHON or .e2e/venv/bin/python) and, for the uv figure, uv on PATH.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const list = (name, fallback) => option(name, fallback).split(',').map(Number);
const settings = {
  durationS: Number(option('--duration', '8')),
  warmupS: Number(option('--warmup', '2')),
  workers: list('--workers', '1,2'),
  concurrency: list('--concurrency', '1,16,64'),
  rows: list('--rows', '1,100'),
  starts: Number(option('--starts', '5')),
  batchSize: Number(option('--batch-size', '64')),
  batchDelayMs: Number(option('--batch-delay-ms', '2')),
  uv: !argv.includes('--skip-uv'),
};

const python = process.env.MLF_E2E_PYTHON ?? path.join(repo, '.e2e', 'venv', 'bin', 'python');
if (!existsSync(python)) throw new Error(`no MLflow Python at ${python} (set MLF_E2E_PYTHON)`);
const mlfBin = path.join(repo, 'bin', 'mlf.js');
if (!existsSync(path.join(repo, 'dist', 'bundle', 'main.mjs'))) throw new Error('run `npm run build` first');
const model = path.join(repo, 'fixtures', 'models', 'sklearn-iris');
const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-serve-'));
// `--env-manager local` runs the interpreter PATH finds first: the MLflow test venv's, for both.
const localPath = `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
const baseEnv = { ...process.env, PATH: localPath, NO_COLOR: '1', MLF_HOME: path.join(work, 'mlf-home') };

// ---------------------------------------------------------------- processes, always stopped
const running = new Set();
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
function stopAllNow() {
  for (const child of running) killGroup(child, 'SIGKILL');
  running.clear();
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', stopAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAllNow();
    process.exit(130);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1_000, () => req.destroy());
  });
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const servers = {
  mlflow: { label: 'mlflow', command: (port, workers) => [python, ['-m', 'mlflow', 'models', 'serve', '-m', model, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port), '-w', String(workers)]] },
  mlf: { label: 'mlf', command: (port, workers) => [process.execPath, [mlfBin, 'models', 'serve', '-m', model, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port), '-w', String(workers)]] },
  mlfBatch: {
    label: `mlf, batching (${settings.batchSize}, ${settings.batchDelayMs} ms)`,
    command: (port, workers) => [
      process.execPath,
      [mlfBin, 'models', 'serve', '-m', model, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port), '-w', String(workers), '--max-batch-size', String(settings.batchSize), '--max-batch-delay-ms', String(settings.batchDelayMs)],
    ],
  },
  mlfUv: { label: 'mlf, own uv env', command: (port, workers) => [process.execPath, [mlfBin, 'models', 'serve', '-m', model, '--env-manager', 'uv', '-h', '127.0.0.1', '-p', String(port), '-w', String(workers)]] },
};

/** Starts a server; resolves with its url and the milliseconds from spawn to the first 200 on /ping. */
async function start(kind, workers, timeoutMs = 300_000) {
  const port = await freePort();
  const [file, args] = servers[kind].command(port, workers);
  const spawned = performance.now();
  const child = spawn(file, args, { cwd: work, env: baseEnv, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  running.add(child);
  const stderr = [];
  child.stderr.on('data', (chunk) => {
    stderr.push(chunk.toString());
    if (stderr.length > 200) stderr.shift();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if ((await get(`${url}/ping`)) === 200) break;
    if (exited || performance.now() - spawned > timeoutMs) {
      await stop({ child });
      throw new Error(`${servers[kind].label} did not become ready:\n${stderr.join('').slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { kind, child, url, readyMs: performance.now() - spawned };
}

/** SIGTERM to the server's process group (MLflow's uvicorn is a child of its CLI), SIGKILL after 15 s. */
async function stop(server) {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exit = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  }
  // Whatever is left of the group (uvicorn's workers).
  killGroup(child, 'SIGKILL');
  running.delete(child);
}

// ---------------------------------------------------------------- payloads
const IRIS = [
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
  [5.9, 3.0, 5.1, 1.8],
];
const COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
const payload = (rows) => JSON.stringify({ dataframe_split: { columns: COLUMNS, data: Array.from({ length: rows }, (_, i) => IRIS[i % IRIS.length]) } });

function load(url, body, connections, durationS) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `${url}/invocations`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: durationS, pipelining: 1, timeout: 30 },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function measure(url, body, connections) {
  if (settings.warmupS > 0) await load(url, body, connections, settings.warmupS);
  // autocannon closes its connections with requests still waiting in the server; neither server
  // drops those. One request more waits behind them all: once it is answered, the measured run
  // starts on an idle server.
  await post(`${url}/invocations`, body);
  const r = await load(url, body, connections, settings.durationS);
  return {
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

// ---------------------------------------------------------------- report
const report = [];
const say = (line = '') => {
  report.push(line);
  process.stdout.write(`${line}\n`);
};
const version = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', env: baseEnv }).trim();
  } catch {
    return '?';
  }
};
const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

const startedAt = new Date();
const results = { settings, machine: {}, throughput: [], ready: {} };
try {
  results.machine = {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    python: version(python, ['-c', 'import sys; print(sys.version.split()[0])']),
    mlflow: version(python, ['-c', 'import importlib.metadata as m; print(m.version("mlflow"))']),
    uvicorn: version(python, ['-c', 'import importlib.metadata as m; print(m.version("uvicorn"))']),
    autocannon: JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("autocannon/package.json").version)'], { cwd: repo, encoding: 'utf8' })),
    loadAtStart: loadAverage(),
  };
  say('# `mlf models serve` benchmark');
  say();
  say(`command: \`node bench/serve.mjs ${argv.join(' ')}\`${argv.length ? '' : ' (defaults)'}; ${startedAt.toISOString()}`);
  say(`machine: ${results.machine.cpus}, ${results.machine.memoryGb} GB, Node ${results.machine.node}, Python ${results.machine.python}, MLflow ${results.machine.mlflow} (uvicorn ${results.machine.uvicorn}), autocannon ${results.machine.autocannon}; load average at start ${results.machine.loadAtStart}`);
  say(`model: fixtures/models/sklearn-iris; ${settings.durationS} s per cell after ${settings.warmupS} s of warm-up; batching: --max-batch-size ${settings.batchSize} --max-batch-delay-ms ${settings.batchDelayMs}`);
  say();

  const kinds = ['mlflow', 'mlf', 'mlfBatch'];
  for (const workers of settings.workers) {
    say(`## ${workers} worker${workers === 1 ? '' : 's'}: requests per second (2xx only), p50 / p99 latency in ms`);
    say();
    const up = [];
    try {
      for (const kind of kinds) up.push(await start(kind, workers));
      for (const rows of settings.rows) {
        const body = payload(rows);
        const answers = await Promise.all(up.map((s) => post(`${s.url}/invocations`, body)));
        if (answers.some((a) => a.status !== 200 || a.body !== answers[0].body)) {
          throw new Error(`the servers answer the ${rows}-row payload differently: ${JSON.stringify(answers).slice(0, 2_000)}`);
        }
      }
      say('| rows | conc. | ' + kinds.map((k) => `${servers[k].label} rps | p50 | p99`).join(' | ') + ' | mlf / mlflow rps | p99 mlf / mlflow | batching / mlflow rps |');
      say('| ' + Array(2 + kinds.length * 3 + 3).fill('---').join(' | ') + ' |');
      for (const rows of settings.rows) {
        const body = payload(rows);
        for (const connections of settings.concurrency) {
          const cell = { workers, rows, connections };
          for (const server of up) {
            cell[server.kind] = await measure(server.url, body, connections);
            process.stderr.write(`  ${workers}w ${rows} rows c${connections} ${servers[server.kind].label}: ${Math.round(cell[server.kind].rps)} rps\n`);
          }
          results.throughput.push(cell);
          const bad = kinds.filter((k) => cell[k].non2xx || cell[k].errors).map((k) => `${servers[k].label}: ${cell[k].non2xx} non-2xx, ${cell[k].errors} errors`);
          say(
            `| ${rows} | ${connections} | ` +
              kinds.map((k) => `${Math.round(cell[k].rps)} | ${ms(cell[k].p50)} | ${ms(cell[k].p99)}`).join(' | ') +
              ` | ${(cell.mlf.rps / cell.mlflow.rps).toFixed(2)}x | ${(cell.mlf.p99 / cell.mlflow.p99).toFixed(2)} | ${(cell.mlfBatch.rps / cell.mlflow.rps).toFixed(2)}x |` +
              (bad.length ? ` ${bad.join('; ')}` : ''),
          );
        }
      }
    } finally {
      await Promise.all(up.map(stop));
    }
    say();
  }

  say(`## Time from spawn to the first 200 on GET /ping (warm), median of ${settings.starts}`);
  say();
  const readyKinds = settings.uv ? ['mlflow', 'mlf', 'mlfUv'] : ['mlflow', 'mlf'];
  // Untimed: builds mlf's uv environment, fills the OS's file cache and the bytecode caches.
  for (const kind of readyKinds) await stop(await start(kind, 1, 600_000));
  const samples = Object.fromEntries(readyKinds.map((k) => [k, []]));
  for (let i = 0; i < settings.starts; i += 1) {
    for (const kind of readyKinds) {
      const server = await start(kind, 1);
      samples[kind].push(server.readyMs);
      await stop(server);
    }
  }
  say('| server | median ms | min | max | ratio to mlflow |');
  say('| --- | --- | --- | --- | --- |');
  for (const kind of readyKinds) {
    const m = median(samples[kind]);
    results.ready[kind] = { medianMs: m, samplesMs: samples[kind] };
    say(`| ${servers[kind].label} (${kind === 'mlfUv' ? '--env-manager uv' : '--env-manager local'}) | ${Math.round(m)} | ${Math.round(Math.min(...samples[kind]))} | ${Math.round(Math.max(...samples[kind]))} | ${(m / median(samples.mlflow)).toFixed(2)} |`);
  }
  say();
  results.machine.loadAtEnd = loadAverage();
  say(`load average at the end: ${results.machine.loadAtEnd}; took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`);
} finally {
  const out = path.join(repo, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(path.join(out, `serve-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(out, `serve-${stamp}.md`), `${report.join('\n')}\n`);
  process.stderr.write(`results: bench/results/serve-${stamp}.{json,md}\n`);
}
