import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOADERS_WITHOUT_MLFLOW, whyMlflowIsNeeded } from '../../src/docker/needs-mlflow.js';
import { systemPackagesFor } from '../../src/docker/system-packages.js';
import { parseMlmodel } from '../../src/model/mlmodel.js';
import { fixturesDir, repoRoot } from '../support/cli.js';

const iris = parseMlmodel(readFileSync(path.join(fixturesDir, 'models', 'sklearn-iris', 'MLmodel'), 'utf8'), 'MLmodel').document;
/** Logged by MLflow with an ndarray example: a tensor signature, which the worker's sklearn runtime enforces. */
const irisTensor = parseMlmodel(readFileSync(path.join(fixturesDir, 'flavors', 'sklearn-tensor', 'model', 'MLmodel'), 'utf8'), 'MLmodel').document;
const tensor = (spec: Record<string, unknown>) => JSON.stringify([{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1, 4] }, ...spec }]);

describe('whyMlflowIsNeeded', () => {
  it('leaves MLflow out for the sklearn fixture (the worker loads it without)', () => {
    expect(whyMlflowIsNeeded(iris)).toBeUndefined();
  });

  it('leaves MLflow out for a tensor signature the worker enforces (the sklearn-tensor fixture, named tensors, string tensors)', () => {
    expect(irisTensor.signature).toMatchObject({ inputs: expect.stringContaining('"tensor-spec"') });
    expect(whyMlflowIsNeeded(irisTensor)).toBeUndefined();
    const named = JSON.stringify([
      { type: 'tensor', name: 'a', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] } },
      { type: 'tensor', name: 'b', 'tensor-spec': { dtype: 'str', shape: [-1] } },
    ]);
    expect(whyMlflowIsNeeded({ ...iris, signature: { inputs: named } })).toBeUndefined();
  });

  it.each([
    [{ flavors: { python_function: { loader_module: 'mlflow.pyfunc.model' } } }, 'its loader_module is `mlflow.pyfunc.model`'],
    [{ is_signature_from_type_hint: true }, 'its signature comes from type hints'],
    [{ metadata: { 'mlflow.model.is_external': true } }, 'the model is external'],
    [{ flavors: { ...iris.flavors, sklearn: { ...iris.flavors!.sklearn, serialization_format: 'joblib' } } }, 'its serialization format is `joblib`'],
    [{ signature: { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}, {"type": "double"}]' } }, 'its signature has a non-scalar input type'],
    [{ signature: { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64"}}]' } }, 'a tensor input of its signature lacks its dtype or shape'],
    [{ signature: { inputs: tensor({ 'tensor-spec': { dtype: '<U10', shape: [-1] } }) } }, 'a tensor input of its signature has the dtype `<U10`, which this check does not know'],
    [{ signature: { inputs: tensor({ 'tensor-spec': { dtype: 'float64', shape: [-1, 'n'] } }) } }, 'a tensor input of its signature has a non-integer dimension'],
    [{ signature: { inputs: tensor({ name: '' }) } }, 'a tensor input of its signature has a name that is not a string'],
    [{ signature: { inputs: JSON.stringify([JSON.parse(tensor({ name: 'a' }))[0], JSON.parse(tensor({}))[0]]) } }, 'its signature mixes named and unnamed inputs'],
    [{ signature: { inputs: JSON.stringify([JSON.parse(tensor({}))[0], JSON.parse(tensor({}))[0]]) } }, 'its signature has several unnamed tensors'],
    [{ signature: { inputs: '[{"type": "double", "name": "a"}]', params: '[{"name": "k", "type": "long", "default": 1}]' } }, 'its signature has a params schema'],
  ])('needs MLflow for %j', (change, reason) => {
    expect(whyMlflowIsNeeded({ ...iris, ...change })).toBe(reason);
  });

  it("covers only loaders the worker's registry runs without mlflow", () => {
    const registry = readFileSync(path.join(repoRoot, 'src', 'worker', 'mlf_worker', 'runtimes', 'registry.py'), 'utf8');
    const block = /RUNTIMES_WITHOUT_MLFLOW = \{([^}]*)\}/.exec(registry)![1]!;
    const loaders = [...block.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
    for (const loader of LOADERS_WITHOUT_MLFLOW) expect(loaders).toContain(loader);
  });
});

describe('systemPackagesFor', () => {
  it('adds libgomp1 for lightgbm, as MLflow does, and nothing for sklearn', () => {
    expect(systemPackagesFor(iris)).toEqual([]);
    expect(systemPackagesFor({ ...iris, flavors: { ...iris.flavors, lightgbm: {} } })).toEqual(['libgomp1']);
  });
});
