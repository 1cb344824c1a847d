import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { condaCreateArgs, condaInstallArgs, findCondaTool, withoutOverridden } from '../../src/env/managers/conda.js';
import { prepareEnvironment } from '../../src/env/prepare.js';
import type { EnvRequest } from '../../src/env/types.js';
import { MlfError } from '../../src/errors.js';
import { fakeBin, FAKES_DIR, readLog, readModel, tempDir, writeModel } from './helpers.js';

/**
 * conda cannot be installed on these machines: the conda manager is tested against the
 * stand-in in test/fakes (named conda, mamba or micromamba on PATH), which records its
 * command lines; these tests assert them exactly.
 */

const CONDA_YAML =
  'channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=24.0\n- pip:\n  - six==99\n  - numpy>=1\n  - -c constraints.txt\nname: mlflow-env\n';

let modelDir: string;
let mlfHome: string;
let log: string;

beforeEach(() => {
  modelDir = writeModel(path.join(tempDir(), 'model'), {
    requirements: 'six==99\nnumpy>=1\n-c constraints.txt\n',
    constraints: 'numpy<3\n',
    conda: CONDA_YAML,
  });
  mlfHome = tempDir('mlf-home-');
  log = path.join(tempDir(), 'calls.jsonl');
});

async function request(bin: string, extra: Partial<EnvRequest> = {}, env: Record<string, string> = {}): Promise<EnvRequest> {
  return {
    model: await readModel(modelDir),
    manager: 'conda',
    pipRequirementsOverride: [],
    installMlflow: false,
    env: { PATH: bin, MLF_HOME: mlfHome, MLF_FAKE_LOG: log, MLF_FAKE_PYTHON: '/usr/bin/python3', ...env },
    cwd: tempDir(),
    ...extra,
  };
}

