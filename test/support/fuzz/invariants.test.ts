import { describe, expect, it } from 'vitest';
import { checkOutcome, diffSnapshots } from './invariants.js';
import type { Expectations } from './invariants.js';
import type { Outcome } from './runner.js';

const ok: Outcome = { exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0, stdoutTruncated: false, stderrTruncated: false, ms: 1 };
const expectations: Expectations = { json: false, readOnly: false, mayChange: (f) => f === 'requirements.txt', lockPlanted: false, mustReject: undefined, exitOneIsFindings: false, timeoutMs: 20_000 };
const rules = (outcome: Partial<Outcome>, expect: Partial<Expectations> = {}, before: Record<string, string> = {}, after: Record<string, string> = before) =>
  checkOutcome({ ...ok, ...outcome }, { ...expectations, ...expect }, before, after).map((v) => v.rule);

describe('fuzz invariants', () => {
  it('accept a clean run and a one-line input error', () => {
    expect(rules({})).toEqual([]);
    expect(rules({ exitCode: 2, stderr: 'error: MLmodel: line 3: bad YAML; fix it\n  3 | a: [\n    |    ^\n' })).toEqual([]);
    expect(rules({ exitCode: 2, stdout: '{"ok": false, "error": {"code": "X"}}\n' }, { json: true })).toEqual([]);
  });

  it('catch hangs, unknown exit codes and signals', () => {
    expect(rules({ timedOut: true, exitCode: null, signal: 'SIGKILL' })).toEqual(['hang']);
    expect(rules({ exitCode: 134 })).toEqual(['exit-code']);
    expect(rules({ exitCode: null, signal: 'SIGSEGV' })).toEqual(['exit-code']);
  });

  it('catch stack traces and internal errors, from Node and from Python', () => {
    expect(rules({ exitCode: 1, stderr: 'error: x\n    at foo (/a/b.js:1:2)\n' })).toContain('stack-trace');
    expect(rules({ exitCode: 1, stderr: 'Traceback (most recent call last):\n  File "w.py", line 3, in <module>\n' })).toContain('stack-trace');
    expect(rules({ exitCode: 1, stderr: 'error: internal error: ENOENT (run again with --verbose for the trace, and please report it)\n' })).toEqual(['internal-error']);
    expect(rules({ exitCode: 1, stderr: 'RecursionError: maximum recursion depth exceeded\n' })).toEqual(['internal-error']);
    expect(rules({ exitCode: 1, stdout: '{"ok":false,"error":{"code":"INTERNAL_ERROR","message":"x"}}' }, { json: true })).toEqual(['internal-error']);
    // An exception named inside mlf's own error line is its message, not a crash.
    expect(rules({ exitCode: 2, stderr: "error: Invalid input. Error: 'JSONDecodeError(...)'\n" })).toEqual([]);
  });

  it('want exactly one JSON object on stdout with --json', () => {
    expect(rules({ stdout: '{"a":1}{"b":2}' }, { json: true })).toEqual(['json-stdout']);
    expect(rules({ stdout: '[1]' }, { json: true })).toEqual(['json-stdout']);
    expect(rules({ stdout: '' }, { json: true })).toEqual(['json-stdout']);
    expect(rules({ stdout: 'x'.repeat(10), stdoutTruncated: true }, { json: true })).toEqual(['json-stdout']);
  });

  it('keep stderr short', () => {
    expect(rules({ exitCode: 2, stderr: 'a\n'.repeat(6) })).toEqual(['stderr-lines']);
    expect(rules({ exitCode: 2, stderr: 'error: a\nerror: b\n' })).toEqual(['stderr-lines']);
    expect(rules({ exitCode: 2, stderr: 'warning: w\n'.repeat(6) })).toEqual(['stderr-lines']);
    // predict's missing-module error: two warnings, the error line, a four-line hint.
    expect(rules({ exitCode: 1, stderr: 'warning: a\nwarning: b\nerror: c\n  Try, in order:\n    x\n    y\n  (z)\n' })).toEqual([]);
    expect(rules({ exitCode: 2, stderr: `error: ${'x'.repeat(3000)}\n` })).toEqual(['stderr-line-length']);
  });

  it('want the directory unchanged after a failure, and only owned files changed after a success', () => {
    const before = { MLmodel: 'a', 'requirements.txt': 'b' };
    expect(rules({ exitCode: 2 }, {}, before, { MLmodel: 'a' })).toEqual(['changed-after-failure']);
    expect(rules({ exitCode: 0 }, {}, before, { MLmodel: 'a', 'requirements.txt': 'c' })).toEqual([]);
    expect(rules({ exitCode: 0 }, {}, before, { MLmodel: 'z', 'requirements.txt': 'b' })).toEqual(['changed-other-files']);
    expect(rules({ exitCode: 0 }, { readOnly: true }, before, { MLmodel: 'a', 'requirements.txt': 'c' })).toEqual(['changed-other-files']);
    // validate --fix exits 1 when errors remain after fixing: a finding, not a failure.
    expect(rules({ exitCode: 1 }, { exitOneIsFindings: true }, before, { MLmodel: 'a', 'requirements.txt': 'c' })).toEqual([]);
    // A planted stale lock may be taken over; anything else may not.
    const locked = { ...before, '.mlf-lock': 'directory', '.mlf-lock/owner.json': 'x' };
    expect(rules({ exitCode: 2 }, { lockPlanted: true }, locked, before)).toEqual([]);
    expect(rules({ exitCode: 2 }, { lockPlanted: false }, locked, before)).toEqual(['changed-after-failure']);
  });

  it('want no scratch left, and known-invalid input rejected', () => {
    expect(rules({}, {}, {}, { 'requirements.txt.mlf-tmp-ab12': 'x' })).toEqual(['changed-other-files', 'left-scratch']);
    expect(rules({ exitCode: 2 }, {}, {}, { '.mlf-lock': 'directory' })).toEqual(['changed-after-failure', 'left-scratch']);
    expect(rules({ exitCode: 0 }, { mustReject: '~' })).toEqual(['accepted-invalid']);
    expect(checkOutcome({ ...ok, exitCode: 2 }, expectations, {}, {}, ['mlf-lock-x1']).map((v) => v.rule)).toEqual(['left-temp']);
    expect(rules({ exitCode: 1 }, { mustReject: '~' })).toEqual([]);
  });

  it('diffSnapshots names what was added, removed and changed', () => {
    expect(diffSnapshots({ a: '1', b: '2' }, { a: '1', b: '3', c: '4' })).toEqual([{ kind: 'changed', path: 'b' }, { kind: 'added', path: 'c' }]);
    expect(diffSnapshots({ a: '1' }, {})).toEqual([{ kind: 'removed', path: 'a' }]);
  });
});
