import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { copyDirectory, snapshotDirectory } from '../support/files.js';

/**
 * `mlf models validate` as a user runs it: the built CLI, exit codes, the formats, and `--fix`
 * whose output real MLflow (the e2e venv) still loads and predicts with.
 */
const reason = e2eUnavailableReason();
const broken = (name: string) => path.join(fixturesDir, 'broken', name);
const model = (name: string) => path.join(fixturesDir, 'models', name);



/** Loads the model with real MLflow, predicts on its input example, and reads its env as MLflow does. */
const LOAD_AND_PREDICT = `
import json, sys
import pandas as pd
import mlflow.pyfunc
from mlflow.utils.virtualenv import _get_python_env
from pathlib import Path
d = sys.argv[1]
m = mlflow.pyfunc.load_model(d)
ex = json.load(open(Path(d) / "input_example.json"))
df = pd.DataFrame(ex["data"], columns=ex.get("columns"))
pred = m.predict(df)
env = _get_python_env(Path(d))
deps = mlflow.pyfunc.get_model_dependencies(d, format="conda")
import yaml
conda = yaml.safe_load(open(deps))
print(json.dumps({"rows": len(pred), "python": env.python, "channels": conda["channels"]}))
`;

describe.skipIf(reason !== undefined)(`mlf models validate (e2e)${reason ? ` — skipped: ${reason}` : ''}`, () => {
  it('exits 0 on a clean model and prints `ok`', async () => {
    const result = await runMlf(['models', 'validate', model('sklearn-iris')]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${model('sklearn-iris')}: ok\n\n1 model checked: no problems\n`);
  });

  it('exits 1 when errors are found, and names file, line and rule', async () => {
    const result = await runMlf(['models', 'validate', 'fixtures/broken/import-unprovided'], { cwd: path.dirname(fixturesDir) });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('  code/scaled_sum.py\n    10     error    `lightgbm` is imported, but no requirement provides `lightgbm`');
    expect(result.stdout).toContain('[MLF502]');
  });

  it('exits 2 when an argument cannot be read, still checking the others', async () => {
    const result = await runMlf(['models', 'validate', 'no/such/dir', model('sklearn-iris'), '--format', 'json']);
    expect(result.exitCode).toBe(2);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.models.map((m: { ok: boolean }) => m.ok)).toEqual([false, true]);
    expect(parsed.models[0].diagnostics[0].message).toBe('cannot read `no/such/dir`: no such file or directory');
    expect(parsed.summary.exitCode).toBe(2);
  });

  it('warnings pass, unless --strict; --rule turns them off', async () => {
    const dir = broken('conda-defaults-channel');
    expect((await runMlf(['models', 'validate', dir])).exitCode).toBe(0);
    expect((await runMlf(['models', 'validate', dir, '--strict'])).exitCode).toBe(1);
    expect((await runMlf(['models', 'validate', dir, '--strict', '--rule', 'MLF401=off'])).exitCode).toBe(0);
    expect((await runMlf(['models', 'validate', dir, '--rule', 'conda-defaults-channel=error'])).exitCode).toBe(1);
  });

  it('refuses a bad --rule with one line and exit 2', async () => {
    const result = await runMlf(['models', 'validate', model('sklearn-iris'), '--rule', 'MLF999=off']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('error: `--rule MLF999=off`: no rule or group is called `MLF999`; the rule codes are listed in the README (e.g. `MLF204`)\n');
    expect(result.stdout).toBe('');
  });

  it('--format github writes workflow commands with paths relative to the working directory', async () => {
    const result = await runMlf(['models', 'validate', 'fixtures/broken/credentials-in-url', '--format', 'github'], { cwd: path.dirname(fixturesDir) });
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([
      '::warning file=fixtures/broken/credentials-in-url/requirements.txt,line=4,title=MLF208 extra-index-url::`--extra-index-url https://****@pypi.example.com/simple` lets `https://****@pypi.example.com/simple` serve any package name, alongside PyPI (dependency confusion)%0Ahint: use a single index that proxies PyPI, or pin with `--hash`',
      '::error file=fixtures/broken/credentials-in-url/requirements.txt,line=4,title=MLF212 credentials-in-url::a URL with credentials: `https://****@pypi.example.com/simple`; anyone who can read the model can read them%0Ahint: remove the credentials and supply them through pip\'s keyring or netrc at install time',
    ]);
    expect(result.stdout).not.toContain('s3cret');
  });

  it('--format sarif prints one SARIF 2.1.0 log', async () => {
    const result = await runMlf(['models', 'validate', broken('conda-defaults-channel'), broken('python-version-float'), '--format', 'sarif']);
    expect(result.exitCode).toBe(1);
    const log = JSON.parse(result.stdout);
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['MLF401', 'MLF108']);
  });

  it('--fix rewrites what it can, says so, the result loads in real MLflow, and a second --fix changes nothing', async () => {
    const python = e2ePython()!;
    const dirs = [copyDirectory(model('mlflow1-defaults'), 'mlf-validate-e2e-'), copyDirectory(broken('combined-mlflow1-style'), 'mlf-validate-e2e-'), copyDirectory(broken('conda-pip-missing-package'), 'mlf-validate-e2e-')];
    const first = await runMlf(['models', 'validate', '--fix', '--format', 'json', ...dirs]);
    const parsed = JSON.parse(first.stdout);
    expect(parsed.models.map((m: { fixes: { code: string }[] }) => m.fixes.map((f) => f.code))).toEqual([['MLF401'], ['MLF401', 'MLF302'], ['MLF301']]);
    expect(readFileSync(path.join(dirs[0]!, 'conda.yaml'), 'utf8')).toBe(
      'channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip\n- pip:\n  - mlflow\n  - scikit-learn==1.9.1\n  - cloudpickle==3.1.2\nname: mlflow-env\n',
    );

    for (const dir of dirs) {
      const loaded = await execa(python, ['-c', LOAD_AND_PREDICT, dir], { reject: false });
      expect(loaded.exitCode, loaded.stderr).toBe(0);
      const out = JSON.parse(loaded.stdout.trim().split('\n').pop()!);
      expect(out.channels).toEqual(['conda-forge']);
      expect(out.python).toBe('3.11.7');
      expect(out.rows).toBeGreaterThan(0);
    }

    const before = dirs.map(snapshotDirectory);
    const second = await runMlf(['models', 'validate', '--fix', ...dirs]);
    expect(second.stdout).not.toContain('fixed');
    expect(dirs.map(snapshotDirectory)).toEqual(before);
  });

  it('--smoke builds the environment and predicts on the example: the missing dependency fails at load, as the static rule said', async () => {
    const mlfHome = tempDir('mlf-validate-smoke-home-');
    const result = await runMlf(['models', 'validate', '--smoke', '--format', 'json', model('sklearn-iris'), model('missing-dep')], { mlfHome });
    expect(result.exitCode, result.stderr).toBe(1);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.models[0].diagnostics).toEqual([]);
    const codes = parsed.models[1].diagnostics.map((d: { code: string; file: string }) => `${d.code} ${d.file}`);
    expect(codes).toEqual(['MLF502 code/table_model.py', 'MLF801 serving_input_example.json']);
    expect(parsed.models[1].diagnostics[1].message).toContain("ModuleNotFoundError: No module named 'tabulate'");
  });

  it('--env-manager without --smoke is bad usage', async () => {
    const result = await runMlf(['models', 'validate', model('sklearn-iris'), '--env-manager', 'uv']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('error: `--env-manager` only applies with `--smoke`; add `--smoke`, or drop `--env-manager`\n');
  });
});

