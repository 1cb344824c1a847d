import { inputError } from '../errors.js';
import { findExecutable } from '../env/which.js';
import { packageModel, type PackageOptions, type PackageResult } from '../package/package-model.js';

/**
 * `mlf models package`: write a complete MLflow model directory. `python` defaults to
 * `python3` on PATH, the interpreter a user most likely trained with.
 */
export type PackageRequest = Omit<PackageOptions, 'python'> & { python?: string };

export async function packageModelDirectory(request: PackageRequest): Promise<PackageResult> {
  let python = request.python;
  if (python === undefined) {
    python = findExecutable('python3', request.env) ?? findExecutable('python', request.env);
    if (python === undefined) {
      throw inputError('PYTHON_NOT_FOUND', 'no `python3` on PATH to read the installed packages from', {
        hint: 'pass `--python` with the interpreter the model was trained with',
      });
    }
  }
  return packageModel({ ...request, python });
}
