/**
 * `mlf models predict` on the flavors beyond sklearn, end to end, on the directories real MLflow
 * 3.17.2 wrote (fixtures/flavors/, fixtures/make_flavor_fixtures.py): for each fixture, mlf's output
 * must be byte-identical to what `mlflow models predict --env-manager local` writes in the same
 * environment, and --json must say which runtime loaded it: the flavor's own (no mlflow import)
 * or MLflow's loader with the reason. The libraries of xgboost, lightgbm, catboost, statsmodels and
 * onnx are in the MLflow test environment (MLF_E2E_PYTHON); torch and keras in .e2e/torch
 * (MLF_E2E_TORCH_PYTHON), which .ci/run makes from test/e2e/torch.lock; TensorFlow in .e2e/tf
 * (MLF_E2E_TF_PYTHON, test/e2e/tf.lock).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eTfPython, e2eTorchPython, e2eUnavailableReason, fixturesDir, NO_TF_REASON, repoRoot, runMlf, tempDir } from '../support/cli.js';
import { jsonDifference } from '../support/json-close.js';

type Venv = 'main' | 'torch' | 'tf';

interface Fixture {
  name: string;
  /** The runtime --json must report; 'mlflow' with `fallback` as the reason. */
  runtime: string;
  fallback?: string;
  /** Which test Python has the library. */
  venv: Venv;
  csv: boolean;
}

const FIXTURES: Fixture[] = [
  { name: 'xgboost', runtime: 'xgboost', venv: 'main', csv: true },
  { name: 'xgboost-booster', runtime: 'xgboost', venv: 'main', csv: true },
  { name: 'lightgbm', runtime: 'lightgbm', venv: 'main', csv: true },
  { name: 'lightgbm-sklearn', runtime: 'lightgbm', venv: 'main', csv: true },
  { name: 'catboost', runtime: 'catboost', venv: 'main', csv: true },
  { name: 'statsmodels', runtime: 'statsmodels', venv: 'main', csv: true },
  { name: 'onnx', runtime: 'onnx', venv: 'main', csv: true },
  { name: 'pytorch-pickle', runtime: 'pytorch', venv: 'torch', csv: true },
  { name: 'keras-no-signature', runtime: 'keras', venv: 'torch', csv: true },
  // MLflow's default pytorch format (torch.export) and keras with a signature: tensor signatures,
  // an `inputs` request (the serving example MLflow writes for an ndarray example).
  { name: 'pytorch', runtime: 'pytorch', venv: 'torch', csv: false },
  { name: 'keras', runtime: 'keras', venv: 'torch', csv: false },
  // The same kinds of models logged with an ndarray example: tensor signatures on the other
  // flavors, the enforced array handed to the flavor's predict (onnx: a dict of outputs back).
  { name: 'sklearn-tensor', runtime: 'sklearn', venv: 'main', csv: false },
  { name: 'xgboost-tensor', runtime: 'xgboost', venv: 'main', csv: false },
  { name: 'lightgbm-tensor', runtime: 'lightgbm', venv: 'main', csv: false },
  { name: 'catboost-tensor', runtime: 'catboost', venv: 'main', csv: false },
  { name: 'statsmodels-tensor', runtime: 'statsmodels', venv: 'main', csv: false },
  { name: 'onnx-tensor', runtime: 'onnx', venv: 'main', csv: false },
  // mlflow.tensorflow's Keras 3 model on TensorFlow (tensor signature).
  { name: 'tensorflow', runtime: 'tensorflow', venv: 'tf', csv: false },
];

const unavailable = e2eUnavailableReason();
const torchPython = e2eTorchPython();
const tfPython = e2eTfPython();
// The reason a torch case gives in its title when it is skipped.
const NO_TORCH = torchPython ? '' : ' [skipped: no .e2e/torch (MLF_E2E_TORCH_PYTHON); .ci/run makes it]';
const path_ = (python: string) => `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
/** The keras fixtures were saved with the torch backend; Keras reads it from here, under MLflow and mlf alike.
 * TMPDIR is the test's own directory: torch leaves `torchinductor_<user>/` and a `.ses` file there. */
const TORCH_ENV = { KERAS_BACKEND: 'torch' };
/** Keras' backend per test Python: the tensorflow fixture runs on TensorFlow's. */
const KERAS_ENV: Record<Venv, Record<string, string>> = { main: TORCH_ENV, torch: TORCH_ENV, tf: { KERAS_BACKEND: 'tensorflow' } };
const skipReason = (venv: Venv) => (venv === 'torch' ? NO_TORCH : venv === 'tf' && !tfPython ? NO_TF_REASON : '');

const title = (f: Fixture) =>
  f.fallback ? `${f.name}: MLflow's loader (fallback: ${f.fallback}), MLflow's bytes` : `${f.name}: the ${f.runtime} fast path, MLflow's bytes`;

