import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelDirectory } from '../../../src/model/directory/strict.js';
import { rejectedMlfError } from '../../support/errors.js';

const root = mkdtempSync(path.join(tmpdir(), 'mlf-model-directory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function makeModel(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const MLMODEL = `flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    python_version: 3.11.7
`;

describe('readModelDirectory', () => {
  it('reads a fixture written by MLflow', async () => {
    const dir = path.resolve(import.meta.dirname, '../../../fixtures/models/sklearn-iris');
    const model = await readModelDirectory({ dir, shown: dir });
    expect(model.dir).toBe(dir);
    expect(model.mlmodelText).toBe(readFileSync(path.join(dir, 'MLmodel'), 'utf8'));
    expect(model.condaText).toBe(readFileSync(path.join(dir, 'conda.yaml'), 'utf8'));
    expect(model.pythonEnvText).toBe(readFileSync(path.join(dir, 'python_env.yaml'), 'utf8'));
    expect(model.requirementsText).toBe(readFileSync(path.join(dir, 'requirements.txt'), 'utf8'));
    expect(model.constraintsText).toBeUndefined();
    expect(model.mlmodel.flavors?.python_function?.loader_module).toBe('mlflow.sklearn');
    expect(model.envFileNames).toEqual({ conda: 'conda.yaml', virtualenv: 'python_env.yaml' });
  });

  it('reads env files under the names MLmodel declares', async () => {
    const dir = makeModel('custom-names', {
      MLmodel: 'flavors:\n  python_function:\n    env:\n      conda: envs/my-conda.yaml\n      virtualenv: envs/venv.yaml\n',
      'envs/my-conda.yaml': 'name: x\n',
      'envs/venv.yaml': 'python: 3.11.7\n',
      'conda.yaml': 'name: not-this-one\n',
      'constraints.txt': 'numpy<2',
    });
    const model = await readModelDirectory({ dir, shown: dir });
    expect(model.condaText).toBe('name: x\n');
    expect(model.pythonEnvText).toBe('python: 3.11.7\n');
    expect(model.constraintsText).toBe('numpy<2');
    expect(model.requirementsText).toBeUndefined();
  });

  it('reads the old string form of env', async () => {
    const dir = makeModel('old-env', {
      MLmodel: 'flavors:\n  python_function:\n    env: old.yaml\n    loader_module: m\n',
      'old.yaml': 'name: old\n',
    });
    const model = await readModelDirectory({ dir, shown: dir });
    expect(model.condaText).toBe('name: old\n');
    expect(model.pythonEnvText).toBeUndefined();
  });

  it('fails with MLflow wording when there is no MLmodel', async () => {
    const dir = makeModel('empty', {});
    const error = await rejectedMlfError(readModelDirectory({ dir, shown: dir }));
    expect(error.message).toBe(`Could not find an "MLmodel" configuration file at "${dir}"`);
    expect(error.code).toBe('MLMODEL_NOT_FOUND');
    expect(error.exitCode).toBe(2);
  });

  it('fails with MLflow wording when the path does not exist', async () => {
    const error = await rejectedMlfError(readModelDirectory({ dir: path.join(root, 'missing'), shown: 'missing/' }));
    expect(error.message).toBe('Could not find an "MLmodel" configuration file at "missing"');
  });

  it('fails when the path is a file, pointing at its directory when it is MLmodel', async () => {
    const dir = makeModel('file-given', { MLmodel: MLMODEL });
    const error = await rejectedMlfError(readModelDirectory({ dir: path.join(dir, 'MLmodel'), shown: 'file-given/MLmodel' }));
    expect(error.message).toBe('`file-given/MLmodel` is not a directory');
    expect(error.code).toBe('NOT_A_DIRECTORY');
    expect(error.hint).toBe('Pass the directory that contains it: `file-given`.');
  });

  it('reports malformed MLmodel YAML with file and line', async () => {
    const dir = makeModel('malformed', { MLmodel: 'flavors:\n  python_function:\n    env: conda.yaml\n   bad: [\n' });
    const error = await rejectedMlfError(readModelDirectory({ dir, shown: 'malformed' }));
    expect(error.code).toBe('MALFORMED_YAML');
    expect(error.location.file).toBe('malformed/MLmodel');
    expect(error.location.line).toBe(4);
    expect(error.exitCode).toBe(2);
  });

  it('reports an invalid field with its line', async () => {
    const dir = makeModel('invalid-field', { MLmodel: 'flavors:\n  python_function:\n    env: 3\n' });
    const error = await rejectedMlfError(readModelDirectory({ dir, shown: 'invalid-field' }));
    expect(error.message).toBe(
      'Invalid field `flavors.python_function.env` in `invalid-field/MLmodel`: expected a file name or a mapping with `conda` and `virtualenv` file names, got an integer (`3`)',
    );
    expect(error.location.line).toBe(3);
  });

  it('refuses env file names that leave the directory', async () => {
    const dir = makeModel('escape', {
      MLmodel: 'flavors:\n  python_function:\n    env:\n      conda: ../../etc/conda.yaml\n      virtualenv: python_env.yaml\n',
    });
    const error = await rejectedMlfError(readModelDirectory({ dir, shown: 'escape' }));
    expect(error.message).toBe(
      'Invalid field `flavors.python_function.env.conda` in `escape/MLmodel`: `../../etc/conda.yaml` is not a path inside the model directory',
    );
    expect(error.location.line).toBe(4);
  });
});
