/**
 * Model URIs against a real `mlflow server` (from PyPI, sqlite, local artifacts behind its proxy,
 * 127.0.0.1): the sklearn and pyfunc-with-code fixtures logged and registered with MLflow's own
 * client (test/e2e/py/log_models_for_uris.py), then `mlf models predict` through every URI form
 * must print what `mlflow models predict` prints for the same URI. mlf talks to the server
 * through a counting proxy (test/support/counting-proxy.ts), which shows that a warm predict
 * downloads nothing, can cut a download midway, and holds one so that the real server is killed
 * while it is in flight (then restarted). Also: `models:/` sub-paths, validate on a URI, an alias move,
 * `--offline` and an unreachable server, basic auth, and `s3://` from moto's server.
 *
 * Cheap on purpose: one server for the file (plus one with basic auth), `--env-manager local`
 * (the MLflow test Python: no environment is built; environments are tested elsewhere), one
 * MLflow process for all reference predictions.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, repoRoot, runMlf, tempDir } from '../support/cli.js';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';
import { motoUnavailableReason, startMotoServer, type MotoServer } from '../support/moto-server.js';
import { send, startMlfServe, stopServer } from '../support/serve.js';

const unavailable = e2eUnavailableReason();

interface Logged {
  models: { run_id: string; model_id: string; version: string; artifact_location: string }[];
  plain_run_id: string | null;
}

const IRIS = path.join(fixturesDir, 'models', 'sklearn-iris');
const PYFUNC = path.join(fixturesDir, 'models', 'pyfunc-code');
const IRIS_INPUT = path.join(fixturesDir, 'inputs', 'sklearn-iris', 'dataframe_split.json');
const PYFUNC_INPUT = path.join(fixturesDir, 'inputs', 'pyfunc-code', 'dataframe_split.json');
const FILE_DOWNLOAD = /^GET \/api\/2\.0\/mlflow-artifacts\/artifacts\/./;
/**
 * Bigger than what loopback socket buffers hold once the proxy stops reading after the first
 * bytes (a send buffer of at most 4 MB here), so that killing the server leaves most of it unsent.
 */
const BLOB_BYTES = 16 * 1024 * 1024;

