// Benchmark of the serving images (issue 13): mlf's image of the sklearn fixture next to the one
// `mlflow models generate-dockerfile` writes for the same model. Run after `npm run build`, as root,
// with the MLflow test venv (.e2e/venv):
//
//   node bench/docker.mjs [--skip-mlflow]
//
// Both are built on the same local base image (test/support/docker-base.ts: Debian bookworm's
// Python 3.11 made with debootstrap; no registry is reachable here): mlf's through --base-image and
// --node-image, MLflow's by replacing the `FROM python:3.11.7-slim` line of its generated Dockerfile
// with that image, the same swap. Each is built cold (empty build cache), then again after a change
// to the model file alone. Always on a dockerd of its own (test/support/docker-engine.ts), started
// empty, so that no image of an earlier build can serve as the legacy builder's cache.
// Prints a markdown table (bench/docker-results.md holds the last one written by hand).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { NODE_ESM_OPTIONS } from '../scripts/esbuild-node.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.MLF_E2E_PYTHON ?? path.join(repo, '.e2e', 'venv', 'bin', 'python');
const work = mkdtempSync(path.join(os.tmpdir(), 'mlf-bench-docker-'));
const run = promisify(execFile);

// The engine and base-image helpers are the e2e test's own (TypeScript): bundled for plain Node.
const helpers = path.join(work, 'helpers.mjs');
await build({
  ...NODE_ESM_OPTIONS,
  stdin: { contents: "export * from './test/support/docker-engine.ts'; export * from './test/support/docker-base.ts';", resolveDir: repo, loader: 'ts' },
  outfile: helpers,
  sourcemap: false,
});
const { startDockerEngine, ensureLocalBaseImages } = await import(helpers);

/** Runs a command, streaming nothing; resolves with its output and seconds. */
function timed(command, args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output.slice(-3000)}`));
      else resolve({ seconds, output });
    });
  });
}

/** A copy of the fixture whose model file differs (the same zip with a comment). */
async function changedModel(dir) {
  const target = path.join(work, `iris-${path.basename(dir)}`);
  cpSync(path.join(repo, 'fixtures', 'models', 'sklearn-iris'), target, { recursive: true });
  await run(python, ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "a") as z: z.comment = b"bench"', path.join(target, 'model.skops')]);
  return target;
}

delete process.env.MLF_E2E_DOCKER_HOST;
const outcome = await startDockerEngine();
if (!outcome.ok) throw new Error(`no Docker engine: ${outcome.reason}`);
const { engine } = outcome;
const env = engine.env;
const rows = [];
try {
  const bases = await ensureLocalBaseImages(path.join(repo, '.e2e', 'docker-base'), (args) => engine.docker(args));
  const size = async (tag) => Math.round(Number((await engine.docker(['image', 'inspect', '--format', '{{.Size}}', tag])).trim()) / 1e6);
  // Cold: neither image nor any build cache left from an earlier run (the legacy builder's cache
  // is the parent chain of the tagged image, removed with it).
  const fresh = async () => {
    await engine.docker(['image', 'rm', '--force', 'mlf-bench-iris:mlf', 'mlf-bench-iris:mlflow']).catch(() => '');
    await engine.docker(['builder', 'prune', '--all', '--force']);
  };

  // mlf
  const mlfTag = 'mlf-bench-iris:mlf';
  const mlfBuild = (model) => timed(process.execPath, [path.join(repo, 'bin', 'mlf.js'), 'models', 'build-docker', '-m', model, '-n', mlfTag, '--base-image', bases.python, '--node-image', bases.node, '--network', 'host', '-q'], env);
  await fresh();
  const mlfCold = await mlfBuild(path.join(repo, 'fixtures', 'models', 'sklearn-iris'));
  const mlfRebuild = await mlfBuild(await changedModel('mlf'));
  rows.push({ image: 'mlf (`mlf models build-docker`, uv)', size: await size(mlfTag), cold: mlfCold.seconds, rebuild: mlfRebuild.seconds });

  // MLflow: its generated Dockerfile, FROM swapped for the same local base.
  const mlflowTag = 'mlf-bench-iris:mlflow';
  if (!process.argv.includes('--skip-mlflow')) {
  const mlflowBuild = async (model, name) => {
    const context = path.join(work, `mlflow-${name}`);
    await run(python, ['-m', 'mlflow', 'models', 'generate-dockerfile', '-m', model, '-d', context], { env: { ...process.env } });
    const dockerfile = path.join(context, 'Dockerfile');
    const text = readFileSync(dockerfile, 'utf8');
    if (!/^FROM python:\S+-slim$/m.test(text)) throw new Error("MLflow's Dockerfile has no `FROM python:X.Y.Z-slim` line to swap");
    writeFileSync(dockerfile, text.replace(/^FROM python:\S+-slim$/m, `FROM ${bases.python}`));
    return timed('docker', ['build', '--network', 'host', '-t', mlflowTag, context], { ...env, DOCKER_BUILDKIT: '0' });
  };
  await fresh();
  const mlflowCold = await mlflowBuild(path.join(repo, 'fixtures', 'models', 'sklearn-iris'), 'cold');
  // MLflow's context names the model directory after the model: the changed copy keeps its name.
  const changed = path.join(work, 'changed', 'sklearn-iris');
  cpSync(await changedModel('mlflow'), changed, { recursive: true });
  const mlflowRebuild = await mlflowBuild(changed, 'rebuild');
  rows.push({ image: 'MLflow 3.17.2 (`mlflow models generate-dockerfile`, then `docker build`)', size: await size(mlflowTag), cold: mlflowCold.seconds, rebuild: mlflowRebuild.seconds });
  }

  await engine.docker(['image', 'rm', '--force', mlfTag, mlflowTag]).catch(() => '');
  const serverVersion = (await engine.docker(['version', '--format', '{{.Server.Version}}'])).trim();
  console.log(`sklearn-iris fixture; Docker ${serverVersion}, legacy builder unless buildx is installed; base ${bases.python} (Debian bookworm, Python 3.11.2); ${os.cpus().length} CPUs\n`);
  console.log('| image | size | cold build | rebuild after a model-file change |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.image} | ${r.size} MB | ${r.cold.toFixed(0)} s | ${r.rebuild.toFixed(1)} s |`);
} finally {
  await engine.stop();
  rmSync(work, { recursive: true, force: true });
}