describe('conda manager (recording stand-in)', () => {
  it('creates the env with `conda env create --prefix ENV --file conda.yaml`, then installs the override with `conda install`', async () => {
    const bin = fakeBin(['conda', 'mamba', 'micromamba']);
    const prepared = await prepareEnvironment(await request(bin, { pipRequirementsOverride: ['six==1.17.0'] }));
    expect(prepared).toMatchObject({ manager: 'conda', built: true, pythonPath: path.join(prepared.envDir, 'bin', 'python') });
    expect(prepared.envDir).toBe(path.join(mlfHome, 'envs-v1', `conda-${prepared.key.slice(0, 16)}`));
    const calls = readLog(log);
    const scratch = `${prepared.envDir}.inputs/conda`;
    expect(calls.map((c) => [c.tool, ...c.argv])).toEqual([
      ['conda', 'env', 'create', '--prefix', prepared.envDir, '--file', `${scratch}/conda.yaml`],
      ['conda', 'install', '--yes', '--prefix', prepared.envDir, 'six=1.17.0'],
    ]);
    // conda runs pip beside the file: a scratch copy whose other entries link to the model's.
    expect(calls[0]!.cwd).toBe(scratch);
    expect(calls[0]!.file).toBe(
      'channels:\n  - conda-forge\ndependencies:\n  - python=3.11.7\n  - pip<=24.0\n  - pip:\n      - numpy>=1\n      - -c constraints.txt\nname: mlflow-env\n',
    );
    expect(readFileSync(path.join(modelDir, 'conda.yaml'), 'utf8')).toBe(CONDA_YAML);
    expect(existsSync(`${prepared.envDir}.inputs`)).toBe(false);
    // Second time: nothing runs.
    expect((await prepareEnvironment(await request(bin, { pipRequirementsOverride: ['six==1.17.0'] }))).built).toBe(false);
    expect(readLog(log)).toHaveLength(2);
  });

  it('passes conda.yaml through unchanged without an override', async () => {
    const bin = fakeBin(['conda']);
    await prepareEnvironment(await request(bin));
    const calls = readLog(log);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.file).toBe(CONDA_YAML);
  });

  it.each<[string, string[], string, string[]]>([
    ['mamba when conda is missing', ['mamba', 'micromamba'], 'mamba', ['env', 'create', '--prefix']],
    ['micromamba when it is the only one', ['micromamba'], 'micromamba', ['create', '--yes', '--prefix']],
  ])('uses %s', async (_label, tools, expected, argvStart) => {
    const bin = fakeBin(tools);
    const prepared = await prepareEnvironment(await request(bin, { pipRequirementsOverride: ['six==1.17.0'] }));
    const calls = readLog(log);
    expect(calls.map((c) => c.tool)).toEqual([expected, expected]);
    expect(calls[0]!.argv.slice(0, argvStart.length)).toEqual(argvStart);
    expect(calls[1]!.argv).toEqual(['install', '--yes', '--prefix', prepared.envDir, 'six=1.17.0']);
  });

  it('honours MLFLOW_CONDA_HOME and MLFLOW_CONDA_CREATE_ENV_CMD', async () => {
    const home = tempDir();
    mkdirSync(path.join(home, 'bin'));
    symlinkSync(path.join(FAKES_DIR, 'conda'), path.join(home, 'bin', 'mamba'));
    symlinkSync(path.join(FAKES_DIR, 'conda'), path.join(home, 'bin', 'conda'));
    const bin = fakeBin(['conda']); // on PATH, but MLFLOW_CONDA_HOME wins
    expect(findCondaTool({ PATH: bin, MLFLOW_CONDA_HOME: home })).toEqual({ flavor: 'conda', path: path.join(home, 'bin', 'conda') });
    expect(findCondaTool({ PATH: bin, MLFLOW_CONDA_HOME: home, MLFLOW_CONDA_CREATE_ENV_CMD: 'mamba' })).toEqual({
      flavor: 'mamba',
      path: path.join(home, 'bin', 'mamba'),
    });
    await prepareEnvironment(await request(bin, {}, { MLFLOW_CONDA_HOME: home }));
    expect(readLog(log).map((c) => c.tool)).toEqual(['conda']);
  });

  it('fails clearly when no conda is found (exit 3)', async () => {
    const bin = fakeBin([]);
    const error = (await prepareEnvironment(await request(bin)).catch((e: unknown) => e)) as MlfError;
    expect(error).toBeInstanceOf(MlfError);
    expect(error.code).toBe('CONDA_NOT_FOUND');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('--env-manager conda needs conda, mamba or micromamba, and none was found on PATH');
    expect(error.hint).toBe(
      'install Miniforge (https://conda-forge.org/download/) or micromamba, set MLFLOW_CONDA_HOME, or use `--env-manager uv`',
    );
  });

  it('turns a failed create into INSTALL_FAILED naming the requirement from conda.yaml', async () => {
    const bin = fakeBin(['conda']);
    const error = (await prepareEnvironment(await request(bin, {}, { MLF_FAKE_FAIL_ON: 'six==99' })).catch((e: unknown) => e)) as MlfError;
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.message).toBe(
      "installing the model's requirements failed: `conda` exited with code 1; the requirement that failed: `six==99` (from `conda.yaml, pip entry 1`)",
    );
  });
});

describe('conda command lines', () => {
  it.each<['conda' | 'mamba' | 'micromamba', string[], string[]]>([
    ['conda', ['env', 'create', '--prefix', '/e', '--file', '/f/conda.yaml'], ['install', '--yes', '--prefix', '/e', 'a=1', 'b>=2']],
    ['mamba', ['env', 'create', '--prefix', '/e', '--file', '/f/conda.yaml'], ['install', '--yes', '--prefix', '/e', 'a=1', 'b>=2']],
    ['micromamba', ['create', '--yes', '--prefix', '/e', '--file', '/f/conda.yaml'], ['install', '--yes', '--prefix', '/e', 'a=1', 'b>=2']],
  ])('%s', (flavor, create, install) => {
    const tool = { flavor, path: `/bin/${flavor}` };
    expect(condaCreateArgs(tool, '/e', '/f/conda.yaml')).toEqual(create);
    expect(condaInstallArgs(tool, '/e', ['a==1', 'b>=2'])).toEqual(install);
  });

  it('drops override-named pip entries by canonical name', () => {
    expect(withoutOverridden('dependencies:\n- pip:\n  - Six==99\n  - numpy\n', ['six==1'])).toBe('dependencies:\n  - pip:\n      - numpy\n');
    expect(withoutOverridden(CONDA_YAML, ['pandas==2'])).toBe(CONDA_YAML);
  });
});
