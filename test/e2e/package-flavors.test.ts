import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eTfPython, e2eTorchPython, e2eUnavailableReason, fixturesDir, NO_TF_REASON, repoRoot, runMlf, tempDir } from '../support/cli.js';

// `mlf models package --flavor F --model-file FILE` for each flavor written from the library's own
// file, against real MLflow 3.17.2: fixtures/package-src/flavors/make_models.py trains a tiny model
// per flavor, writes its file and saves MLflow's directory from that file loaded back; mlf
// packages the same file with the same example (and --capture, as MLflow infers requirements by
// loading the model). Both directories are then compared file by file and MLmodel field by field
// (ids, time and the model file's bytes aside), and both are loaded and predicted with by MLflow.
// pytorch and keras run in .e2e/torch (MLF_E2E_TORCH_PYTHON), the only environment with torch,
// tensorflow in .e2e/tf (MLF_E2E_TF_PYTHON); without them their rows are skipped, saying so in their names.
// pytorch-pt2 is MLflow 3.x's default format: a torch.export.save archive and an ndarray example
// (example.npy), and mlf's directory is also predicted on by `mlf models predict` (the worker's pt2
// fast path), equal to `mlflow models predict` on MLflow's.
const skip = e2eUnavailableReason();
type Venv = 'main' | 'torch' | 'tf';
const pythons: Record<Venv, string | undefined> = { main: e2ePython()!, torch: e2eTorchPython(), tf: e2eTfPython() };
const SCRIPTS = path.join(fixturesDir, 'package-src', 'flavors');
/** Keras runs on torch in .e2e/torch; MLflow's and mlf's inference of requirements load torch, which takes minutes on a busy machine (MLflow's default timeout is 120 s). */
const PYTHON_ENV = { KERAS_BACKEND: 'torch', MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT: '600' };
/** The environment of each test Python: TensorFlow's venv runs Keras on TensorFlow. */
const VENV_ENV: Record<Venv, Record<string, string>> = { main: PYTHON_ENV, torch: PYTHON_ENV, tf: { ...PYTHON_ENV, KERAS_BACKEND: 'tensorflow' } };
const SKIPPED: Record<Venv, string> = { main: '', torch: ' [skipped: no .e2e/torch (MLF_E2E_TORCH_PYTHON); .ci/run makes it]', tf: NO_TF_REASON };

interface Row {
  project: string;
  flavor: string;
  file: string;
  /** The model file's name in the directory. */
  written: string;
  args: string[];
  venv: Venv;
  /** `--input-example`: example.json (a table) unless given. */
  example?: string;
}

const FLAVORS: Row[] = [
  { project: 'sklearn-skops', flavor: 'sklearn', file: 'model.skops', written: 'model.skops', args: ['--serialization-format', 'skops'], venv: 'main' },
  { project: 'xgboost', flavor: 'xgboost', file: 'booster.ubj', written: 'model.ubj', args: [], venv: 'main' },
  { project: 'xgboost-sklearn', flavor: 'xgboost', file: 'model.ubj', written: 'model.ubj', args: ['--model-type', 'XGBClassifier'], venv: 'main' },
  { project: 'lightgbm', flavor: 'lightgbm', file: 'booster.txt', written: 'model.lgb', args: [], venv: 'main' },
  { project: 'lightgbm-sklearn', flavor: 'lightgbm', file: 'model.skops', written: 'model.skops', args: [], venv: 'main' },
  { project: 'catboost', flavor: 'catboost', file: 'model.cbm', written: 'model.cb', args: ['--model-type', 'CatBoostClassifier'], venv: 'main' },
  { project: 'statsmodels', flavor: 'statsmodels', file: 'results.pickle', written: 'model.statsmodels', args: [], venv: 'main' },
  { project: 'onnx', flavor: 'onnx', file: 'model.onnx', written: 'model.onnx', args: [], venv: 'main' },
  { project: 'pytorch', flavor: 'pytorch', file: 'model.pth', written: 'data/model.pth', args: [], venv: 'torch' },
  { project: 'pytorch-pt2', flavor: 'pytorch', file: 'model.pt2', written: 'data/model.pt2', args: [], venv: 'torch', example: 'example.npy' },
  { project: 'keras', flavor: 'keras', file: 'model.keras', written: 'data/model.keras', args: [], venv: 'torch' },
  // No signature: mlflow.tensorflow infers a column one from the DataFrame example and refuses it (save_model(signature=False)).
  { project: 'tensorflow', flavor: 'tensorflow', file: 'model.keras', written: 'data/model.keras', args: ['--no-signature'], venv: 'tf' },
];
const ROWS = FLAVORS.filter((row) => pythons[row.venv] !== undefined);
const VENVS = (['main', 'torch', 'tf'] as const).filter((venv) => ROWS.some((row) => row.venv === venv));

