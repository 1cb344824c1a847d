import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eUnavailableReason, fixturesDir, runMlf } from '../support/cli.js';
import { copyDirectory } from '../support/files.js';

/**
 * `mlf models validate` on flavor models MLflow wrote: the flavor's own packages are required
 * (MLF505), its files are of the right kind, and a clean directory passes.
 */
const reason = e2eUnavailableReason();
const model = (name: string) => path.join(fixturesDir, 'models', name);
const flavorModel = (name: string) => path.join(fixturesDir, 'flavors', name, 'model');

/**
 * The flavor fixtures MLflow 3.17.2 wrote (fixtures/make_flavor_fixtures.py): the flavor in
 * messages, the model file, and the packages its loader needs. xgboost's requirements name
 * both `xgboost-cpu` and `xgboost` (either installs the module): removing `xgboost` removes both.
 */
const FLAVOR_FIXTURES: { fixture: string; flavor: string; file: string; needs: string[]; replaced: 'MLF112' | 'MLF504' }[] = [
  { fixture: 'xgboost', flavor: 'xgboost', file: 'model.ubj', needs: ['xgboost'], replaced: 'MLF112' },
  { fixture: 'xgboost-booster', flavor: 'xgboost', file: 'model.ubj', needs: ['xgboost'], replaced: 'MLF112' },
  { fixture: 'lightgbm', flavor: 'lightgbm', file: 'model.lgb', needs: ['lightgbm'], replaced: 'MLF112' },
  { fixture: 'lightgbm-sklearn', flavor: 'lightgbm', file: 'model.skops', needs: ['lightgbm', 'skops'], replaced: 'MLF112' },
  { fixture: 'catboost', flavor: 'catboost', file: 'model.cb', needs: ['catboost'], replaced: 'MLF112' },
  // A pickle: its kind is the pickle scan's (MLF504, a warning: exit 0).
  { fixture: 'statsmodels', flavor: 'statsmodels', file: 'model.statsmodels', needs: ['statsmodels'], replaced: 'MLF504' },
  { fixture: 'onnx', flavor: 'onnx', file: 'model.onnx', needs: ['onnx', 'onnxruntime'], replaced: 'MLF112' },
  { fixture: 'keras', flavor: 'keras', file: 'data/model.keras', needs: ['keras', 'torch'], replaced: 'MLF112' },
  { fixture: 'pytorch', flavor: 'pytorch', file: 'data/model.pt2', needs: ['torch', 'cloudpickle'], replaced: 'MLF112' },
  { fixture: 'pytorch-pickle', flavor: 'pytorch', file: 'data/model.pth', needs: ['torch', 'cloudpickle'], replaced: 'MLF112' },
  // Logged with ndarray input examples: tensor signatures, an `ndarray` example.
  { fixture: 'sklearn-tensor', flavor: 'sklearn', file: 'model.skops', needs: ['scikit-learn', 'skops'], replaced: 'MLF112' },
  { fixture: 'xgboost-tensor', flavor: 'xgboost', file: 'model.ubj', needs: ['xgboost'], replaced: 'MLF112' },
  { fixture: 'lightgbm-tensor', flavor: 'lightgbm', file: 'model.lgb', needs: ['lightgbm'], replaced: 'MLF112' },
  { fixture: 'catboost-tensor', flavor: 'catboost', file: 'model.cb', needs: ['catboost'], replaced: 'MLF112' },
  { fixture: 'statsmodels-tensor', flavor: 'statsmodels', file: 'model.statsmodels', needs: ['statsmodels'], replaced: 'MLF504' },
  { fixture: 'onnx-tensor', flavor: 'onnx', file: 'model.onnx', needs: ['onnx', 'onnxruntime'], replaced: 'MLF112' },
  // Keras 3 on TensorFlow through mlflow.tensorflow: requirements name `tensorflow-cpu` and `tensorflow` (removed together, as xgboost's) and no `keras`, which comes with TensorFlow.
  { fixture: 'tensorflow', flavor: 'tensorflow', file: 'data/model.keras', needs: ['tensorflow'], replaced: 'MLF112' },
];

