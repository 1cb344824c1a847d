/**
 * `mlf models serve` against the real `mlflow models serve` on every fixture model (sklearn,
 * pyfunc with code/, models-from-code) and every environment manager both have (local, uv,
 * virtualenv): for a corpus of good and bad requests fitting each model's signature (every JSON
 * input shape and CSV), mlf's status, content type and body equal MLflow's. serve.test.ts covers
 * sklearn with `local` (and the rest of serve); this file the other eight pairs.
 *
 * The servers start four pairs at a time (building their environments side by side: MLflow builds
 * its own, mlf its own, each once), and the pairs' tests run concurrently.
 * MLflow's environments live in a root per manager (MLFLOW_ENV_ROOT): it names an environment by
 * its requirements only, so its uv and virtualenv managers would otherwise share one.
 *
 * MLflow's virtualenv manager runs `pyenv install --skip-existing 3.11.7` before it builds: the
 * MLflow servers get bench/pyenv-stand-in first on PATH, whose `pyenv` links the version to the
 * test Python's own installation instead of downloading and compiling CPython (see the script).
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, repoRoot, tempDir } from '../support/cli.js';
import { invocationsCorpus, send, startMlflowServe, startMlfServe, stopServers } from '../support/serve.js';

const unavailable = e2eUnavailableReason();

interface Fixture {
  name: string;
  /** A long column of the signature (the rest are doubles). */
  integerColumn?: string;
}
const FIXTURES: Fixture[] = [{ name: 'sklearn-iris' }, { name: 'pyfunc-code', integerColumn: 'n' }, { name: 'models-from-code' }];
const MANAGERS = ['local', 'uv', 'virtualenv'] as const;
type Manager = (typeof MANAGERS)[number];
/** serve.test.ts compares this pair. */
const COVERED_ELSEWHERE = 'sklearn-iris/local';

const PAIRS = MANAGERS.flatMap((manager) => FIXTURES.map((fixture) => ({ fixture, manager }))).filter(({ fixture, manager }) => `${fixture.name}/${manager}` !== COVERED_ELSEWHERE);

/** The model's own serving example: columns and rows that satisfy its signature. */
function exampleOf(fixture: string): { columns: string[]; rows: number[][] } {
  const example = JSON.parse(readFileSync(path.join(fixturesDir, 'models', fixture, 'serving_input_example.json'), 'utf8')) as {
    dataframe_split: { columns: string[]; data: number[][] };
  };
  return { columns: example.dataframe_split.columns, rows: example.dataframe_split.data };
}

