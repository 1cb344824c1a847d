/**
 * The hints of MLF501/MLF502 never name a distribution no table knows: a module of an unknown
 * name is most often local code the model was saved without, and a package published under
 * such a name is how dependency confusion attacks work.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFiles } from '../../../src/validate/load.js';
import { checkDependencies } from '../../../src/validate/rules/dependencies.js';
import { knownDistributionsFor, suggestedDistribution } from '../../../src/deps/module-provider.js';

const broken = path.resolve(__dirname, '../../../fixtures/broken');

async function diagnosticsOf(name: string) {
  return checkDependencies(await loadModelFiles(path.join(broken, name)));
}

describe('MLF501 hints', () => {
  it('a pickled class from a local module saved without code_paths: re-save with code paths, no distribution named', async () => {
    const [found, ...rest] = await diagnosticsOf('pickle-local-module-unsaved');
    expect(rest).toEqual([]);
    expect(found?.code).toBe('MLF501');
    expect(found?.hint).toBe(
      '`textfeat` looks like local code that is missing from `code/`: re-save the model with its file or package as a code path ' +
        '(MLflow: `code_paths=["textfeat.py"]` or `code_paths=["textfeat"]`; mlf: `mlf models package --code-path textfeat.py`); ' +
        'if it is a published package, add the distribution that installs it to requirements.txt and conda.yaml',
    );
    expect(found?.hint).not.toMatch(/add the distribution that provides/);
  });

  it('a module a table knows: names its distribution', async () => {
    const [found] = await diagnosticsOf('pickle-module-unprovided');
    expect(found?.hint).toBe('add the distribution that provides `xgboost` (`xgboost`) to requirements.txt and conda.yaml, or put the module in `code/`');
  });
});

describe('knownDistributionsFor', () => {
  it.each([
    ['cv2.dnn', ['opencv-python', 'opencv-python-headless', 'opencv-contrib-python', 'opencv-contrib-python-headless']],
    ['sklearn.ensemble', ['scikit-learn']],
    ['xgboost.sklearn', ['xgboost']],
    ['mlflow.pyfunc', ['mlflow', 'mlflow-skinny', 'mlflow-tracing']],
    ['skops.io', ['skops']],
    ['textfeat', []],
  ])('%s -> %j', (module, expected) => {
    expect(knownDistributionsFor(module)).toEqual(expected);
  });

  it('suggests nothing for a name no table knows', () => {
    expect(suggestedDistribution('textfeat')).toBeUndefined();
    expect(suggestedDistribution('PIL.Image')).toBe('pillow');
  });
});
