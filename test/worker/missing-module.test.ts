/**
 * The missing-module advice never misleads: a distribution only when a table or the index's
 * wheel vouches for it, never a requirement the model already lists, otherwise code_paths.
 */
import { describe, expect, it } from 'vitest';
import { adviseMissingModule, missingModuleError, type MissingModuleFacts } from '../../src/worker/missing-module.js';

const base: MissingModuleFacts = { module: 'textfeat', known: [], requirements: [{ text: 'mlflow==3.17.2', origin: 'requirements.txt:1' }], override: [] };
const fix = { modelArg: 'model', inputArg: 'in.json', extraArgs: ['--env-manager', 'uv'] };

describe('adviseMissingModule', () => {
  it('a name no table knows and the index does not have: local code', () => {
    expect(adviseMissingModule({ ...base, index: 'absent' })).toEqual({ kind: 'local-code', module: 'textfeat', indexChecked: true });
  });

  it('offline (the index could not be asked): still local code, never the guess', () => {
    expect(adviseMissingModule(base)).toEqual({ kind: 'local-code', module: 'textfeat', indexChecked: false });
  });

  it("the index has a wheel of that name, but its files install other modules: not suggested", () => {
    const index = { distribution: 'textfeat', version: '0.1', modules: ['something_else'] };
    expect(adviseMissingModule({ ...base, index }).kind).toBe('local-code');
  });

  it('the index has a wheel of that name whose files install the module: suggested, pinned', () => {
    const index = { distribution: 'textfeat', version: '0.1', modules: ['textfeat'] };
    expect(adviseMissingModule({ ...base, module: 'textfeat.core', index })).toEqual({
      kind: 'install',
      module: 'textfeat.core',
      distribution: 'textfeat',
      source: 'index',
      version: '0.1',
    });
  });

  it('a table knows it: suggested without asking the index', () => {
    expect(adviseMissingModule({ ...base, module: 'cv2', known: ['opencv-python', 'opencv-python-headless'] })).toMatchObject({ kind: 'install', distribution: 'opencv-python', source: 'table' });
  });

  it.each([
    ['in requirements.txt', { requirements: [{ text: 'skops==0.16.0', origin: 'requirements.txt:4' }], override: [] }, 'skops==0.16.0', 'requirements.txt:4'],
    ['in the override', { requirements: [], override: ['Skops==0.16.0'] }, 'Skops==0.16.0', '--pip-requirements-override'],
  ])('already listed %s: never proposed again', (_label, lists, requirement, origin) => {
    expect(adviseMissingModule({ ...base, module: 'skops.io', known: ['skops'], ...lists })).toEqual({ kind: 'listed', module: 'skops.io', distribution: 'skops', requirement, origin });
  });

  it('a listed requirement of the module\'s own name counts too (no table needed)', () => {
    expect(adviseMissingModule({ ...base, requirements: [{ text: 'textfeat==1.0 --hash=sha256:00', origin: 'requirements.txt:2' }] }).kind).toBe('listed');
  });
});

describe('missingModuleError', () => {
  const ctx = { stage: 'load' as const, pythonMessage: "ModuleNotFoundError: No module named 'textfeat'", fix };

  it('local code: the code_paths advice, no distribution named, exit 1', () => {
    const error = missingModuleError({ kind: 'local-code', module: 'textfeat', indexChecked: true }, ctx);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe("the model could not be loaded: ModuleNotFoundError: No module named 'textfeat'");
    expect(error.hint).toBe(
      "no table of mlf's knows a distribution that installs `textfeat`, and the index has no package of that name that does: `textfeat` looks like local code that was not saved with the model (it is not in `code/`)",
    );
    expect(error.detail).toBe(
      [
        'Re-save the model with the module as a code path, so that MLflow copies it into code/:',
        '  MLflow: save_model(..., code_paths=["textfeat.py"])   (or the package directory, code_paths=["textfeat"])',
        '  mlf:    mlf models package ... --code-path textfeat.py',
        'If `textfeat` is a published package, add the distribution that installs it by its real name: mlf models update-pip-requirements -m model add NAME==VERSION',
      ].join('\n'),
    );
    expect(error.detail).not.toMatch(/--pip-requirements-override/);
    expect(error.data).toMatchObject({ module: 'textfeat', advice: 'local-code' });
  });

  it('listed, with --env-manager local: install into that interpreter or use an isolated manager, never `add`', () => {
    const error = missingModuleError(
      { kind: 'listed', module: 'skops', distribution: 'skops', requirement: 'skops==0.16.0', origin: 'requirements.txt:4' },
      { ...ctx, pythonMessage: "ModuleNotFoundError: No module named 'skops'", fix: { ...fix, extraArgs: ['--env-manager', 'local'], localPython: '/usr/bin/python3' } },
    );
    expect(error.hint).toBe(
      'the model lists `skops==0.16.0` (requirements.txt:4), but the local interpreter `/usr/bin/python3` does not have it: `--env-manager local` installs nothing, so adding the requirement again would change nothing',
    );
    expect(error.detail).toBe(['Try one of:', '  /usr/bin/python3 -m pip install skops==0.16.0', '  mlf models predict -m model -i in.json --env-manager uv'].join('\n'));
    expect(`${error.hint}\n${error.detail}`).not.toMatch(/update-pip-requirements|--pip-requirements-override/);
  });

  it('listed, in an isolated environment: says the environment was built with it, and how to rebuild', () => {
    const error = missingModuleError(
      { kind: 'listed', module: 'google.cloud', distribution: 'protobuf', requirement: 'protobuf==5.0', origin: 'requirements.txt:2' },
      { ...ctx, envDir: '/cache/uv-1' },
    );
    expect(error.hint).toBe(
      'the model lists `protobuf==5.0` (requirements.txt:2) and the environment was built with it, yet `google` cannot be imported: `protobuf` may not install `google` at this version, or the environment (`/cache/uv-1`) is damaged',
    );
    expect(error.detail).not.toMatch(/add protobuf/);
  });

  it('index-vouched: suggests it pinned, with a warning to check it is the package meant', () => {
    const error = missingModuleError({ kind: 'install', module: 'textfeat', distribution: 'textfeat', source: 'index', version: '0.1' }, ctx);
    expect(error.hint).toMatch(/^no table of mlf's knows `textfeat`, but the index has a distribution `textfeat` whose files install it: make sure it is the package you mean/);
    expect(error.detail?.split('\n').slice(0, 3)).toEqual([
      'Try, in order:',
      '  mlf models predict -m model -i in.json --env-manager uv --pip-requirements-override textfeat==0.1',
      '  mlf models update-pip-requirements -m model add textfeat==0.1',
    ]);
  });
});
