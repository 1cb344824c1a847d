import { describe, expect, it } from 'vitest';
import { findFailedRequirement, installFailure } from '../../src/env/install-failure.js';
import { ToolError } from '../../src/env/exec.js';
import type { ResolvedLine } from '../../src/deps/requirements-txt.js';

const lines: ResolvedLine[] = [
  { text: 'numpy>=1', line: 1, file: 'requirements.txt', origin: 'requirements.txt:1' },
  { text: 'six==99', line: 2, file: 'requirements.txt', origin: 'requirements.txt:2' },
];

describe('findFailedRequirement', () => {
  // Messages as pip 23 and uv 0.13 print them (captured on this machine).
  it.each([
    [
      'uv, no such version',
      'error: No solution found when resolving dependencies\n  cause: Because there is no version of six==99 and you require six==99, we can conclude that your requirements are unsatisfiable.',
      'six==99',
    ],
    [
      'uv, unknown package',
      'error: No solution found when resolving dependencies\n  cause: Because nonexistent-pkg-zzz was not found in the package registry and you require nonexistent-pkg-zzz, we can conclude that your requirements are unsatisfiable.',
      'nonexistent-pkg-zzz',
    ],
    [
      'pip, no such version',
      'ERROR: Could not find a version that satisfies the requirement six==99 (from versions: 1.16.0, 1.17.0)\nERROR: No matching distribution found for six==99',
      'six==99',
    ],
    ['pip, build failure', '  ERROR: Failed building wheel for Six\nFailed to build six', 'Six'],
    ['uv, build failure', 'error: Failed to build `six==99`\n  Caused by: ...', 'six==99'],
    ['conda', 'PackagesNotFoundError: The following packages are not available from current channels:\n\n  - six==99\n', 'six==99'],
  ])('%s', (_label, output, named) => {
    const found = findFailedRequirement(output, lines);
    expect(found?.named).toBe(named);
  });

  it('traces the failed requirement to its line by canonical name', () => {
    expect(findFailedRequirement('No matching distribution found for SIX==99', lines)?.line?.origin).toBe('requirements.txt:2');
  });

  it('finds nothing in output that names no requirement', () => {
    expect(findFailedRequirement('error: disk full', lines)).toBeUndefined();
  });
});

describe('installFailure', () => {
  it('is INSTALL_FAILED, exit 3, naming the requirement, its origin and the installer tail', () => {
    const toolError = new ToolError({
      tool: 'uv',
      argv: ['/usr/bin/uv', 'pip', 'install', '-r', '/c/requirements.txt'],
      exitCode: 1,
      stdout: '',
      stderr: 'Using Python 3.11.7 environment at: env\nerror: No solution found when resolving dependencies\n  cause: Because there is no version of six==99 and you require six==99, we can conclude that your requirements are unsatisfiable.\n',
    });
    const error = installFailure(toolError, { manager: 'uv', envDir: '/c/uv-1', modelDir: '/m', step: 'requirements', lines });
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      "installing the model's requirements failed: `uv` exited with code 1; the requirement that failed: `six==99` (from `requirements.txt:2`)",
    );
    expect(error.hint).toBe(
      'pick a version the index has: try it for this run with `--pip-requirements-override six==VERSION`, then fix line requirements.txt:2 with `mlf models update-pip-requirements -m /m add six==VERSION` (or drop it: `mlf models update-pip-requirements -m /m remove six`)',
    );
    // The error points at the line: rendered as `/m/requirements.txt:2: installing ...`.
    expect(error.where).toBe('/m/requirements.txt:2');
    expect(error.detail).toBe(toolError.stderrTail);
    expect(error.data).toMatchObject({ failedRequirement: 'six==99', origin: 'requirements.txt:2', step: 'requirements', exitCode: 1 });
  });

  it('a name the index does not have: no override (it cannot remove a line), the line and `remove`, and the name it was likely meant to be', () => {
    const misspelled: ResolvedLine[] = [
      { text: 'mlflow==3.17.2', line: 1, file: 'requirements.txt', origin: 'requirements.txt:1' },
      { text: 'scikit_lern==1.9.1', line: 3, file: 'requirements.txt', origin: 'requirements.txt:3' },
    ];
    // uv 0.13.9's words, captured on this machine.
    const toolError = new ToolError({
      tool: 'uv',
      argv: ['/usr/bin/uv', 'pip', 'install', '-r', '/c/requirements.txt'],
      exitCode: 1,
      stdout: '',
      stderr:
        'error: No solution found when resolving dependencies\n  cause: Because scikit-lern was not found in the package registry and you require scikit-lern==1.9.1, we can conclude that your requirements are unsatisfiable.\n',
    });
    const error = installFailure(toolError, { manager: 'uv', envDir: '/c/uv-1', modelDir: '/models/my model', step: 'requirements', lines: misspelled });
    expect(error.message).toBe(
      "installing the model's requirements failed: `uv` exited with code 1; the requirement that failed: `scikit_lern==1.9.1` (from `requirements.txt:3`)",
    );
    expect(error.hint).toBe(
      "the index has no distribution called `scikit-lern` (did you mean `scikit-learn`?): correct or remove line requirements.txt:3 (`mlf models update-pip-requirements -m '/models/my model' remove scikit-lern`, then `add` the right name with its version)",
    );
    expect(error.where).toBe('/models/my model/requirements.txt:3');
  });

  it('pip\'s "(from versions: none)" is a name the index does not have', () => {
    const toolError = new ToolError({
      tool: 'pip',
      argv: ['/e/bin/python', '-m', 'pip', 'install'],
      exitCode: 1,
      stdout: '',
      stderr: 'ERROR: Could not find a version that satisfies the requirement zzz-not-a-pkg==1 (from versions: none)\nERROR: No matching distribution found for zzz-not-a-pkg==1\n',
    });
    const error = installFailure(toolError, { manager: 'virtualenv', envDir: '/c/v', modelDir: '/m', step: 'requirements', lines: [] });
    expect(error.hint).toBe('the index has no distribution called `zzz-not-a-pkg`: correct or remove the requirement (`mlf models update-pip-requirements -m /m remove zzz-not-a-pkg`, then `add` the right name with its version)');
    expect(error.where).toBeUndefined();
  });
});
