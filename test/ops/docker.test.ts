import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDockerfile } from '../../src/ops/docker.js';
import { cliIsBuilt, copyFixtureModel, tempDir } from '../support/cli.js';

// The context holds mlf's bundle (dist/bundle), which `npm run build` makes.
const built = cliIsBuilt();

async function generate(model: string, extra: { installMlflow?: boolean; envManager?: 'conda'; baseImage?: string } = {}) {
  const out = path.join(tempDir('mlf-ops-docker-'), 'context');
  const generated = await generateDockerfile({ modelUri: model, outputDirectory: out, envManager: 'uv', installMlflow: false, protocol: 'mlflow,v2', buildkit: false, env: {}, cwd: process.cwd(), ...extra });
  const read = (file: string) => (existsSync(path.join(out, file)) ? readFileSync(path.join(out, file), 'utf8') : undefined);
  return { generated, out, read };
}

describe.skipIf(!built)(`generateDockerfile${built ? '' : ' (skipped: the CLI is not built: run `npm run build`)'}`, () => {
  it('leaves MLflow out of the sklearn fixture and adds what the worker imports', async () => {
    const { generated, read } = await generate(copyFixtureModel('sklearn-iris'));
    expect(generated.mlflowInstalled).toBeUndefined();
    expect(generated.leftOut).toEqual(['mlflow==3.17.2']);
    expect(read('requirements/requirements.txt')).toBe('numpy==2.4.6\npandas==3.1.1\nscikit-learn==1.9.1\nscipy==1.17.1\nskops==0.16.0\nPyYAML==6.0.4\n');
    expect(read('model_dir/MLmodel')).toBeDefined();
    expect(read('mlf/bin/mlf.js')).toBeDefined();
    expect(read('mlf/bin/mlf-healthcheck.mjs')).toBeDefined();
    expect(read('mlf/src/worker/mlf_worker/loop.py')).toBeDefined();
  });

  it('keeps MLflow with --install-mlflow', async () => {
    const { generated, read } = await generate(copyFixtureModel('sklearn-iris'), { installMlflow: true });
    expect(generated.mlflowInstalled).toEqual({ reason: '--install-mlflow' });
    expect(read('requirements/requirements.txt')).toContain('mlflow==3.17.2\n');
    expect(read('requirements/requirements.txt')).not.toContain('PyYAML');
  });

  it('installs a hashed lock with --require-hashes, and adds nothing unhashed to it', async () => {
    const model = copyFixtureModel('sklearn-iris');
    const hash = '--hash=sha256:' + '0'.repeat(64);
    writeFileSync(path.join(model, 'requirements.txt'), `numpy==2.4.6 ${hash}\npyyaml==6.0.4 ${hash}\n`);
    const { generated, read } = await generate(model);
    expect(generated.requireHashes).toBe(true);
    expect(read('requirements/requirements.txt')).toBe(`numpy==2.4.6 ${hash}\npyyaml==6.0.4 ${hash}\n`);
    expect(read('Dockerfile')).toContain('--require-hashes -r /opt/mlf-requirements/requirements.txt');
    // Unhashed build dependencies would fail a hash-checked install.
    expect(read('Dockerfile')).not.toContain('pip==26.3');
  });

  it('with conda, writes the model\'s conda.yaml with its pip list planned (MLflow left out) and pointing at the copied files', async () => {
    const model = copyFixtureModel('sklearn-iris');
    const { generated, read } = await generate(model, { envManager: 'conda', baseImage: 'registry.example/miniforge3:24' });
    expect(generated.envManager).toBe('conda');
    expect(generated.leftOut).toEqual(['mlflow==3.17.2']);
    const conda = read('requirements/conda.yaml')!;
    expect(conda).toContain('- python=3.11.7\n');
    expect(conda).toContain('- pip:\n  - -r /opt/mlf-requirements/requirements.txt\nname: mlflow-env\n');
    // conda.yaml's pip list, not requirements.txt: what `conda env create` on the model would install.
    const pipList = readFileSync(path.join(model, 'conda.yaml'), 'utf8').match(/^ {2,}- (\S+)$/gm)!.map((l) => l.trim().slice(2)).filter((l) => !l.startsWith('mlflow'));
    expect(read('requirements/requirements.txt')!.split('\n').filter(Boolean).slice(0, pipList.length)).toEqual(pipList);
    expect(read('Dockerfile')).toContain('ARG BASE_IMAGE=registry.example/miniforge3:24');
  });

  it('refuses conda without a --base-image, and for a model with no conda.yaml (exit 2)', async () => {
    const model = copyFixtureModel('sklearn-iris');
    await expect(generate(model, { envManager: 'conda' })).rejects.toMatchObject({ code: 'DOCKER_CONDA_NEEDS_BASE_IMAGE', exitCode: 2 });
    rmSync(path.join(model, 'conda.yaml'));
    await expect(generate(model, { envManager: 'conda', baseImage: 'x' })).rejects.toMatchObject({ code: 'MODEL_CONDA_MISSING', exitCode: 2 });
  });

  it('refuses a model whose python_env.yaml names no Python (exit 2)', async () => {
    const model = copyFixtureModel('sklearn-iris');
    writeFileSync(path.join(model, 'python_env.yaml'), 'dependencies:\n- -r requirements.txt\n');
    await expect(generate(model)).rejects.toMatchObject({ code: 'PYTHON_VERSION_MISSING', exitCode: 2 });
  });
});
