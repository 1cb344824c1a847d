import { describe, expect, it } from 'vitest';
import { COMMANDS, mutationClassOf, planCase, planCases } from './cases.js';
import type { FixtureInventory, InputClass } from './cases.js';

const FIXTURES: FixtureInventory[] = [
  { name: 'full', files: ['MLmodel', 'conda.yaml', 'python_env.yaml', 'requirements.txt', 'input_example.json', 'serving_input_example.json', 'model.skops', 'code/m.py'] },
  { name: 'old', files: ['MLmodel', 'conda.yaml', 'input_example.json', 'model.pkl'] },
];
const INPUTS: InputClass[] = ['MLmodel', 'requirements', 'conda.yaml', 'python_env.yaml', 'signature', 'input example', 'model artifact', 'predict payload', 'package arguments', 'requirement argument', 'journal', 'lock', 'control'];

describe('fuzz case plan', () => {
  it('is the same for the same seed, and a case does not depend on how many are planned', () => {
    expect(planCases('s', 200, FIXTURES)).toEqual(planCases('s', 200, FIXTURES));
    expect(planCases('s', 300, FIXTURES)[57]).toEqual(planCase('s', 57, FIXTURES));
    expect(planCases('s', 50, FIXTURES)).not.toEqual(planCases('t', 50, FIXTURES));
  });

  it('covers every command, input class and --json both ways', () => {
    const cases = planCases(1, 2000, FIXTURES);
    expect(new Set(cases.map((c) => c.command))).toEqual(new Set(COMMANDS));
    expect(new Set(cases.map((c) => c.input))).toEqual(new Set(INPUTS));
    expect(new Set(cases.map((c) => c.json))).toEqual(new Set([true, false]));
    expect(new Set(cases.map(mutationClassOf)).size).toBeGreaterThan(100);
  });

  it('only mutates files the fixture has, and gives each input class its command', () => {
    for (const c of planCases(2, 2000, FIXTURES)) {
      const files = FIXTURES.find((f) => f.name === c.fixture)!.files;
      if (c.target.kind === 'file' && c.command !== 'package') expect(files).toContain(c.target.file);
      if (c.input === 'predict payload') expect(c.command).toBe('predict');
      if (c.input === 'package arguments') expect(c.command).toBe('package');
      if (c.input === 'requirement argument') expect(c.command).toMatch(/^update-pip-requirements/);
      // package reads a mutated project file only when its flag is on.
      if (c.command === 'package' && c.target.kind === 'file') {
        const on = { 'conda.yaml': c.pkg.requirements === 'conda-env', 'requirements.txt': c.pkg.requirements === 'pip-file' || c.pkg.requirements === 'extra-file', 'input_example.json': c.pkg.inputExample, 'signature.json': c.pkg.signature, 'model.pkl': true } as Record<string, boolean>;
        expect(on[c.target.file]).toBe(true);
      }
    }
  });

  it('names the group a failure falls in after the input and the mutation', () => {
    const c = planCases(3, 500, FIXTURES).find((x) => x.input === 'MLmodel')!;
    expect(mutationClassOf(c)).toBe(`MLmodel/${(c.target as { mutation: string }).mutation}`);
  });
});
