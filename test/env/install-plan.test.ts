import { describe, expect, it } from 'vitest';
import { packageLines, planInstall, requirementNameOf, splitOverride } from '../../src/env/install-plan.js';
import type { ResolvedLine } from '../../src/deps/requirements-txt.js';
import { MlfError } from '../../src/errors.js';

const line = (text: string, n: number): ResolvedLine => ({ text, line: n, file: 'requirements.txt', origin: `requirements.txt:${n}` });

describe('splitOverride', () => {
  it.each<[string[], string[]]>([
    [['x==1,z==2'], ['x==1', 'z==2']],
    [['x==1', 'z==2'], ['x==1', 'z==2']],
    [['x==1, z>=2,'], ['x==1', 'z>=2']],
    [['pkg>=1,<2,numpy==2.0'], ['pkg>=1,<2', 'numpy==2.0']],
    [['pkg[a,b]>=1, != 1.5'], ['pkg[a,b]>=1, != 1.5']],
    [['pywin32==306; platform_system == "Windows,Linux",six'], ['pywin32==306; platform_system == "Windows,Linux"', 'six']],
    [['x~=1.0,===2.0'], ['x~=1.0,===2.0']],
    [[], []],
  ])('%j -> %j', (input, expected) => {
    expect(splitOverride(input)).toEqual(expected);
  });

  it('rejects an invalid requirement with exit 2 naming it', () => {
    let error: unknown;
    try {
      splitOverride(['six==1.0,%2']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe('invalid requirement `%2` in --pip-requirements-override');
    expect((error as MlfError).exitCode).toBe(2);
  });
});

describe('planInstall', () => {
  it('leaves out requirements the override names (canonical names), and keeps the rest in order', () => {
    const plan = planInstall({
      buildDependencies: ['pip'],
      requirements: [line('Six==1.0', 1), line('--index-url https://x/simple', 2), line('numpy>=1', 3), line('scikit_learn==1.5', 4)],
      constraints: [line('numpy<3', 1)],
      override: ['six==1.17.0', 'scikit-learn==1.6'],
    });
    expect(plan.requirementLines.map((l) => l.text)).toEqual(['--index-url https://x/simple', 'numpy>=1']);
    expect(plan.replaced.map((l) => l.text)).toEqual(['Six==1.0', 'scikit_learn==1.5']);
    expect(plan.constraintLines.map((l) => l.text)).toEqual(['numpy<3']);
    expect(plan.override).toEqual(['six==1.17.0', 'scikit-learn==1.6']);
  });

  it('counts packages, not options', () => {
    expect(packageLines([line('--index-url https://x', 1), line('six', 2), line('-e ./pkg', 3), line('./local.whl', 4)])).toEqual([
      'six',
      '-e ./pkg',
      './local.whl',
    ]);
  });
});

describe('requirementNameOf', () => {
  it.each([
    ['Scikit_Learn[all]>=1 ; python_version>"3"', 'scikit-learn'],
    ['--index-url https://x', undefined],
    ['-e .', undefined],
    ['https://host/pkg.whl', undefined],
    ['pkg @ https://host/pkg.whl', 'pkg'],
  ])('%s -> %s', (text, name) => {
    expect(requirementNameOf(text)).toBe(name);
  });
});