if (unavailable) {
  describe('flavors: mlf models predict (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const work = tempDir('mlf-flavors-e2e-');
  const mlfHome = path.join(work, 'home');
  const reference = new Map<string, string>();
  const pythons: Record<Venv, string | undefined> = { main: e2ePython()!, torch: torchPython, tf: tfPython };
  const requests = (f: Fixture) => (f.csv ? (['json', 'csv'] as const) : (['json'] as const));
  const requestFile = (f: Fixture, type: 'json' | 'csv') => path.join(fixturesDir, 'flavors', f.name, `request.${type}`);
  const modelDir = (f: Fixture) => path.join(fixturesDir, 'flavors', f.name, 'model');

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    // MLflow's own `models predict` for every case of one test Python, in one process each.
    for (const venv of ['main', 'torch', 'tf'] as const) {
      const python = pythons[venv];
      if (!python) continue;
      const cases = FIXTURES.filter((f) => f.venv === venv).flatMap((f) =>
        requests(f).map((type) => ({ id: `${f.name}/${type}`, out: path.join(work, `${f.name}-${type}.mlflow.json`), type, f })),
      );
      const result = await execa(python, [path.join(repoRoot, 'test/e2e/py/mlflow_predict_many.py')], {
        input: JSON.stringify(cases.map((c) => ['predict', '-m', modelDir(c.f), '-i', requestFile(c.f, c.type), '-o', c.out, '-t', c.type, '--env-manager', 'local'])),
        reject: false,
        env: { PATH: path_(python), HOME: process.env.HOME ?? work, TMPDIR: work, ...KERAS_ENV[venv] },
      });
      if (result.exitCode !== 0) throw new Error(`mlflow_predict_many.py failed:\n${result.stderr}`);
      const outcomes = JSON.parse(result.stdout) as { exit_code: number; output: string }[];
      cases.forEach((c, index) => {
        if (outcomes[index]!.exit_code !== 0) throw new Error(`mlflow models predict failed for ${c.id}:\n${outcomes[index]!.output}`);
        reference.set(c.id, readFileSync(c.out, 'utf8'));
      });
    }
  }, 900_000);

  const predict = async (f: Fixture, type: 'json' | 'csv', manager: 'local' | 'uv', extraEnv: Record<string, string> = {}) => {
    const python = pythons[f.venv]!;
    const result = await runMlf(['models', 'predict', '-m', modelDir(f), '-i', requestFile(f, type), '-t', type, '--env-manager', manager, '--json'], {
      mlfHome,
      env: { PATH: path_(python), TMPDIR: work, ...KERAS_ENV[f.venv], ...extraEnv },
    });
    expect(result.exitCode, `${f.name}/${type}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as { runtime: string; fallbackReason?: string; output: string };
  };

  describe('--env-manager local', () => {
    for (const f of FIXTURES) {
      const run = pythons[f.venv] ? it : it.skip;
      const skipped = skipReason(f.venv);
      run(`${title(f)}${skipped}`, async () => {
        for (const type of requests(f)) {
          const report = await predict(f, type, 'local');
          expect(report.runtime, `${f.name}/${type}`).toBe(f.runtime);
          expect(report.fallbackReason, `${f.name}/${type}`).toBe(f.fallback);
          expect(report.output, `${f.name}/${type}`).toBe(reference.get(`${f.name}/${type}`));
          // The fixture's expected-response.json is what MLflow's scoring server answered on the
          // machine that wrote it: the same text but for float digits that this CPU's kernels may round otherwise.
          expect(jsonDifference(report.output, readFileSync(path.join(fixturesDir, 'flavors', f.name, 'expected-response.json'), 'utf8')), `${f.name}/${type}`).toBeUndefined();
        }
      }, 300_000);
    }
  });

  (torchPython ? it : it.skip)(`pytorch (pt2) with MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false: MLflow vets the archive, so its loader, with the reason; MLflow's bytes${NO_TORCH}`, async () => {
    const f = FIXTURES.find((x) => x.name === 'pytorch')!;
    const report = await predict(f, 'json', 'local', { MLFLOW_ALLOW_PICKLE_DESERIALIZATION: 'false' });
    expect(report.runtime).toBe('mlflow');
    expect(report.fallbackReason).toBe('MLFLOW_ALLOW_PICKLE_DESERIALIZATION is false');
    expect(report.output).toBe(reference.get('pytorch/json'));
  }, 300_000);

  (torchPython ? it : it.skip)(`pytorch (pt2) given rows of the wrong width: exit 2, one line in the words of MLflow's _enforce_tensor_spec${NO_TORCH}`, async () => {
    const input = path.join(work, 'three-columns.json');
    writeFileSync(input, JSON.stringify({ inputs: [[1, 2, 3]] }));
    const f = FIXTURES.find((x) => x.name === 'pytorch')!;
    const result = await runMlf(['models', 'predict', '-m', modelDir(f), '-i', input, '--env-manager', 'local'], {
      mlfHome,
      env: { PATH: path_(torchPython!), TMPDIR: work },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('Shape of input (1, 3) does not match expected shape (-1, 4).');
  }, 300_000);

  it('lightgbm with --env-manager uv: an environment from the model\'s own requirements, the fast path, MLflow\'s bytes', async () => {
    const f = FIXTURES.find((x) => x.name === 'lightgbm')!;
    const report = await predict(f, 'json', 'uv');
    expect(report.runtime).toBe('lightgbm');
    expect(report.fallbackReason).toBeUndefined();
    expect(report.output).toBe(reference.get('lightgbm/json'));
  }, 900_000);
}
