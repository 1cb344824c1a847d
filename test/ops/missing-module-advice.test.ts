/**
 * The missing-module advice never misleads: a distribution only when a table or the index's
 * wheel vouches for it, never a requirement the model already lists, otherwise code_paths.
 * (The commands under the error are cli/fix-commands.ts's: test/cli/fix-commands.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { adviseMissingModule, MissingModuleError, type MissingModuleFacts } from '../../src/ops/missing-module-advice.js';

const base: MissingModuleFacts = { module: 'textfeat', known: [], requirements: [{ text: 'mlflow==3.17.2', origin: 'requirements.txt:1' }], override: [] };

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

describe('MissingModuleError', () => {
  const ctx = { stage: 'load' as const, pythonMessage: "ModuleNotFoundError: No module named 'textfeat'" };

  it('local code: the code_paths advice, no distribution named, exit 1', () => {
    const error = new MissingModuleError({ kind: 'local-code', module: 'textfeat', indexChecked: true }, ctx);
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('MISSING_MODULE');
    expect(error.message).toBe("the model could not be loaded: ModuleNotFoundError: No module named 'textfeat'");
    expect(error.hint).toBe(
      "no table of mlf's knows a distribution that installs `textfeat`, and the index has no package of that name that does: `textfeat` looks like local code that was not saved with the model (it is not in `code/`)",
    );
    expect(error.detail).toBeUndefined();
    expect(error.data).toMatchObject({ module: 'textfeat', advice: 'local-code' });
  });

  it('listed, with --env-manager local: the local interpreter lacks it, and adding it again changes nothing', () => {
    const error = new MissingModuleError(
      { kind: 'listed', module: 'skops', distribution: 'skops', requirement: 'skops==0.16.0', origin: 'requirements.txt:4' },
      { ...ctx, pythonMessage: "ModuleNotFoundError: No module named 'skops'", localPython: '/usr/bin/python3' },
    );
    expect(error.hint).toBe(
      'the model lists `skops==0.16.0` (requirements.txt:4), but the local interpreter `/usr/bin/python3` does not have it: `--env-manager local` installs nothing, so adding the requirement again would change nothing',
    );
    expect(error.environment).toEqual({ localPython: '/usr/bin/python3' });
  });

  it('listed, in an isolated environment: says the environment was built with it', () => {
    const error = new MissingModuleError(
      { kind: 'listed', module: 'google.cloud', distribution: 'protobuf', requirement: 'protobuf==5.0', origin: 'requirements.txt:2' },
      { ...ctx, envDir: '/cache/uv-1' },
    );
    expect(error.hint).toBe(
      'the model lists `protobuf==5.0` (requirements.txt:2) and the environment was built with it, yet `google` cannot be imported: `protobuf` may not install `google` at this version, or the environment (`/cache/uv-1`) is damaged',
    );
  });

  it('index-vouched: a warning to check it is the package meant', () => {
    const error = new MissingModuleError({ kind: 'install', module: 'textfeat', distribution: 'textfeat', source: 'index', version: '0.1' }, ctx);
    expect(error.hint).toMatch(/^no table of mlf's knows `textfeat`, but the index has a distribution `textfeat` whose files install it: make sure it is the package you mean/);
    expect(error.data).toEqual({ module: 'textfeat', advice: 'install', distribution: 'textfeat', known: false, pythonMessage: ctx.pythonMessage, stage: 'load' });
  });
});
