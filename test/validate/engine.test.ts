import { describe, expect, it } from 'vitest';
import { applyOverrides, parseRuleOverrides, runRules, type RuleCheck } from '../../src/validate/engine.js';
import type { Diagnostic } from '../../src/validate/diagnostic.js';
import type { ModelFiles } from '../../src/validate/model-files.js';
import { isMlfError } from '../../src/errors.js';

describe('parseRuleOverrides', () => {
  it.each([
    [['MLF204=off'], [['MLF204', 'off']]],
    [['mlf204=warn'], [['MLF204', 'warning']]],
    [['MLF401=error'], [['MLF401', 'error']]],
    [['unpinned-requirement=info'], [['MLF204', 'info']]],
    [['MLF204=off', 'MLF204=error'], [['MLF204', 'error']]],
    [['mlflow-pin=off'], [['MLF701', 'off'], ['MLF702', 'off']]],
  ])('%j', (values, expected) => {
    expect([...parseRuleOverrides(values)]).toEqual(expected);
  });

  it.each([
    ['MLF204', '`--rule MLF204` is not of the form `CODE=off|warn|error`'],
    ['MLF204=loud', '`--rule MLF204=loud`: `loud` is not one of `off`, `warn`, `error`, `info`'],
    ['MLF999=off', '`--rule MLF999=off`: no rule or group is called `MLF999`'],
  ])('refuses %j', (value, message) => {
    try {
      parseRuleOverrides([value]);
      expect.unreachable();
    } catch (error) {
      expect(isMlfError(error) && error.exitCode).toBe(2);
      expect((error as Error).message).toBe(message);
    }
  });
});

describe('applyOverrides', () => {
  const found: Diagnostic[] = [
    { code: 'MLF204', severity: 'warning', file: 'requirements.txt', line: 1, message: 'a' },
    { code: 'MLF401', severity: 'warning', file: 'conda.yaml', line: 2, message: 'b' },
  ];
  it('drops rules turned off and changes severities', () => {
    const result = applyOverrides(found, new Map([['MLF204', 'off'], ['MLF401', 'error']] as const));
    expect(result).toEqual([{ code: 'MLF401', severity: 'error', file: 'conda.yaml', line: 2, message: 'b' }]);
  });
});

describe('runRules', () => {
  const files: ModelFiles = {
    dir: '/m', entries: new Set<string>(), entriesTruncated: false, envFileNames: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' }, envFiles: new Map(),
    requirementFiles: new Map(), examples: new Map(), problems: [], yaml: new Map(), pickles: new Map(), imports: new Map(), skops: new Map(), flavorFiles: new Map(),
  };

  it('turns a crashing rule group into one MLF001 and keeps the other groups', () => {
    const crash: RuleCheck = () => {
      throw new Error('boom');
    };
    const fine: RuleCheck = () => [{ code: 'MLF204', severity: 'warning', file: 'requirements.txt', line: 3, message: 'x' }];
    const result = runRules(files, new Map(), [
      { name: 'crashy', check: crash },
      { name: 'fine', check: fine },
    ]);
    expect(result.map((d) => [d.code, d.severity, d.message])).toEqual([
      ['MLF001', 'error', 'the crashy rules crashed: boom'],
      ['MLF204', 'warning', 'x'],
    ]);
  });

  it('sorts by file (MLmodel first), line and code, and removes exact duplicates', () => {
    const check: RuleCheck = () => [
      { code: 'MLF204', severity: 'warning', file: 'requirements.txt', line: 3, message: 'x' },
      { code: 'MLF401', severity: 'warning', file: 'conda.yaml', line: 2, message: 'y' },
      { code: 'MLF105', severity: 'error', file: 'MLmodel', line: 9, message: 'z' },
      { code: 'MLF204', severity: 'warning', file: 'requirements.txt', line: 3, message: 'x' },
      { code: 'MLF202', severity: 'warning', file: 'requirements.txt', line: 3, message: 'w' },
    ];
    expect(runRules(files, new Map(), [{ name: 'g', check }]).map((d) => `${d.file}:${d.line}:${d.code}`)).toEqual([
      'MLmodel:9:MLF105',
      'conda.yaml:2:MLF401',
      'requirements.txt:3:MLF202',
      'requirements.txt:3:MLF204',
    ]);
  });
});