if (unavailable) {
  describe('model URIs (e2e)', () => it.skip(`skipped: ${unavailable}`, () => undefined));
} else {
  const python = e2ePython()!;
  const venvBin = path.dirname(python);
  const localPath = `${venvBin}${path.delimiter}${process.env.PATH ?? ''}`;
  const work = tempDir('mlf-uris-e2e-');
  const mlfHome = path.join(work, 'home');
  // MLflow's client downloads a models:/ or runs:/ model into a tempfile.mkdtemp() that it never
  // removes: its own temp root, removed with this file's other temp directories.
  const mlflowTemp = tempDir('mlf-uris-mlflow-');
  let server: MlflowServer;
  let proxy: CountingProxy;
  let logged: Logged;
  /** `mlflow models predict` for the same URI, by URI. */
  const reference = new Map<string, string>();
  const forms = new Map<string, { uri: string; input: string }>();

  /** mlf through the proxy; retries off, so that a cut or a stopped server fails at once. */
  const mlf = (args: string[], env: Record<string, string> = {}) =>
    runMlf(args, { mlfHome, env: { PATH: localPath, HOME: work, MLFLOW_TRACKING_URI: proxy.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...env } });
  const predict = (uri: string, input: string, extra: string[] = [], env: Record<string, string> = {}) =>
    mlf(['models', 'predict', '-m', uri, '-i', input, '--env-manager', 'local', ...extra], env);
  const logModels = async (spec: unknown, env: Record<string, string>): Promise<Logged> => {
    const out = path.join(work, `logged-${Date.now()}.json`);
    const result = await execa(python, [path.join(repoRoot, 'test/e2e/py/log_models_for_uris.py'), out], { input: JSON.stringify(spec), env: { HOME: work, PATH: localPath, TMPDIR: mlflowTemp, ...env }, reject: false });
    if (result.exitCode !== 0) throw new Error(`log_models_for_uris.py failed:\n${result.stderr}`);
    return JSON.parse(readFileSync(out, 'utf8')) as Logged;
  };
  const mlflowPredictions = async (cases: { id: string; uri: string; input: string }[], env: Record<string, string>) => {
    const args = cases.map((c) => ['predict', '-m', c.uri, '-i', c.input, '-o', path.join(work, `${c.id}.mlflow.json`), '--env-manager', 'local']);
    const result = await execa(python, [path.join(repoRoot, 'test/e2e/py/mlflow_predict_many.py')], { input: JSON.stringify(args), env: { PATH: localPath, HOME: work, TMPDIR: mlflowTemp, ...env }, reject: false });
    if (result.exitCode !== 0) throw new Error(`mlflow_predict_many.py failed:\n${result.stderr}`);
    const outcomes = JSON.parse(result.stdout) as { exit_code: number; output: string }[];
    cases.forEach((c, i) => {
      if (outcomes[i]!.exit_code !== 0) throw new Error(`mlflow models predict -m ${c.uri} failed:\n${outcomes[i]!.output}`);
      reference.set(c.id, readFileSync(path.join(work, `${c.id}.mlflow.json`), 'utf8'));
    });
  };
  const downloads = (from: number) => proxy.requests.slice(from).filter((r) => FILE_DOWNLOAD.test(r));
  const cacheEntries = () => {
    try {
      return readdirSync(path.join(mlfHome, 'models-v1'));
    } catch {
      return [];
    }
  };

  /** The iris model at the root with a big extra file, and the pyfunc model under `inner/`: a model inside a model's artifacts. */
  const bundle = path.join(work, 'bundle');
  const makeBundle = () => {
    cpSync(IRIS, bundle, { recursive: true });
    cpSync(PYFUNC, path.join(bundle, 'inner'), { recursive: true });
    writeFileSync(path.join(bundle, 'blob.bin'), Buffer.alloc(BLOB_BYTES, 'mlf'));
  };

  beforeAll(async () => {
    const started = Date.now();
    makeBundle();
    server = await startMlflowServer();
    console.log(`model-uris e2e: server up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    proxy = await startCountingProxy(server.url);
    logged = await logModels(
      {
        models: [
          { dir: IRIS, name: 'iris', aliases: ['champion'], stage: 'Staging' },
          { dir: PYFUNC, name: 'pyfunc', aliases: ['prod'] },
          { dir: IRIS, name: 'iris', aliases: [] },
          { dir: bundle, name: 'bundle', aliases: ['b'] },
        ],
        plain_run_dir: IRIS,
      },
      { MLFLOW_TRACKING_URI: server.url },
    );
    console.log(`model-uris e2e: models logged at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const [iris, pyfunc] = logged.models;
    const proxyPath = iris!.artifact_location.replace(/^mlflow-artifacts:\//, '');
    const entries: [string, string, string][] = [
      ['runs (MLflow 3 logged model)', `runs:/${iris!.run_id}/model`, IRIS_INPUT],
      ['runs (run artifacts)', `runs:/${logged.plain_run_id}/nested/model`, IRIS_INPUT],
      ['version', 'models:/iris/1', IRIS_INPUT],
      ['alias', 'models:/iris@champion', IRIS_INPUT],
      ['latest', 'models:/iris/latest', IRIS_INPUT],
      ['stage', 'models:/iris/Staging', IRIS_INPUT],
      ['logged model', `models:/${iris!.model_id}`, IRIS_INPUT],
      ['mlflow-artifacts', iris!.artifact_location, IRIS_INPUT],
      ['pyfunc alias', 'models:/pyfunc@prod', PYFUNC_INPUT],
      ['pyfunc runs', `runs:/${pyfunc!.run_id}/model`, PYFUNC_INPUT],
      // MLflow's split_models_uri: the path after the version or alias is inside the version's artifacts.
      ['version sub-path', 'models:/bundle/1/inner', PYFUNC_INPUT],
      ['alias sub-path', 'models:/bundle@b/inner', PYFUNC_INPUT],
      ['latest sub-path', 'models:/bundle/latest/inner', PYFUNC_INPUT],
    ];
    for (const [id, uri, input] of entries) forms.set(id, { uri, input });
    await mlflowPredictions([...forms].map(([id, f]) => ({ id, ...f })), { MLFLOW_TRACKING_URI: server.url });
    // The proxy URL form: MLflow reads it as an http artifact URI; the same files as mlflow-artifacts:/.
    forms.set('http proxy URL', { uri: `${proxy.url}/api/2.0/mlflow-artifacts/artifacts/${proxyPath}`, input: IRIS_INPUT });
    reference.set('http proxy URL', reference.get('mlflow-artifacts')!);
    console.log(`model-uris e2e set-up: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  describe('mlf models predict through every URI form gives MLflow\'s output', () => {
    it.each([
      'runs (MLflow 3 logged model)', 'runs (run artifacts)', 'version', 'alias', 'latest', 'stage', 'logged model', 'mlflow-artifacts', 'http proxy URL', 'pyfunc alias', 'pyfunc runs',
      'version sub-path', 'alias sub-path', 'latest sub-path',
    ])('%s', async (id) => {
      const { uri, input } = forms.get(id)!;
      const result = await predict(uri, input);
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(reference.get(id));
      if (id === 'stage') expect(result.stderr).toContain('stages are deprecated in MLflow');
    });
  });

  it('validates a model URI', async () => {
    const result = await mlf(['models', 'validate', 'models:/iris@champion', 'models:/pyfunc@prod']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('envs path and serve take a model URI (the directory\'s environment; serve answers with MLflow\'s predictions)', async () => {
    const envDir = async (model: string) => {
      const result = await mlf(['envs', 'path', '-m', model, '--env-manager', 'virtualenv', '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { envDir: string }).envDir;
    };
    expect(await envDir('models:/iris@champion')).toBe(await envDir(IRIS));
    const served = await startMlfServe({
      model: 'models:/iris@champion',
      envManager: 'local',
      mlfHome,
      path: localPath,
      env: { HOME: work, MLFLOW_TRACKING_URI: proxy.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
    });
    try {
      const answer = await send(served.url, 'POST', '/invocations', readFileSync(IRIS_INPUT), { 'content-type': 'application/json' });
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toEqual(JSON.parse(reference.get('alias')!));
    } finally {
      await stopServer(served.child);
    }
  });

  it('prepare-env takes a model URI: it builds the environment of the directory the URI resolves to, the one envs path names', async () => {
    const prepared = await mlf(['models', 'prepare-env', '-m', 'models:/iris@champion', '--env-manager', 'uv', '--json']);
    expect(prepared.exitCode, prepared.stderr).toBe(0);
    const built = JSON.parse(prepared.stdout) as { ok: boolean; manager: string; envDir: string; built: boolean };
    expect(built).toMatchObject({ ok: true, manager: 'uv', built: true });
    const found = await mlf(['envs', 'path', '-m', IRIS, '--env-manager', 'uv', '--json']);
    expect(found.exitCode, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ envDir: built.envDir, exists: true });
  }, 600_000);

  it('a warm alias predict makes two small REST calls and downloads nothing', async () => {
    await predict('models:/iris@champion', IRIS_INPUT);
    const before = proxy.requests.length;
    const result = await predict('models:/iris@champion', IRIS_INPUT);
    expect(result.exitCode).toBe(0);
    expect(proxy.requests.slice(before).map((r) => r.split('?')[0])).toEqual([
      'GET /api/2.0/mlflow/registered-models/alias',
      'GET /api/2.0/mlflow/model-versions/get-download-uri',
    ]);
  });

  /** `mlf models download --json` into a new directory: resolution and the cache without starting Python. */
  let downloadsMade = 0;
  const download = async (uri: string, extra: string[] = [], env: Record<string, string> = {}) => {
    const result = await mlf(['models', 'download', '-m', uri, '-o', path.join(work, `dl-${(downloadsMade += 1)}`), '--json', ...extra], env);
    return { ...result, json: result.exitCode === 0 ? (JSON.parse(result.stdout) as { remote: { registered?: { version: string }; downloaded: boolean; offline?: { reason: string } } }) : undefined };
  };

  it('follows an alias that moved, fetching the new version', async () => {
    // A cache of its own, where only the alias's first version was fetched (`latest` fetched the other one here).
    const home = { MLF_HOME: path.join(work, 'home-alias') };
    const first = await download('models:/iris@champion', [], home);
    expect(first.json!.remote).toMatchObject({ registered: { name: 'iris', version: logged.models[0]!.version }, downloaded: true });
    const newVersion = logged.models[2]!.version;
    const moved = await fetch(`${server.url}/api/2.0/mlflow/registered-models/alias`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'iris', alias: 'champion', version: newVersion }),
    });
    expect(moved.status).toBe(200);
    const before = proxy.requests.length;
    const result = await download('models:/iris@champion', [], home);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json!.remote).toMatchObject({ registered: { name: 'iris', version: newVersion }, downloaded: true });
    expect(downloads(before)).toHaveLength(readdirSync(IRIS).length);
    const predicted = await predict('models:/iris@champion', IRIS_INPUT, ['-v']);
    expect(predicted.stderr).toContain(`models:/iris@champion (version ${newVersion}) is at`);
    expect(predicted.stdout).toBe(reference.get('alias'));
  });

  it('--offline uses the last resolution without asking the server, and says so', async () => {
    const before = proxy.requests.length;
    const result = await download('models:/iris@champion', ['--offline']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: --offline: using \`models:/iris@champion\` (version ${logged.models[2]!.version}) as it was resolved at `);
    expect(result.json!.remote).toMatchObject({ downloaded: false, offline: { reason: 'offline' } });
    expect(proxy.requests.length).toBe(before);
    const never = await download('models:/pyfunc/1', ['--offline']);
    expect(never.exitCode).toBe(2);
    expect(JSON.parse(never.stdout)).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_CACHED', message: expect.stringContaining('`models:/pyfunc/1` has not been fetched on this machine') } });
  });

  it('unknown run, model, version and alias: one line, exit 2', async () => {
    for (const [uri, text] of [
      ['runs:/0123456789abcdef0123456789abcdef/model', /not found/i],
      ['models:/nope/1', /not found/i],
      ['models:/iris/99', /not found/i],
      ['models:/iris@nope', /alias/i],
      ['models:/m-0123456789abcdef0123456789abcdef', /not found/i],
    ] as const) {
      const result = await predict(uri, IRIS_INPUT);
      expect(result.exitCode, `${uri}: ${result.stderr}`).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(text);
    }
  });

  it('a download cut midway fails with exit 3, keeps nothing, and the next run downloads it whole', async () => {
    const { uri, input } = forms.get('pyfunc runs')!;
    const freshHome = { MLF_HOME: path.join(work, 'home-cut') };
    proxy.cutDownloads = true;
    proxy.cutAfterBytes = 100;
    const cut = await mlf(['models', 'predict', '-m', uri, '-i', input, '--env-manager', 'local'], freshHome);
    proxy.cutDownloads = false;
    expect(cut.exitCode, cut.stderr).toBe(3);
    // The download's progress line, then the error as one line.
    // A file cut before its answer was read whole is a failed request; one cut later stopped midway.
    expect(cut.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([expect.stringMatching(/stopped midway|could not reach the tracking server/)]);
    const left = readdirSync(path.join(work, 'home-cut', 'models-v1')).filter((n) => /^[0-9a-f]{32}$/.test(n) || n.startsWith('.partial-'));
    expect(left).toEqual([]);
    const again = await mlf(['models', 'predict', '-m', uri, '-i', input, '--env-manager', 'local'], freshHome);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(reference.get('pyfunc runs'));
  });

  it('a sub-path downloads only the files under it', async () => {
    const before = proxy.requests.length;
    const result = await predict('models:/bundle/1/inner', PYFUNC_INPUT, [], { MLF_HOME: path.join(work, 'home-sub') });
    expect(result.exitCode, result.stderr).toBe(0);
    const fetched = downloads(before);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((r) => r.includes('/inner/'))).toBe(true);
  });

  it('models:/<model_id>/<sub>: the logged model\'s sub-path (where MLflow reads a stage), and a missing sub-path fails in one line', async () => {
    // MLflow's split_models_uri keeps `models:/m-<id>/inner` whole and _parse_model_uri reads it as
    // stage `inner` of a registered model named `m-<id>`; mlf reads the logged model's `inner/` (model-uri.ts).
    const result = await predict(`models:/${logged.models[3]!.model_id}/inner`, PYFUNC_INPUT);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(reference.get('version sub-path'));
    const missing = await predict('models:/bundle/1/nowhere', IRIS_INPUT);
    expect(missing.exitCode, missing.stderr).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^error: .*nowhere/);
  });

  it('the real server killed (SIGKILL) during a download: exit 3, one line, nothing cached; after a restart the next run predicts', async () => {
    const home = { MLF_HOME: path.join(work, 'home-killed') };
    // Held after its first bytes: the kill lands while blob.bin is in flight, every time.
    const held = proxy.holdDownload(256 * 1024);
    const running = predict('models:/bundle/1', IRIS_INPUT, [], home);
    const { release } = await held;
    await server.stop();
    release();
    const killed = await running;
    expect(killed.exitCode, killed.stderr).toBe(3);
    expect(killed.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([expect.stringMatching(/stopped midway|could not reach the tracking server/)]);
    expect(killed.stderr).not.toMatch(/\n\s+at /);
    const left = readdirSync(path.join(work, 'home-killed', 'models-v1')).filter((n) => /^[0-9a-f]{32}$/.test(n) || n.startsWith('.partial-'));
    expect(left).toEqual([]);
    await server.restart();
    const again = await predict('models:/bundle/1', IRIS_INPUT, [], home);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(reference.get('version'));
  }, 300_000);

  it('mlf models download writes the model, with registered_model_meta for a registered model', async () => {
    const out = path.join(work, 'downloaded');
    const result = await mlf(['models', 'download', '-m', 'models:/iris/1', '-o', out, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, outputPath: out, remote: { registered: { name: 'iris', version: '1' } } });
    expect(readdirSync(out).sort()).toEqual([...readdirSync(IRIS), 'registered_model_meta'].sort());
    expect(readFileSync(path.join(out, 'registered_model_meta'), 'utf8')).toBe("model_name: iris\nmodel_version: '1'\n");
    expect(readFileSync(path.join(out, 'model.skops'))).toEqual(readFileSync(path.join(IRIS, 'model.skops')));
    const again = await mlf(['models', 'download', '-m', 'models:/iris/1', '-o', out]);
    expect(again.exitCode).toBe(2);
  });

  it('mlf envs list and prune cover the model cache', async () => {
    const listed = await mlf(['envs', 'list', '--json']);
    const models = (JSON.parse(listed.stdout) as { models: { entries: { location: string }[] } }).models.entries;
    expect(models.length).toBeGreaterThanOrEqual(3);
    const pruned = await mlf(['envs', 'prune', '--json'], { MLF_HOME: path.join(work, 'home-cut') });
    expect(pruned.exitCode).toBe(0);
    expect((JSON.parse(pruned.stdout) as { models: { removed: unknown[] } }).models.removed).toHaveLength(1);
  });

  it('an unreachable server: the last resolution, with a warning; a URI never fetched from it fails with exit 3', async () => {
    const elsewhere = await startCountingProxy(server.url);
    const url = elsewhere.url;
    await elsewhere.close();
    // Resolved last against the proxy, not this URL: another server, so nothing to fall back on.
    const none = await download('models:/iris@champion', [], { MLFLOW_TRACKING_URI: url });
    expect(none.exitCode).toBe(3);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, error: { code: 'TRACKING_UNREACHABLE', exitCode: 3 } });
    await proxy.close();
    const fallback = await download('models:/iris@champion');
    expect(fallback.exitCode, fallback.stderr).toBe(0);
    expect(fallback.stderr).toMatch(/warning: the server cannot be reached \(.*\): using `models:\/iris@champion` \(version \d+\)/);
    expect(fallback.json!.remote).toMatchObject({ offline: { reason: 'unreachable' } });
    proxy = await startCountingProxy(server.url);
  });

  describe('basic auth (mlflow server --app-name basic-auth)', () => {
    let authServer: MlflowServer;
    beforeAll(async () => {
      authServer = await startMlflowServer({ basicAuth: true });
      const creds = { MLFLOW_TRACKING_USERNAME: authServer.admin!.username, MLFLOW_TRACKING_PASSWORD: authServer.admin!.password };
      await logModels({ models: [{ dir: IRIS, name: 'secured', aliases: ['a'] }] }, { MLFLOW_TRACKING_URI: authServer.url, ...creds });
    }, 300_000);
    afterAll(async () => authServer?.stop());

    it('works with the right credentials', async () => {
      const result = await predict('models:/secured@a', IRIS_INPUT, [], {
        MLFLOW_TRACKING_URI: authServer.url,
        MLFLOW_TRACKING_USERNAME: authServer.admin!.username,
        MLFLOW_TRACKING_PASSWORD: authServer.admin!.password,
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe(reference.get('alias'));
    });

    it('fails clearly with wrong ones, naming the variables and showing no password', async () => {
      const result = await download('models:/secured@a', [], {
        MLFLOW_TRACKING_URI: authServer.url,
        MLFLOW_TRACKING_USERNAME: authServer.admin!.username,
        MLFLOW_TRACKING_PASSWORD: 'wrong-password-value',
        MLF_HOME: path.join(work, 'home-auth'),
      });
      expect(result.exitCode).toBe(2);
      const { error } = JSON.parse(result.stdout) as { error: { code: string; hint: string } };
      expect(error.code).toBe('TRACKING_AUTH_FAILED');
      expect(error.hint).toContain('MLFLOW_TRACKING_USERNAME');
      expect(result.stdout + result.stderr).not.toContain('wrong-password-value');
      expect(result.stdout + result.stderr).not.toContain(authServer.admin!.password);
      // Without --json: one line.
      const line = await predict('models:/secured@a', IRIS_INPUT, [], {
        MLFLOW_TRACKING_URI: authServer.url,
        MLFLOW_TRACKING_USERNAME: authServer.admin!.username,
        MLFLOW_TRACKING_PASSWORD: 'wrong-password-value',
        MLF_HOME: path.join(work, 'home-auth'),
      });
      expect(line.exitCode).toBe(2);
      expect(line.stderr).toMatch(/^error: .*MLFLOW_TRACKING_USERNAME.*\n$/);
      expect(line.stderr).not.toContain('wrong-password-value');
    });
  });

  const motoMissing = motoUnavailableReason();
  describe.skipIf(motoMissing !== undefined)(`s3:// through moto's server${motoMissing ? ` (skipped: ${motoMissing})` : ''}`, () => {
    let moto: MotoServer;
    beforeAll(async () => {
      moto = await startMotoServer();
      const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
      for (const name of readdirSync(IRIS)) {
        await s3.send(new PutObjectCommand({ Bucket: 'models', Key: `registry/iris/${name}`, Body: readFileSync(path.join(IRIS, name)) }));
      }
    }, 60_000);
    afterAll(async () => moto?.stop());

    it('predicts s3://bucket/key as MLflow does', async () => {
      const result = await predict('s3://models/registry/iris', IRIS_INPUT, [], moto.env);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe(reference.get('version'));
      // Not the AWS SDK's eight-line notice about future Node versions (mlf pins the SDK).
      expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
    });
  });
}
