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
});
