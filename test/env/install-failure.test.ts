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
      'replace it for this run with `--pip-requirements-override PKG==VERSION`, then fix the model with `mlf models update-pip-requirements -m /m add PKG==VERSION`',
    );
    expect(error.detail).toBe(toolError.stderrTail);
    expect(error.data).toMatchObject({ failedRequirement: 'six==99', origin: 'requirements.txt:2', step: 'requirements', exitCode: 1 });
  });
});
