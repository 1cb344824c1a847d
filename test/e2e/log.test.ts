/**
 * `mlf models log` against a real `mlflow server` (test/support/mlflow-server.ts): the sklearn and
 * pyfunc-with-code fixtures are logged, registered and aliased by mlf; real MLflow then loads
 * `models:/N@A` and predicts what `mlf models predict` predicts on the directory; the server's
 * records (run, logged model, model version, registered model, the uploaded MLmodel and file
 * list) equal those MLflow's own `log_model` + register make for the same directory, field by
 * field except ids, times and the context MLflow takes from the process (run name, source name).
 * Basic auth: the right credentials work, wrong ones exit 2 naming the variables. Errors: no
 * tracking URI (2), a model with validation errors (1, nothing logged), a server gone (3).
 */
import { execa } from 'execa';
import { copyFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir, type MlfResult } from '../support/cli.js';
import { credentialsEnv, startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';

const unavailable = e2eUnavailableReason();
const FIXTURES = [
  { fixture: 'sklearn-iris', kind: 'sklearn', mlfName: 'iris-mlf', referenceName: 'iris-reference' },
  { fixture: 'pyfunc-code', kind: 'pyfunc', mlfName: 'code-mlf', referenceName: 'code-reference' },
] as const;
const ALIAS = 'champion';

interface LogJson {
  runId: string;
  modelId: string;
  registeredModel: { name: string; version: string; alias?: string } | null;
  uris: { model: string; run: string; version?: string; alias?: string };
}

interface Ids {
  runId: string;
  modelId: string;
  name: string;
  version: string;
}

/** Times and ids out, tags as sorted objects, the process context (run name, source name) as a placeholder. */
function normalize(value: unknown, ids: Ids): unknown {
  const text = JSON.stringify(value).split(ids.runId).join('<run>').split(ids.modelId).join('<model>').split(ids.name).join('<name>');
  const walk = (current: unknown): unknown => {
    if (Array.isArray(current)) {
      if (current.every((item) => item && typeof item === 'object' && 'key' in item && 'value' in item)) {
        const entries = (current as { key: string; value: string }[]).map(({ key, value }) => [key, /^mlflow\.(runName|source\.name)$/.test(key) ? '<context>' : value]);
        return Object.fromEntries(entries.sort(([a], [b]) => (a! < b! ? -1 : 1)));
      }
      return current.map(walk);
    }
    if (current && typeof current === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(current)) {
        if (/time|timestamp/.test(key)) continue;
        out[key] = key === 'run_name' ? '<context>' : walk(item);
      }
      return out;
    }
    return current;
  };
  return walk(JSON.parse(text));
}

/**
 * The MLmodel as uploaded, without the lines that hold ids and times, and without the version of
 * cloudpickle that pickled the model: mlf uploads the fixture's (3.1.2), MLflow's reference re-pickles
 * it with the test environment's.
 */
function normalizeMlmodel(text: string, ids: Ids): string {
  return text
    .split(ids.runId).join('<run>')
    .split(ids.modelId).join('<model>')
    .replace(/^utc_time_created: .*$/m, 'utc_time_created: <time>')
    .replace(/^( +cloudpickle_version): .*$/m, '$1: <pickler>');
}

