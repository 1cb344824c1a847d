import { cpSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';

// `mlf models package` against real MLflow 3.17.2: a small scikit-learn model trained here, a
// model from code with --code-path and a custom pyfunc with --infer-code-paths, each packaged by
// mlf and saved by MLflow from the same inputs, then loaded with mlflow.pyfunc.load_model.
const skip = e2eUnavailableReason();
const python = e2ePython()!;
const SRC = path.join(fixturesDir, 'package-src');

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

async function py(args: string[], cwd: string): Promise<string> {
  const result = await execa(python, args, { cwd, env: { PYTHONWARNINGS: 'ignore' } });
  return String(result.stdout);
}

async function predictions(modelDir: string, example: string): Promise<number[]> {
  const out = await py([path.join(SRC, 'predict_check.py'), modelDir, example], path.dirname(example));
  return JSON.parse(out.trim().split('\n').pop()!).predictions as number[];
}

function requirementNames(dir: string): string[] {
  return readFileSync(path.join(dir, 'requirements.txt'), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(/[=<>!~;[ ]/)[0]!.toLowerCase());
}

describe.skipIf(skip !== undefined)(`mlf models package (e2e, real MLflow)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let work: string;
  let stdlib: Set<string>;
  const mlf = (args: string[], cwd: string) => runMlf([...args, '--python', python], { cwd, env: { PATH: process.env.PATH ?? '' } });

  beforeAll(async () => {
    work = tempDir('mlf-package-e2e-');
    for (const name of ['sklearn', 'code-model', 'custom-pyfunc']) cpSync(path.join(SRC, name), path.join(work, name), { recursive: true });
    await py([path.join(SRC, 'sklearn', 'train.py'), path.join(work, 'sklearn')], work);
    await py([path.join(SRC, 'save_references.py'), work], work);
    stdlib = new Set(JSON.parse(await py(['-c', 'import sys, json; print(json.dumps(sorted(sys.stdlib_module_names)))'], work)));
  });

  describe('a scikit-learn model', () => {
    let cwd: string;
    let out: string;
    let result: Awaited<ReturnType<typeof mlf>>;
    beforeAll(async () => {
      cwd = path.join(work, 'sklearn');
      result = await mlf(['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'model.pkl', '--input-example', 'example.json', '--capture', '--explain'], cwd);
      out = path.join(cwd, 'out');
    });

    it('succeeds and prints the directory on stdout', () => {
      expect(result.stderr).not.toContain('error');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`${out}\n`);
    });

    it('writes the files mlflow.sklearn.save_model writes, byte for byte except MLmodel ids and the pickle', () => {
      const ref = path.join(cwd, 'ref');
      expect(files(out)).toEqual(files(ref));
      for (const file of files(ref)) {
        if (file === 'MLmodel' || file === 'model.pkl') continue;
        expect.soft(readFileSync(path.join(out, file), 'utf8'), file).toBe(readFileSync(path.join(ref, file), 'utf8'));
      }
    });

    it('MLmodel equals MLflow field by field; model_size_bytes differs only by the pickle sizes', () => {
      const ref = path.join(cwd, 'ref');
      const ours = parseYaml(readFileSync(path.join(out, 'MLmodel'), 'utf8'));
      const theirs = parseYaml(readFileSync(path.join(ref, 'MLmodel'), 'utf8'));
      const pickleDelta = statSync(path.join(out, 'model.pkl')).size - statSync(path.join(ref, 'model.pkl')).size;
      expect(ours.model_size_bytes).toBe(theirs.model_size_bytes + pickleDelta);
      expect(ours.model_uuid).toMatch(/^[0-9a-f]{32}$/);
      expect(ours.utc_time_created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
      for (const key of ['model_uuid', 'utc_time_created', 'model_size_bytes']) {
        delete ours[key];
        delete theirs[key];
      }
      expect(ours).toEqual(theirs);
      // The layout too: the same text once the three values are blanked.
      const blank = (text: string) => text.replace(/^(model_uuid|utc_time_created|model_size_bytes): .*$/gm, '$1: X');
      expect(blank(readFileSync(path.join(out, 'MLmodel'), 'utf8'))).toBe(blank(readFileSync(path.join(ref, 'MLmodel'), 'utf8')));
    });

    it('--explain gives each requirement its reasons', () => {
      expect(result.stderr).toContain('requirements.txt (inferred, MLflow 3.17.2');
      expect(result.stderr).toContain('  scikit-learn==1.9.1\n      - flavor default: the sklearn flavor loads with scikit-learn\n');
      expect(result.stderr).toContain('`sklearn` was imported while the model loaded and predicted (--capture)');
      expect(result.stderr).toMatch(/joblib: `joblib` is required by `scikit-learn`/);
    });

    it('loads with mlflow.pyfunc.load_model and predicts what the in-process model predicts', async () => {
      const inProcess = JSON.parse(
        (
          await py(
            ['-c', 'import cloudpickle, json, pandas as pd; d=json.load(open("example.json")); m=cloudpickle.load(open("model.pkl","rb")); print(json.dumps(m.predict(pd.DataFrame(d["data"], columns=d["columns"])).tolist()))'],
            cwd,
          )
        ).trim(),
      );
      expect(await predictions(out, path.join(cwd, 'example.json'))).toEqual(inProcess);
    });

    it('`mlflow models predict` on it works', async () => {
      const mlflowBin = path.join(path.dirname(python), 'mlflow');
      const run = await execa(mlflowBin, ['models', 'predict', '-m', out, '-i', path.join(out, 'serving_input_example.json'), '-t', 'json', '--env-manager', 'local'], {
        cwd,
        reject: false,
        env: { PYTHONWARNINGS: 'ignore' },
      });
      expect(run.exitCode, String(run.stderr)).toBe(0);
      const expected = await predictions(out, path.join(cwd, 'example.json'));
      expect(JSON.parse(String(run.stdout).trim().split('\n').pop()!)).toEqual({ predictions: expected });
    });

    it('the inferred requirements hold every package MLflow inferred, and nothing from the standard library', () => {
      const ours = requirementNames(out);
      for (const name of requirementNames(path.join(cwd, 'ref'))) expect(ours).toContain(name);
      expect(ours.filter((n) => stdlib.has(n))).toEqual([]);
    });

    it('--json keeps the reasons', async () => {
      const json = await mlf(['models', 'package', '-o', 'out-json', '--flavor', 'sklearn', '--model-file', 'model.pkl', '--json'], cwd);
      expect(json.exitCode).toBe(0);
      const parsed = JSON.parse(json.stdout);
      expect(parsed.ok).toBe(true);
      expect(parsed.requirements).toContainEqual({
        requirement: 'scikit-learn==1.9.1',
        reasons: [
          'flavor default: the sklearn flavor loads with scikit-learn',
          'pinned to the version installed in `' + python + '`',
          'pickle `model.pkl` references `sklearn.linear_model._logistic.LogisticRegression`',
        ],
      });
    });

    it('--lock resolves with uv pip compile in MLflow\'s layout', async () => {
      const locked = await mlf(['models', 'package', '-o', 'out-lock', '--flavor', 'sklearn', '--model-file', 'model.pkl', '--lock'], cwd);
      expect(locked.exitCode, locked.stderr).toBe(0);
      const lines = readFileSync(path.join(cwd, 'out-lock', 'requirements.txt'), 'utf8').split('\n');
      // The original requirements are pinned to what the test environment has installed: ask it,
      // rather than hard-code versions that a new lock of test/e2e/requirements.in may move.
      const installed = JSON.parse(
        await py(['-c', 'import json, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in ["mlflow", "cloudpickle", "numpy", "scikit-learn"]}))'], cwd),
      ) as Record<string, string>;
      expect(lines.slice(0, 7)).toEqual([
        '# Original requirements',
        `# mlflow==${installed.mlflow}`,
        `# cloudpickle==${installed.cloudpickle}`,
        `# numpy==${installed.numpy}`,
        `# scikit-learn==${installed['scikit-learn']}`,
        '#',
        '# Locked requirements',
      ]);
      expect(lines).toContain('scikit-learn==1.9.1');
      const conda = parseYaml(readFileSync(path.join(cwd, 'out-lock', 'conda.yaml'), 'utf8'));
      expect(conda.dependencies[2].pip).toEqual(lines);
    });
  });

  describe('a model from code with --code-path', () => {
    let cwd: string;
    let out: string;
    let result: Awaited<ReturnType<typeof mlf>>;
    beforeAll(async () => {
      cwd = path.join(work, 'code-model');
      result = await mlf(['models', 'package', '-o', 'out', '--python-model', 'model.py', '--code-path', 'textutils', '--input-example', 'example.json', '--capture'], cwd);
      out = path.join(cwd, 'out');
    });

    it('writes the model file at the root and the code path under code/', () => {
      expect(result.exitCode, result.stderr).toBe(0);
      expect(files(out)).toEqual(files(path.join(cwd, 'ref')));
      const mlmodel = parseYaml(readFileSync(path.join(out, 'MLmodel'), 'utf8'));
      expect(mlmodel.flavors.python_function).toMatchObject({
        loader_module: 'mlflow.pyfunc.loaders.code_model',
        model_code_path: path.join(cwd, 'model.py'),
        code: 'code',
        streamable: false,
      });
    });

    it('loads and predicts what the in-process model predicts', async () => {
      const inProcess = JSON.parse(
        (await py(['-c', 'import json, pandas as pd; from model import RowTotal; d=json.load(open("example.json")); print(json.dumps(RowTotal().predict(None, pd.DataFrame(d["data"], columns=d["columns"])).tolist()))'], cwd)).trim(),
      );
      expect(await predictions(out, path.join(cwd, 'example.json'))).toEqual(inProcess);
    });

    it('infers every package MLflow inferred, nothing from the standard library', () => {
      const ours = requirementNames(out);
      for (const name of requirementNames(path.join(cwd, 'ref'))) expect(ours).toContain(name);
      expect(ours.filter((n) => stdlib.has(n))).toEqual([]);
    });
  });

  describe('a custom pyfunc with --infer-code-paths', () => {
    let cwd: string;
    let out: string;
    let result: Awaited<ReturnType<typeof mlf>>;
    beforeAll(async () => {
      cwd = path.join(work, 'custom-pyfunc');
      result = await mlf(['models', 'package', '-o', 'out', '--loader-module', 'custom_loader', '--data', 'weights.json', '--infer-code-paths', '--input-example', 'example.json', '--capture'], cwd);
      out = path.join(cwd, 'out');
    });

    it('collects the loader and core.preprocessing with their package path, and not the training helpers', () => {
      expect(result.exitCode, result.stderr).toBe(0);
      expect(files(out).filter((f) => f.startsWith('code/'))).toEqual(['code/core/__init__.py', 'code/core/preprocessing.py', 'code/custom_loader.py']);
      expect(files(path.join(cwd, 'ref')).filter((f) => f.startsWith('code/'))).toEqual(files(out).filter((f) => f.startsWith('code/')));
    });

    it('loads and predicts what the in-process model predicts', async () => {
      const inProcess = JSON.parse(
        (await py(['-c', 'import json, pandas as pd, custom_loader; d=json.load(open("example.json")); print(json.dumps(custom_loader._load_pyfunc("weights.json").predict(pd.DataFrame(d["data"], columns=d["columns"])).tolist()))'], cwd)).trim(),
      );
      expect(await predictions(out, path.join(cwd, 'example.json'))).toEqual(inProcess);
    });

    it('infers every package MLflow inferred, nothing from the standard library', () => {
      const ours = requirementNames(out);
      for (const name of requirementNames(path.join(cwd, 'ref'))) expect(ours).toContain(name);
      expect(ours).toContain('numpy'); // core/preprocessing.py imports it; MLflow's capture misses it
      expect(ours.filter((n) => stdlib.has(n))).toEqual([]);
    });
  });

  describe('warnings', () => {
    it('a pickle referencing a module that is not installed is reported, not a crash', async () => {
      const cwd = tempDir('mlf-package-warn-');
      cpSync(path.join(fixturesDir, 'pickles', 'stdlib-p2.pkl'), path.join(cwd, 'model.pkl'));
      const run = await mlf(['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'model.pkl'], cwd);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toContain(
        `warning: \`model.pkl\` references \`mlf_fixture_not_installed.widgets\`, which no distribution installed in \`${python}\` provides; it is not in the requirements: install it there or pass it with \`--extra-pip-requirements\`\n`,
      );
    });

    it('`from src.utils import` with `--code-path src/utils.py` warns with the fix', async () => {
      const cwd = tempDir('mlf-package-caveat-');
      cpSync(path.join(SRC, 'caveat'), cwd, { recursive: true });
      const run = await mlf(['models', 'package', '-o', 'out', '--python-model', 'model.py', '--code-path', 'src/utils.py'], cwd);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toContain(
        "warning: `model.py:9` imports `src.utils`, but `--code-path src/utils.py` is copied to `code/utils.py`, where it imports as `utils`; the model will fail with ModuleNotFoundError: No module named 'src'. Pass `--code-path src` to keep the package path\n",
      );
      const fixed = await mlf(['models', 'package', '-o', 'out2', '--python-model', 'model.py', '--code-path', 'src'], cwd);
      expect(fixed.exitCode).toBe(0);
      expect(fixed.stderr).not.toContain('ModuleNotFoundError');
      expect(existsSync(path.join(cwd, 'out2', 'code', 'src', 'utils.py'))).toBe(true);
    });
  });
});
