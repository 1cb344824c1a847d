import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRules } from '../../../src/validate/engine.js';
import { loadModelFiles } from '../../../src/validate/load.js';
import { copyFixtureModel } from '../../support/cli.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(path.dirname(dir), { recursive: true, force: true });
});

/** The diagnostics for the sklearn fixture with `lines` appended to its requirements.txt. */
async function diagnosticsWith(lines: string[]): Promise<Array<{ code: string; line?: number; message: string }>> {
  const dir = copyFixtureModel('sklearn-iris');
  made.push(dir);
  // skops last, so that the lines under test keep their numbers: the fixture's model is a skops file, whose loader needs it (MLF505).
  writeFileSync(path.join(dir, 'requirements.txt'), ['mlflow==3.17.2', 'scikit-learn==1.9.1', ...lines, 'skops==0.16.0', ''].join('\n'));
  return runRules(await loadModelFiles(dir)).filter((d) => d.file === 'requirements.txt');
}

describe('MLF203 conflicting-requirements', () => {
  it('reports one requirement whose own specifiers exclude every version', async () => {
    const found = await diagnosticsWith(['tabulate>5,<4']);
    expect(found.filter((d) => d.code === 'MLF203')).toEqual([
      expect.objectContaining({ line: 3, message: '`tabulate>5,<4`: no version of `tabulate` satisfies all of `>5,<4`' }),
    ]);
  });

  it.each(['tabulate>=4,<5', 'tabulate==1.0,!=1.1', 'tabulate>1.0,<1.0.0.1'])('does not report %j, which a version satisfies', async (line) => {
    expect((await diagnosticsWith([line])).filter((d) => d.code === 'MLF203')).toEqual([]);
  });

  it('reports an unsatisfiable line once, not again as a conflict with its duplicate', async () => {
    const found = await diagnosticsWith(['tabulate==1.0,!=1.0', 'tabulate>=0.9']);
    expect(found.filter((d) => d.code === 'MLF203').map((d) => d.line)).toEqual([3]);
  });

  it('still reports two lines that conflict with each other', async () => {
    const found = await diagnosticsWith(['tabulate>=5', 'tabulate<4']);
    expect(found.filter((d) => d.code === 'MLF203').map((d) => d.line)).toEqual([4]);
  });
});

/**
 * One line of 1,000,000 characters, in shapes that made the old regexes and loops quadratic
 * (a run of letters, of spaces, a URL, thousands of specifiers). Each must be read in one pass:
 * the timeout only stops a hang, it is no performance measure.
 */
describe('a 1,000,000-character requirements line', () => {
  const n = 1_000_000;
  const specifiers = (make: (i: number) => string) => {
    let text = 'tabulate';
    for (let i = 1; text.length < n; i += 1) text += `${i > 1 ? ',' : ''}${make(i)}`;
    return text;
  };
  it.each([
    ['letters (a name)', 'a'.repeat(n), ['MLF204']],
    ['a URL', `https://${'a'.repeat(n)}`, ['MLF210']],
    ['a URL with credentials', `pkg @ https://user:${'p'.repeat(n)}@host/x.whl`, ['MLF210', 'MLF212']],
    ['a name and a URL', `a@ ${'a'.repeat(n)}`, ['MLF210']],
    ['spaces inside', `a${' '.repeat(n)}b`, ['MLF201']],
    ['spaces before an option', `a${' '.repeat(n)}--hash=sha256:00`, ['MLF204']],
    ['a marker with spaces', `a; os_name ==${' '.repeat(n)}"x"`, ['MLF204']],
    ['nested parentheses', `a; ${'('.repeat(n / 2)}os_name == "x"${')'.repeat(n / 2)}`, ['MLF201']],
    ['a long version', `a==${'1.'.repeat(n / 2)}1`, []],
    ['rising lower bounds', specifiers((i) => `>${i}`), ['MLF205']],
    ['falling upper bounds', specifiers((i) => `<${n - i}`), []],
    ['compatible releases that exclude each other', specifiers((i) => `~=${i}.0`), ['MLF203']],
  ])('is read without hanging: %s', async (_shape, line, codes) => {
    const found = await diagnosticsWith([line as string]);
    expect([...new Set(found.map((d) => d.code))].sort()).toEqual(codes);
  }, 120_000);

  it('refuses a NUL byte with its line and column', async () => {
    const found = await diagnosticsWith([`numpy==1.0${'\0'}`]);
    expect(found).toEqual([
      expect.objectContaining({ code: 'MLF201', line: 3, message: 'control character U+0000 (NUL) in a requirements file' }),
    ]);
  });
});
