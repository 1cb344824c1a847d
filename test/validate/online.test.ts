import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFiles } from '../../src/validate/load.js';
import { readRefusal, resolverInput, resolverText, unresolvableDiagnostic } from '../../src/validate/online.js';
import type { ModelFiles } from '../../src/validate/model-files.js';

const base = path.resolve(__dirname, '../../fixtures/broken/_base');

function withRequirements(files: ModelFiles, text: string): ModelFiles {
  return { ...files, requirementFiles: new Map([['requirements.txt', text]]) };
}

describe('resolverInput', () => {
  it("takes requirements.txt's lines (index options included) and the model's Python version", async () => {
    const files = withRequirements(await loadModelFiles(base), '--index-url http://127.0.0.1:1/simple\nmlflow==3.17.2\n# note\nscikit_lern==1.9.1\n');
    const input = resolverInput(files)!;
    expect(input.pythonVersion).toBe('3.11.7');
    expect(resolverText(input)).toBe('--index-url http://127.0.0.1:1/simple\nmlflow==3.17.2\nscikit_lern==1.9.1\n');
    expect(resolverText(input, new Set([input.lines[2]!]))).toBe('--index-url http://127.0.0.1:1/simple\nmlflow==3.17.2\n');
  });

  it('nothing to resolve without requirements.txt', async () => {
    const files = { ...(await loadModelFiles(base)), requirementFiles: new Map() };
    expect(resolverInput(files)).toBeUndefined();
  });
});

describe('readRefusal', () => {
  // uv 0.13.9's words, captured on this machine.
  const absent =
    'error: No solution found when resolving dependencies\n  cause: Because scikit-lern was not found in the package registry and you require scikit-lern==1.9.1, we can conclude that your requirements are unsatisfiable.\n';
  const noVersion =
    'error: No solution found when resolving dependencies\n  cause: Because there is no version of six==99 and you require six==99, we can conclude that your requirements are unsatisfiable.\n';

  it('a name the index does not have, traced to its line, with a did-you-mean and `remove`', async () => {
    const input = resolverInput(withRequirements(await loadModelFiles(base), 'mlflow==3.17.2\n\nscikit_lern==1.9.1\n'))!;
    const found = readRefusal(absent, input)!;
    expect(found.kind).toBe('absent');
    expect(found.located?.statement.line).toBe(3);
    const d = unresolvableDiagnostic(found, 'models/m');
    expect(d).toEqual({
      code: 'MLF901',
      severity: 'error',
      file: 'requirements.txt',
      line: 3,
      message:
        '`scikit_lern==1.9.1` cannot be resolved against the configured index: Because scikit-lern was not found in the package registry and you require scikit-lern==1.9.1, we can conclude that your requirements are unsatisfiable.',
      hint: 'the index has no distribution called `scikit-lern` (did you mean `scikit-learn`?): correct the name, or remove the line (`mlf models update-pip-requirements -m models/m remove scikit-lern`)',
    });
  });

  it('a version the index does not have', async () => {
    const input = resolverInput(withRequirements(await loadModelFiles(base), 'six==99\n'))!;
    const found = readRefusal(noVersion, input)!;
    expect([found.kind, found.located?.statement.line]).toEqual(['version', 1]);
    expect(unresolvableDiagnostic(found, 'm').hint).toBe('pin a version the index has (`mlf models update-pip-requirements -m m add six==VERSION`)');
  });

  it('is not a refusal when uv could not reach the index', async () => {
    const input = resolverInput(withRequirements(await loadModelFiles(base), 'six==1.16.0\n'))!;
    expect(readRefusal('error: Failed to fetch: `http://127.0.0.1:9/simple/six/`\n  Caused by: Connection refused (os error 111)\n', input)).toBeUndefined();
  });
});
