import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRules } from '../../src/validate/engine.js';
import { loadModelFiles } from '../../src/validate/load.js';
import { fixturesDir } from '../support/cli.js';

/**
 * Every model directory real MLflow wrote (fixtures/models) validates with no errors. The one
 * exception is by design: `missing-dep` imports `tabulate` without declaring it, and validate
 * must catch exactly that (the ModuleNotFoundError of the seeds, before serving).
 */
const modelsDir = path.join(fixturesDir, 'models');
const models = existsSync(modelsDir)
  ? readdirSync(modelsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(path.join(modelsDir, e.name, 'MLmodel')))
      .map((e) => e.name)
      .sort()
  : [];

const EXPECTED_FINDINGS: Record<string, string[]> = {
  'missing-dep': ['error MLF502 code/table_model.py:10 `tabulate` is imported, but no requirement provides `tabulate`: loading fails with ModuleNotFoundError: No module named \'tabulate\''],
};

describe('real MLflow fixtures', () => {
  it('exist', () => {
    expect(models.length).toBeGreaterThanOrEqual(3);
  });

  it.each(models)('%s has no errors (missing-dep: exactly its known one)', async (name) => {
    const diagnostics = runRules(await loadModelFiles(path.join(modelsDir, name)));
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.severity} ${d.code} ${d.file}:${d.line} ${d.message}`);
    expect(errors).toEqual(EXPECTED_FINDINGS[name] ?? []);
  });

  it('mlflow1-defaults: the `defaults` channel and the missing requirements.txt are warnings', async () => {
    const diagnostics = runRules(await loadModelFiles(path.join(modelsDir, 'mlflow1-defaults')));
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line ?? '-'}`)).toEqual([
      'warning MLF401 conda.yaml:2',
      'warning MLF213 requirements.txt:-',
    ]);
  });
});
