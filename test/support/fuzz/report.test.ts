import { describe, expect, it } from 'vitest';
import { mutationClassOf, planCases } from './cases.js';
import type { FuzzCase } from './cases.js';
import { formatReport, groupFailures, stderrExcerpt } from './report.js';
import type { Failure } from './report.js';

const cases = planCases('r', 400, [{ name: 'm', files: ['MLmodel', 'conda.yaml', 'requirements.txt', 'python_env.yaml', 'input_example.json', 'model.pkl'] }]);
const failure = (fuzzCase: FuzzCase, rule: 'hang' | 'stack-trace'): Failure => ({
  fuzzCase, commandLine: `mlf ${fuzzCase.command}`, subject: 'MLmodel', detail: 'd', exit: 'timeout', stderr: '', violations: [{ rule, message: 'm' }],
});

describe('fuzz report', () => {
  it('groups by command and input/mutation, counting rules, with the first case as the example', () => {
    const key = (c: FuzzCase) => `${c.command} ${mutationClassOf(c)}`;
    const first = cases.find((c) => c.input === 'MLmodel' && cases.some((d) => d.index > c.index && key(d) === key(c)))!;
    const second = cases.find((d) => d.index > first.index && key(d) === key(first))!;
    const groups = groupFailures([failure(second, 'hang'), failure(first, 'hang'), failure(first, 'stack-trace')]);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ command: first.command, count: 3, rules: { hang: 2, 'stack-trace': 1 } });
    expect(groups[0]!.example.fuzzCase.index).toBe(first.index);
    const text = formatReport(groups, { seed: 'r', planned: 400, ran: 400, seconds: 12 });
    expect(text).toContain(`MLF_FUZZ_SEED=r MLF_FUZZ_ONLY=${first.index}`);
    expect(text).toContain(`[${first.command} × MLmodel/`);
  });

  it('cuts stderr to its first line and a readable length', () => {
    expect(stderrExcerpt('error: a\n  detail\n')).toBe('"error: a" (+1 more lines)');
    expect(stderrExcerpt(`error: ${'x'.repeat(500)}`, 20)).toBe(JSON.stringify(`error: ${'x'.repeat(13)}... (507 characters)`));
  });
});
