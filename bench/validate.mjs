// Benchmark of `mlf models validate` (issue 5). Run after `npm run build`:
//
//   node bench/validate.mjs [--runs 15] [--models 1000]
//
// 1. One model: wall time of the whole command, Node start-up included, over several runs,
//    next to `node -e 0` (bare Node start-up) and `mlf --version` (the CLI's own start-up).
// 2. Many models: one call over N model directories (copies of the broken-model corpus and the
//    real fixtures), measuring total wall time, time to the first streamed result, and the
//    peak RSS of the process (from /usr/bin/time, or /proc when it is absent).
// Prints a markdown report (bench/validate-results.md holds the last one written by hand).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NODE_ESM_OPTIONS } from '../scripts/esbuild-node.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mlf = path.join(repo, 'bin', 'mlf.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = option('--runs', 15);
const modelCount = option('--models', 1000);
const singleModel = path.join(repo, 'fixtures', 'models', 'sklearn-iris');

function run(command, argv, { onFirstOutput } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let first;
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stdout.on('data', () => {
      if (first === undefined) {
        first = Number(process.hrtime.bigint() - start) / 1e6;
        onFirstOutput?.(first);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ms: Number(process.hrtime.bigint() - start) / 1e6, firstOutputMs: first, stderr }));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => `${ms.toFixed(0)} ms`;

const hasGnuTime = existsSync('/usr/bin/time');

/** Wall time, and CPU time (user + sys) when /usr/bin/time is there: CPU time barely moves when other work shares the machine. */
async function timeMany(label, command, argv) {
  const times = [];
  const cpu = [];
  for (let i = 0; i < runs; i += 1) {
    if (hasGnuTime) {
      const result = await run('/usr/bin/time', ['-f', 'CPU_S=%U+%S', command, ...argv]);
      const match = /CPU_S=([0-9.]+)\+([0-9.]+)/.exec(result.stderr);
      times.push(result.ms);
      if (match) cpu.push((Number(match[1]) + Number(match[2])) * 1000);
    } else {
      times.push((await run(command, argv)).ms);
    }
  }
  return { label, median: median(times), min: Math.min(...times), max: Math.max(...times), cpu: cpu.length ? median(cpu) : undefined };
}

// validate alone, bundled as the CLI is (scripts/bundle.mjs), outside the timed runs.
const directDir = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-validate-direct-'));
const directBundle = path.join(directDir, 'validate.mjs');
await build({ ...NODE_ESM_OPTIONS, entryPoints: [path.join(repo, 'src', 'ops', 'validate.ts')], outfile: directBundle });

const lines = [];
lines.push(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
lines.push('');
lines.push(`## One model (${path.relative(repo, singleModel)}), ${runs} runs each`);
lines.push('');
lines.push('| command | median wall | min wall | max wall | median CPU (user+sys) |');
lines.push('| --- | --- | --- | --- | --- |');
for (const r of [
  await timeMany('`node -e 0` (bare Node start-up)', process.execPath, ['-e', '0']),
  await timeMany('`mlf --version` (CLI start-up)', process.execPath, [mlf, '--version']),
  await timeMany('`mlf models validate MODEL`', process.execPath, [mlf, 'models', 'validate', singleModel]),
  await timeMany('`mlf models validate MODEL --format json`', process.execPath, [mlf, 'models', 'validate', singleModel, '--format', 'json']),
  await timeMany('validate alone: `node bench/validate-direct.mjs MODEL` (no CLI, no other commands loaded)', process.execPath, [path.join(repo, 'bench', 'validate-direct.mjs'), directBundle, singleModel]),
]) {
  lines.push(`| ${r.label} | ${fmt(r.median)} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.cpu === undefined ? 'n/a' : fmt(r.cpu)} |`);
}

// Many models: copies of every corpus directory and real fixture, cycled up to modelCount.
const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-validate-'));
const sources = [
  ...readdirSync(path.join(repo, 'fixtures', 'broken'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(repo, 'fixtures', 'broken', e.name)),
  ...readdirSync(path.join(repo, 'fixtures', 'models'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(repo, 'fixtures', 'models', e.name)),
];
const dirs = [];
for (let i = 0; i < modelCount; i += 1) {
  const target = path.join(work, `m${String(i).padStart(5, '0')}`);
  cpSync(sources[i % sources.length], target, { recursive: true });
  dirs.push(target);
}
const manyArgs = [mlf, 'models', 'validate', '--format', 'json', ...dirs];
let result;
let peakKb;
if (hasGnuTime) {
  result = await run('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, ...manyArgs]);
  peakKb = Number(/MAXRSS_KB=(\d+)/.exec(result.stderr)?.[1]);
} else {
  result = await run(process.execPath, manyArgs);
}
lines.push('');
lines.push(`## ${modelCount} model directories in one call (\`--format json\`, results streamed)`);
lines.push('');
lines.push('| measure | value |');
lines.push('| --- | --- |');
lines.push(`| total wall time | ${fmt(result.ms)} (${(result.ms / modelCount).toFixed(1)} ms per model) |`);
lines.push(`| first result on stdout after | ${fmt(result.firstOutputMs ?? NaN)} |`);
lines.push(`| peak RSS | ${peakKb ? `${(peakKb / 1024).toFixed(0)} MB` : 'n/a (no /usr/bin/time)'} |`);
lines.push(`| exit code | ${result.code} (the corpus has errors by design) |`);
rmSync(work, { recursive: true, force: true });
rmSync(directDir, { recursive: true, force: true });
console.log(lines.join('\n'));