/** A loopback port nothing listens on (just closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

if (unavailable) {
  describe('mlf models log (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  /** `--env-manager local` uses the Python first on PATH: the MLflow test environment's. */
  const localPath = `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
  const mlfHome = tempDir('mlf-log-home-');
  let server: MlflowServer;
  let secured: MlflowServer;

  const mlf = (args: string[], env: Record<string, string>): Promise<MlfResult> =>
    runMlf(args, { mlfHome, env: { PATH: localPath, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...env } });

  const rest = async (base: string, route: string, query: Record<string, string>): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}/api/2.0/mlflow/${route}?${new URLSearchParams(query)}`);
    expect(response.status, route).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };

  /** Everything the UI shows of one logged and registered model. */
  const records = async (ids: Ids) => {
    const logged = (await rest(server.url, `logged-models/${ids.modelId}`, {})) as { model: { info: { artifact_uri: string } } };
    const artifacts = logged.model.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    const listing = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts?${new URLSearchParams({ path: artifacts })}`).then((r) => r.json() as Promise<{ files: { path: string }[] }>);
    const mlmodel = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${artifacts}/MLmodel`).then((r) => r.text());
    return {
      run: normalize(await rest(server.url, 'runs/get', { run_id: ids.runId }), ids),
      loggedModel: normalize(logged, ids),
      version: normalize(await rest(server.url, 'model-versions/get', { name: ids.name, version: ids.version }), ids),
      registeredModel: normalize(await rest(server.url, 'registered-models/get', { name: ids.name }), ids),
      files: listing.files.map((file) => file.path).sort(),
      mlmodel: normalizeMlmodel(mlmodel, ids),
    };
  };

  beforeAll(async () => {
    server = await startMlflowServer();
    secured = await startMlflowServer({ basicAuth: true });
  }, 600_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), secured?.stop()]);
  });

  describe('mlf models log (e2e)', () => {
    it('logs, registers and aliases what real MLflow then loads and predicts, with the records MLflow\'s own log_model makes', async () => {
      const logged = new Map<string, LogJson>();
      for (const { fixture, mlfName } of FIXTURES) {
        const result = await mlf(['models', 'log', '-m', path.join(fixturesDir, 'models', fixture), '--registered-model-name', mlfName, '--alias', ALIAS, '--json'], { MLFLOW_TRACKING_URI: server.url });
        expect(result.exitCode, result.stderr).toBe(0);
        const parsed = JSON.parse(result.stdout) as LogJson;
        expect(parsed.uris).toEqual({
          model: `models:/${parsed.modelId}`,
          run: `runs:/${parsed.runId}/model`,
          version: `models:/${mlfName}/1`,
          alias: `models:/${mlfName}@${ALIAS}`,
        });
        expect(parsed.modelId).toMatch(/^m-[0-9a-f]{32}$/);
        logged.set(fixture, parsed);
      }

      // Real MLflow: load mlf's uploads through the alias, and log the same directories itself.
      const inputFor = (fixture: string) => path.join(fixturesDir, 'inputs', fixture, 'dataframe_split.json');
      const spec = {
        predict: FIXTURES.map(({ fixture, mlfName }) => ({ uri: `models:/${mlfName}@${ALIAS}`, input: inputFor(fixture) })),
        log: FIXTURES.map(({ fixture, kind, referenceName }) => ({ dir: path.join(fixturesDir, 'models', fixture), kind, registered: referenceName, alias: ALIAS })),
      };
      // Run from outside the repository: MLflow tags a run with the git commit of its script's checkout, mlf with none.
      const script = path.join(tempDir('mlf-log-script-'), 'mlflow_log_reference.py');
      copyFileSync(path.join(import.meta.dirname, 'py', 'mlflow_log_reference.py'), script);
      const reference = await execa(python, [script, server.url, JSON.stringify(spec)], {
        reject: false,
        // MLflow leaves what load_model downloads in the temp dir: one of ours, removed with the others.
        env: { MLFLOW_TRACKING_URI: server.url, TMPDIR: tempDir('mlf-log-mlflow-') },
      });
      expect(reference.exitCode, reference.stderr).toBe(0);
      const answer = JSON.parse(reference.stdout.trim().split('\n').pop()!) as { predictions: unknown[][]; logged: { run_id: string; model_id: string; version: string }[] };

      for (const [index, { fixture, mlfName, referenceName }] of FIXTURES.entries()) {
        const predicted = await mlf(['models', 'predict', '-m', path.join(fixturesDir, 'models', fixture), '-i', inputFor(fixture), '--env-manager', 'local'], {});
        expect(predicted.exitCode, predicted.stderr).toBe(0);
        expect(JSON.parse(predicted.stdout)).toEqual({ predictions: answer.predictions[index] });

        const ours = logged.get(fixture)!;
        const theirs = answer.logged[index]!;
        const mine = await records({ runId: ours.runId, modelId: ours.modelId, name: mlfName, version: ours.registeredModel!.version });
        const mlflows = await records({ runId: theirs.run_id, modelId: theirs.model_id, name: referenceName, version: theirs.version });
        expect(mine, fixture).toEqual(mlflows);
      }
    });

    it('with basic auth: logs with the right credentials, exits 2 naming the variables with wrong ones', async () => {
      const model = path.join(fixturesDir, 'models', 'sklearn-iris');
      const good = await mlf(['models', 'log', '-m', model, '--json'], { MLFLOW_TRACKING_URI: secured.url, ...credentialsEnv(secured.admin!) });
      expect(good.exitCode, good.stderr).toBe(0);
      expect((JSON.parse(good.stdout) as LogJson).uris.model).toMatch(/^models:\/m-/);

      const wrong = await mlf(['models', 'log', '-m', model], { MLFLOW_TRACKING_URI: secured.url, MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: 'wrong-password-123' });
      expect(wrong.exitCode).toBe(2);
      expect(wrong.stdout).toBe('');
      expect(wrong.stderr).toMatch(/401/);
      expect(wrong.stderr).toMatch(/MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN/);
      expect(wrong.stderr).not.toContain('wrong-password-123');
      expect(wrong.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    });

    it('exits 2 without a tracking URI, 1 on validation errors (logging nothing), 3 when the server is gone', async () => {
      const model = path.join(fixturesDir, 'models', 'sklearn-iris');
      const noUri = await mlf(['models', 'log', '-m', model], { MLFLOW_TRACKING_URI: '' });
      expect(noUri.exitCode).toBe(2);
      expect(noUri.stderr).toMatch(/MLFLOW_TRACKING_URI/);

      const creates = () => server.accessLog().filter((entry) => entry.path === '/api/2.0/mlflow/runs/create').length;
      const before = creates();
      const broken = await mlf(['models', 'log', '-m', path.join(fixturesDir, 'broken', 'conda-bad-yaml')], { MLFLOW_TRACKING_URI: server.url });
      expect(broken.exitCode, broken.stderr).toBe(1);
      expect(broken.stderr).toMatch(/validation error.*nothing was logged/);
      expect(creates()).toBe(before);

      const unreachable = await mlf(['models', 'log', '-m', model], { MLFLOW_TRACKING_URI: `http://127.0.0.1:${await closedPort()}` });
      expect(unreachable.exitCode).toBe(3);
      expect(unreachable.stderr).toMatch(/could not reach the tracking server/);
    });
  });
}
