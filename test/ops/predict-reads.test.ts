/**
 * `mlf models predict` reads MLmodel once in TypeScript (issue 10): from locating the model
 * through planning its environment to starting the worker, everything works from the one
 * ModelDirectory model/directory/strict.ts read. Every way src/ opens a file (node:fs `openSync`,
 * which fs/read-regular-file.ts reads through, `readFileSync`, and the promise API) is counted
 * for paths named MLmodel, during one real predict with `--env-manager local` in the MLflow test
 * environment. (The worker reads MLmodel too, in Python, to load the model: that is not counted.)
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { e2ePython, fixturesDir } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const mlmodelOpens: string[] = [];
const countMlmodel = (file: unknown) => {
  if (typeof file === 'string' && path.basename(file) === 'MLmodel') mlmodelOpens.push(file);
};

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const counted = {
    ...fs,
    openSync: ((file: unknown, ...rest: unknown[]) => (countMlmodel(file), (fs.openSync as (...a: unknown[]) => number)(file, ...rest))) as typeof fs.openSync,
    readFileSync: ((file: unknown, ...rest: unknown[]) => (countMlmodel(file), (fs.readFileSync as (...a: unknown[]) => unknown)(file, ...rest))) as typeof fs.readFileSync,
    promises: {
      ...fs.promises,
      readFile: ((file: unknown, ...rest: unknown[]) => (countMlmodel(file), (fs.promises.readFile as (...a: unknown[]) => unknown)(file, ...rest))) as typeof fs.promises.readFile,
    },
  };
  return { ...counted, default: counted };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = ((file: unknown, ...rest: unknown[]) => (countMlmodel(file), (fsp.readFile as (...a: unknown[]) => unknown)(file, ...rest))) as typeof fsp.readFile;
  return { ...fsp, readFile, default: { ...fsp, readFile } };
});

const python = e2ePython();

afterEach(() => {
  mlmodelOpens.length = 0;
});

describe('predict reads MLmodel once', () => {
  it.skipIf(!python)(`from locating the model to the prediction${python ? '' : ' (skipped: no MLflow test environment; set MLF_E2E_PYTHON)'}`, async () => {
    const { predict } = await import('../../src/ops/predict.js');
    const model = path.join(tempDir('mlf-predict-reads-'), 'model');
    cpSync(path.join(fixturesDir, 'models', 'sklearn-iris'), model, { recursive: true });
    const home = tempDir('mlf-home-');
    const result = await predict({
      modelUri: model,
      inputPath: path.join(model, 'serving_input_example.json'),
      contentType: 'json',
      manager: 'local',
      env: { ...process.env, PATH: `${path.dirname(python!)}${path.delimiter}${process.env.PATH ?? ''}`, MLF_HOME: home },
      mlfHome: home,
      cwd: path.dirname(model),
    });
    expect(JSON.parse(result.output!)).toHaveProperty('predictions');
    expect(mlmodelOpens).toEqual([path.join(model, 'MLmodel')]);
  }, 120_000);
});
