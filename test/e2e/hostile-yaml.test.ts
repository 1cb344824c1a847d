import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { copyDirectory, snapshotDirectory } from '../support/files.js';

/**
 * The fuzzer's YAML findings (issue 9), through the built CLI: each hostile MLmodel, conda.yaml or
 * python_env.yaml ends validate with a finding, and one in MLmodel or conda.yaml ends
 * update-pip-requirements with one line and exit 2, quickly, with the model directory unchanged.
 * Needs no Python: both stop before any.
 */
const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function hostileCopy(file: string, change: (full: string) => void): string {
  const dir = copyDirectory(path.join(fixturesDir, 'models', 'sklearn-iris'));
  created.push(path.dirname(dir));
  change(path.join(dir, file));
  return dir;
}

const laughs = ['a0: &a0 [lol]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`)].join('\n');

const CASES: Array<[string, string, (full: string) => void, RegExp]> = [
  ['billion laughs appended to MLmodel', 'MLmodel', (f) => appendFileSync(f, `${laughs}\n`), /aliases expand it to more than 100000 values/],
  ['100,000 anchors in MLmodel', 'MLmodel', (f) => appendFileSync(f, Array.from({ length: 100_000 }, (_, i) => `k${i}: &a${i} v\n`).join('')), /more than 100000 values/],
  ['a recursive alias in MLmodel', 'MLmodel', (f) => appendFileSync(f, 'meta: &m\n  self: *m\n'), /a recursive structure/],
  ['!!python/object/apply in MLmodel', 'MLmodel', (f) => appendFileSync(f, 'run: !!python/object/apply:os.system [echo hi]\n'), /could not determine a constructor for the tag/],
  ['a NUL in MLmodel', 'MLmodel', (f) => appendFileSync(f, 'note: a\0b\n'), /U\+0000/],
  ['invalid UTF-8 in MLmodel', 'MLmodel', (f) => appendFileSync(f, Buffer.from([0x6e, 0x3a, 0x20, 0xff, 0x0a])), /U\+FFFD|UTF-8/],
  ['an undefined alias in conda.yaml', 'conda.yaml', (f) => appendFileSync(f, 'extra: *nope\n'), /names no anchor/],
  ['a NEL line break in python_env.yaml', 'python_env.yaml', (f) => appendFileSync(f, 'x: 1\u0085y: 2\n'), /U\+0085/],
  ['deep flow nesting in python_env.yaml', 'python_env.yaml', (f) => writeFileSync(f, `python: 3.10.12\nx: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`), /more than 100 levels deep/],
];

describe('hostile YAML through the CLI (e2e)', () => {
  // A file that is not UTF-8 cannot be read as text at all: like a device or a dangling link in
  // its place, that is MLF100 (the argument could not be read), exit 2; the rest are findings.
  const unreadable = new Set(['invalid UTF-8 in MLmodel']);
  it.each(CASES)('%s: validate reports it (exit 1, or 2 when the file cannot be read as text)', async (name, file, change, reason) => {
    const dir = hostileCopy(file, change);
    const home = tempDir('mlf-home-');
    created.push(home);
    const started = Date.now();
    const result = await runMlf(['models', 'validate', dir, '--format', 'json'], { mlfHome: home });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.exitCode).toBe(unreadable.has(name) ? 2 : 1);
    const report = JSON.parse(result.stdout) as { models?: Array<{ diagnostics: Array<{ file: string; message: string; severity: string }> }>; diagnostics?: Array<{ file: string; message: string; severity: string }> };
    const diagnostics = report.models?.[0]?.diagnostics ?? report.diagnostics ?? [];
    expect(diagnostics.some((d) => d.file === file && d.severity === 'error' && reason.test(d.message))).toBe(true);
  });

  // update-pip-requirements, like MLflow's, reads MLmodel and conda.yaml, not python_env.yaml.
  it.each(CASES.filter(([, file]) => file !== 'python_env.yaml'))('%s: update-pip-requirements refuses it in one line and changes nothing', async (_name, file, change, reason) => {
    const dir = hostileCopy(file, change);
    const before = snapshotDirectory(dir);
    const home = tempDir('mlf-home-');
    created.push(home);
    const started = Date.now();
    const result = await runMlf(['models', 'update-pip-requirements', '-m', dir, 'add', 'tabulate==0.9.0'], { mlfHome: home });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).not.toMatch(/ at .*\.js:\d+/);
    expect(snapshotDirectory(dir)).toStrictEqual(before);
  });
});