if (unavailable) {
  describe('mlf models serve against mlflow models serve, every fixture and manager (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const venvBin = path.dirname(python);
  const work = tempDir('mlf-serve-parity-');
  const mlfHome = path.join(work, 'mlf-home');
  // One per server: the stand-in's `install` is not safe against a concurrent one in the same root.
  const pyenvRoot = (fixture: string, manager: Manager) => path.join(work, `pyenv-${fixture}-${manager}`);
  const mlflowEnvRoot = (manager: Manager) => path.join(work, `mlflow-envs-${manager}`);
  /** The local manager uses the Python found first on PATH: the MLflow test environment's. */
  const localPath = `${venvBin}${path.delimiter}${process.env.PATH ?? ''}`;
  const mlflowPath = `${path.join(repoRoot, 'bench', 'pyenv-stand-in')}${path.delimiter}${localPath}`;

  // A stack trace names the files of the environment each server runs in: the same files, under
  // different directories (mlf's cache, MLflow's env root; the test Python reached through a
  // symbolic link, which only one of them resolves).
  const venv = path.dirname(venvBin);
  const realVenv = realpathSync(venv);
  const normalize = (text: string, manager: Manager, mlfEnvDir: string) => {
    let out = text.split(realVenv).join(venv);
    out = out.split(mlflowEnvRoot(manager)).join('<mlflow-envs>').replace(/<mlflow-envs>\/mlflow-[0-9a-f]+/g, '<env>');
    for (const dir of [realpathSync(mlfEnvDir), mlfEnvDir]) out = out.split(dir).join('<env>');
    return out;
  };

  const servers = new Map<string, { mlf: { url: string; envDir: string }; mlflow: { url: string } }>();
  const key = (fixture: string, manager: Manager) => `${fixture}/${manager}`;

  beforeAll(async () => {
    const began = Date.now();
    // Four pairs at a time (eight servers), the virtualenv ones (pip: the slowest builds) first:
    // on two cores more at once is not faster, and would starve the test files running beside.
    const queue = [...PAIRS].sort((a, b) => Number(b.manager === 'virtualenv') - Number(a.manager === 'virtualenv'));
    const startPair = async ({ fixture, manager }: (typeof PAIRS)[number]) => {
      const model = path.join(fixturesDir, 'models', fixture.name);
      const [mlf, mlflow] = await Promise.all([
        // Building an environment from PyPI (pip, for virtualenv) takes minutes on a busy machine.
        startMlfServe({ model, envManager: manager, mlfHome, path: localPath, readyTimeoutMs: 600_000 }),
        startMlflowServe({
          python,
          model,
          envManager: manager,
          cwd: work,
          env: { PATH: mlflowPath, HOME: process.env.HOME ?? work, MLFLOW_ENV_ROOT: mlflowEnvRoot(manager), PYENV_ROOT: pyenvRoot(fixture.name, manager), MLF_BENCH_PYENV_PYTHON: python },
          readyTimeoutMs: 600_000,
        }),
      ]);
      servers.set(key(fixture.name, manager), { mlf, mlflow });
    };
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let pair = queue.shift(); pair; pair = queue.shift()) await startPair(pair);
      }),
    );
    // What this file adds to CI is mostly this: say it.
    console.log(`serve-parity: ${PAIRS.length * 2} servers ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }, 900_000);

  afterAll(stopServers, 60_000);

  // The pairs' servers are independent: their tests run side by side (vitest's maxConcurrency).
  describe.concurrent.each(PAIRS.map(({ fixture, manager }) => [`${fixture.name} --env-manager ${manager}`, fixture, manager] as const))('%s', (_label, fixture, manager) => {
    const { columns, rows } = exampleOf(fixture.name);
    const corpus = invocationsCorpus(columns, rows, fixture.integerColumn !== undefined ? { integerColumn: fixture.integerColumn } : {});

    it.each(corpus)('$name: the same status, content type and body as MLflow', async ({ contentType, body }) => {
      const { mlf, mlflow } = servers.get(key(fixture.name, manager))!;
      const headers: Record<string, string> = contentType === undefined ? {} : { 'Content-Type': contentType };
      // The first request mlf's fast path refuses loads the model with mlflow too (one slow
      // answer, README: "How"): seconds, and far more on a machine busy building environments.
      const [ours, theirs] = await Promise.all([send(mlf.url, 'POST', '/invocations', body, headers, 120_000), send(mlflow.url, 'POST', '/invocations', body, headers, 120_000)]);
      expect({ status: ours.status, contentType: ours.contentType }).toEqual({ status: theirs.status, contentType: theirs.contentType });
      expect(normalize(ours.body, manager, mlf.envDir)).toBe(normalize(theirs.body, manager, mlf.envDir));
    }, 180_000);

    it.each([
      ['GET', '/ping'],
      ['GET', '/health'],
      ['GET', '/version'],
      ['GET', '/nope'],
    ])('%s %s: the same status, content type and body as MLflow', async (method, urlPath) => {
      const { mlf, mlflow } = servers.get(key(fixture.name, manager))!;
      const [ours, theirs] = await Promise.all([send(mlf.url, method, urlPath), send(mlflow.url, method, urlPath)]);
      expect({ status: ours.status, contentType: ours.contentType, body: ours.body }).toEqual({ status: theirs.status, contentType: theirs.contentType, body: theirs.body });
    });
  });
}