/**
 * mlf pins an installed `torch==2.13.0+cpu` without its local label (a warning says so: PyPI has
 * no `+cpu`; README, `mlf models package`), where MLflow keeps the label. Compared without it.
 */
const withoutLocalLabels = (text: string) => text.replace(/^(\s*(?:- )?torch==[^+\s]+)\+\S+$/gm, '$1');

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

const readMlmodel = (dir: string) => parseYaml(readFileSync(path.join(dir, 'MLmodel'), 'utf8')) as Record<string, unknown> & { flavors: Record<string, Record<string, unknown>> };

describe.skipIf(skip !== undefined)(`mlf models package for each flavor (e2e, real MLflow)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let work: string;
  const runs = new Map<string, Awaited<ReturnType<typeof runMlf>>>();
  const predictions = new Map<string, unknown>();

  beforeAll(async () => {
    work = tempDir('mlf-package-flavors-');
    // onnxruntime leaves a `.ses` file in TMPDIR, torch a `torchinductor_<user>/`: each Python gets a TMPDIR inside the work directory, removed with it.
    const pythonTemp = path.join(work, 'tmp');
    mkdirSync(pythonTemp);
    const pythonEnv = (venv: Venv) => ({ PYTHONWARNINGS: 'ignore', TMPDIR: pythonTemp, ...VENV_ENV[venv] });
    // One script per environment, both at once.
    await Promise.all(
      VENVS.map((venv) =>
        execa(pythons[venv]!, [path.join(SCRIPTS, 'make_models.py'), work, ...ROWS.filter((row) => row.venv === venv).map((row) => row.project)], { env: pythonEnv(venv), timeout: 600_000 }),
      ),
    );
    // Two at a time: each run waits mostly on its Python (the facts, the capture).
    const pending = [...ROWS];
    const packageNext = async (): Promise<void> => {
      const next = pending.shift();
      if (!next) return;
      const { project, flavor, file, args, venv, example } = next;
      const packageArgs = ['models', 'package', '-o', 'out', '--flavor', flavor, '--model-file', file, '--input-example', example ?? 'example.json', '--capture', ...args, '--python', pythons[venv]!];
      runs.set(project, await runMlf(packageArgs, { cwd: path.join(work, project), env: { PATH: process.env.PATH ?? '', TMPDIR: pythonTemp, ...VENV_ENV[venv] } }));
      await packageNext();
    };
    await Promise.all([packageNext(), packageNext()]);
    // One MLflow process per environment loads and predicts with each of its directories, MLflow's and mlf's, each project's on its example.
    await Promise.all(
      VENVS.map(async (venv) => {
        const rows = ROWS.filter((row) => row.venv === venv);
        const dirs = rows.flatMap(({ project }) => [path.join(work, project, 'ref'), path.join(work, project, 'out')]);
        const args = rows.flatMap(({ project, example }) => [path.join(work, project, example ?? 'example.json'), path.join(work, project, 'ref'), path.join(work, project, 'out')]);
        const loaded = await execa(pythons[venv]!, [path.join(SCRIPTS, 'load_predict.py'), ...args], { env: pythonEnv(venv), timeout: 600_000, reject: false });
        const results = loaded.exitCode === 0 ? (JSON.parse(String(loaded.stdout).trim().split('\n').pop()!) as unknown[]) : [];
        dirs.forEach((dir, index) => predictions.set(dir, results[index] ?? { error: `load_predict.py failed: ${String(loaded.stderr).slice(-500)}` }));
      }),
    );
  }, 1_200_000);

  describe.each(FLAVORS)('$project', ({ project, flavor, written, venv }) => {
    const test = pythons[venv] ? it : it.skip;
    const skipped = pythons[venv] ? '' : SKIPPED[venv];
    const ours = () => path.join(work, project, 'out');
    const theirs = () => path.join(work, project, 'ref');

    test(`succeeds${skipped}`, () => {
      const run = runs.get(project)!;
      expect(run.exitCode, run.stderr).toBe(0);
    });

    test(`writes the files mlflow.${flavor}.save_model writes, byte for byte except MLmodel and the model file${skipped}`, () => {
      expect(files(ours())).toEqual(files(theirs()));
      for (const file of files(theirs())) {
        if (file === 'MLmodel' || file === written) continue;
        expect.soft(withoutLocalLabels(readFileSync(path.join(ours(), file), 'utf8')), file).toBe(withoutLocalLabels(readFileSync(path.join(theirs(), file), 'utf8')));
      }
    });

    test(`MLmodel equals MLflow field by field; model_size_bytes differs only by the model file sizes${skipped}`, () => {
      const mine = readMlmodel(ours());
      const reference = readMlmodel(theirs());
      const fileDelta = statSync(path.join(ours(), written)).size - statSync(path.join(theirs(), written)).size;
      expect(mine.model_size_bytes).toBe((reference.model_size_bytes as number) + fileDelta);
      for (const key of ['model_uuid', 'utc_time_created', 'model_size_bytes']) {
        delete mine[key];
        delete reference[key];
      }
      // MLflow's lightgbm writes its trusted types from a set: their order changes from run to run.
      for (const doc of [mine, reference]) {
        const section = doc.flavors[flavor]!;
        if (Array.isArray(section.skops_trusted_types)) section.skops_trusted_types = [...(section.skops_trusted_types as string[])].sort();
      }
      expect(mine).toEqual(reference);
    });

    test(`loads in real MLflow and predicts what MLflow's own directory predicts${skipped}`, () => {
      const reference = predictions.get(theirs());
      expect(reference).toHaveProperty('predictions');
      expect(predictions.get(ours())).toEqual(reference);
    });
  });

  // mlf's own predict on the pt2 directory mlf wrote, with the serving example it wrote, against `mlflow models predict` on MLflow's
  // directory with MLflow's serving example (the two files are equal, above): the worker's pt2 fast path, MLflow's bytes.
  const pt2Test = pythons.torch ? it : it.skip;
  pt2Test(`pytorch-pt2: \`mlf models predict\` on mlf's directory takes the pt2 fast path and answers what \`mlflow models predict\` answers on MLflow's${pythons.torch ? '' : SKIPPED.torch}`, async () => {
    const dir = path.join(work, 'pytorch-pt2');
    const python = pythons.torch!;
    const env = { PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`, TMPDIR: path.join(work, 'tmp') };
    const expectedFile = path.join(dir, 'mlflow-predict.json');
    const [ours, theirs] = await Promise.all([
      runMlf(['models', 'predict', '-m', path.join(dir, 'out'), '-i', path.join(dir, 'out', 'serving_input_example.json'), '--env-manager', 'local', '--json'], { mlfHome: path.join(work, 'home'), env }),
      execa(python, [path.join(repoRoot, 'test/e2e/py/mlflow_predict_many.py')], {
        input: JSON.stringify([['predict', '-m', path.join(dir, 'ref'), '-i', path.join(dir, 'ref', 'serving_input_example.json'), '-o', expectedFile, '-t', 'json', '--env-manager', 'local']]),
        env: { ...env, HOME: process.env.HOME ?? work },
        timeout: 300_000,
      }),
    ]);
    expect((JSON.parse(theirs.stdout) as { exit_code: number }[])[0]!.exit_code, theirs.stdout).toBe(0);
    expect(ours.exitCode, ours.stderr).toBe(0);
    const report = JSON.parse(ours.stdout) as { runtime: string; output: string };
    expect(report.runtime).toBe('pytorch');
    expect(report.output).toBe(readFileSync(expectedFile, 'utf8'));
  }, 300_000);
});