/** The model directory with every line naming `distribution` removed from requirements.txt and conda.yaml. */
function withoutRequirement(source: string, distribution: string): string {
  const dir = copyDirectory(source);
  for (const file of ['requirements.txt', 'conda.yaml']) {
    const full = path.join(dir, file);
    const kept = readFileSync(full, 'utf8')
      .split('\n')
      .filter((line) => !new RegExp(`^\\s*(- )?${distribution}\\b`).test(line));
    writeFileSync(full, kept.join('\n'));
  }
  return dir;
}

describe.skipIf(reason !== undefined)(`mlf models validate on flavor models (e2e)${reason ? ` — skipped: ${reason}` : ''}`, () => {
  it('issue 14: an MLflow 3.x sklearn model (skops, the default) whose requirements.txt and conda.yaml lost scikit-learn exits 1 naming requirements.txt and the package', async () => {
    const dir = withoutRequirement(model('sklearn-iris'), 'scikit-learn');
    const result = await runMlf(['models', 'validate', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '  requirements.txt\n           error    the `sklearn` flavor loads the model with `sklearn`, but `requirements.txt` and `conda.yaml` require no `scikit-learn`',
    );
    expect(result.stdout).toContain('hint: add `scikit-learn==1.9.1` to `requirements.txt` and `conda.yaml`');
    expect(result.stdout).toContain('[MLF505]');

    const json = await runMlf(['models', 'validate', dir, '--json']);
    const report = JSON.parse(json.stdout) as { models: { diagnostics: { code: string; file: string; severity: string }[] }[] };
    expect(report.models[0]!.diagnostics).toEqual([expect.objectContaining({ code: 'MLF505', file: 'requirements.txt', severity: 'error' })]);
  });

  it('the same model without skops: MLF505 names skops, the package its skops file is read with', async () => {
    const result = await runMlf(['models', 'validate', withoutRequirement(model('sklearn-iris'), 'skops')]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('the `sklearn` flavor reads the skops file with `skops`, but `requirements.txt` and `conda.yaml` require no `skops`');
  });

  it('the clean MLflow-written skops model passes', async () => {
    const result = await runMlf(['models', 'validate', model('sklearn-iris')]);
    expect(result.exitCode).toBe(0);
  });

  describe.each(FLAVOR_FIXTURES)('$fixture (written by MLflow)', ({ fixture, flavor, file, needs, replaced }) => {
    it('passes as MLflow wrote it', async () => {
      const result = await runMlf(['models', 'validate', flavorModel(fixture)]);
      expect(result.stdout).toContain(': ok');
      expect(result.exitCode).toBe(0);
    });

    it.each(needs)('without %s: exit 1, MLF505 naming the flavor and the package', async (distribution) => {
      const result = await runMlf(['models', 'validate', withoutRequirement(flavorModel(fixture), distribution), '--json']);
      expect(result.exitCode).toBe(1);
      const report = JSON.parse(result.stdout) as { models: { diagnostics: { code: string; file: string; message: string }[] }[] };
      expect(report.models[0]!.diagnostics).toEqual([
        expect.objectContaining({ code: 'MLF505', file: 'requirements.txt', message: expect.stringContaining(`the \`${flavor}\` flavor`) }),
      ]);
      expect(report.models[0]!.diagnostics[0]!.message).toContain(`require no \`${distribution}\``);
    });

    it(`its ${file} replaced by text: ${replaced} on it`, async () => {
      const dir = copyDirectory(flavorModel(fixture));
      writeFileSync(path.join(dir, file), 'not a model\n');
      const result = await runMlf(['models', 'validate', dir, '--json']);
      expect(result.exitCode).toBe(replaced === 'MLF112' ? 1 : 0);
      const report = JSON.parse(result.stdout) as { models: { diagnostics: { code: string; file: string }[] }[] };
      expect(report.models[0]!.diagnostics).toEqual([expect.objectContaining({ code: replaced, file })]);
    });
  });

  it('keras-no-signature, as MLflow wrote it, requires no torch while its keras_backend is torch: MLF505, a real finding', async () => {
    // MLflow's keras save_model writes only `keras`; loading sets KERAS_BACKEND=torch, which imports torch.
    const result = await runMlf(['models', 'validate', flavorModel('keras-no-signature'), '--json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { models: { diagnostics: { code: string; message: string }[] }[] };
    expect(report.models[0]!.diagnostics).toEqual([
      expect.objectContaining({ code: 'MLF505', message: expect.stringContaining('the `keras` flavor runs the model (`keras_backend`) with `torch`') }),
    ]);
  });
});
