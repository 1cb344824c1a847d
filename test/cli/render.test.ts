import { describe, expect, it } from 'vitest';
import { cutDetail, cutToOneLine, MESSAGE_HEAD, MESSAGE_LIMIT, narrowCaretBlock } from '../../src/cli/cut.js';
import { renderError } from '../../src/cli/render.js';
import { inputError, modelError } from '../../src/errors.js';
import { captureContext } from './capture.js';

function render(error: unknown, options: { verbose?: boolean; json?: boolean } = {}) {
  const { ctx, stdout, stderr } = captureContext();
  const code = renderError(ctx, error, options);
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('cutting a message to one readable line', () => {
  it('leaves a short message alone', () => {
    expect(cutToOneLine('no such file `x.json`')).toBe('no such file `x.json`');
  });

  it('cuts a long one in the middle, keeping its start and its end, with a marker that counts what was left out', () => {
    const text = `bad payload: ${'x'.repeat(10_000)} Error: the cause`;
    const cut = cutToOneLine(text);
    expect(cut).toBe(
      `${text.slice(0, MESSAGE_HEAD)} … (${text.length - MESSAGE_LIMIT} more characters; --verbose shows all) ${text.slice(-(MESSAGE_LIMIT - MESSAGE_HEAD))}`,
    );
    expect(cut.endsWith('Error: the cause')).toBe(true);
  });

  it('puts a multi-line message on one line', () => {
    expect(cutToOneLine('Failed to enforce schema:\n   a  b\n0  1  2\n')).toBe('Failed to enforce schema: a  b 0  1  2');
  });

  it('keeps the cause at the end of a long multi-line dump', () => {
    const frame = Array.from({ length: 500 }, (_, i) => `${i}  ${i * 2}.0  ${i * 3}.0`).join('\n');
    const cut = cutToOneLine(`Failed to enforce schema of data '${frame}' with schema '['x': double]'. Error: Model is missing inputs ['n'].`);
    expect(cut).not.toContain('\n');
    expect(cut).toMatch(/^Failed to enforce schema of data '0  0\.0  0\.0 1 .* … \(\d+ more characters; --verbose shows all\) .*Error: Model is missing inputs \['n'\]\.$/);
  });

  it('shows control characters as escapes, never raw', () => {
    expect(cutToOneLine('bad byte \u0000 and \u001b[2J here')).toBe('bad byte \\x00 and \\x1b[2J here');
  });
});

describe('cutting a detail block', () => {
  it('keeps a short caret block as it is', () => {
    expect(cutDetail('pandas=2.0\n      ^')).toBe('pandas=2.0\n      ^');
  });

  it('narrows the text of a long caret block around the caret, which still points at the same character', () => {
    const text = `${'a'.repeat(20_000)}!${'b'.repeat(10_000)}`;
    const [shown, caret] = narrowCaretBlock(text, `${' '.repeat(20_000)}^`);
    expect(shown.length).toBeLessThan(200);
    expect(shown.startsWith('…') && shown.endsWith('…')).toBe(true);
    expect(shown[caret.indexOf('^')]).toBe('!');
  });

  it('keeps a tilde marker under its span', () => {
    const text = `${'x'.repeat(500)} and extra == "1"`;
    const marks = `${' '.repeat(501)}${'~'.repeat(3)}^`;
    const [shown, line] = narrowCaretBlock(text, marks);
    expect(shown.slice(line.indexOf('~'), line.indexOf('^') + 1)).toBe('and ');
  });

  it('keeps the indentation of a short block, cutting only the text of a long line', () => {
    const block = `Try, in order:\n  mlf models predict -m m -i in.json --env-manager uv --pip-requirements-override tabulate==0.10.0 -t csv ${'-o out.json '.repeat(5)}\n  mlf models update-pip-requirements -m ${'x'.repeat(600)} add six`;
    const [first, second, third] = cutDetail(block).split('\n');
    expect(first).toBe('Try, in order:');
    expect(second).toBe(`  mlf models predict -m m -i in.json --env-manager uv --pip-requirements-override tabulate==0.10.0 -t csv ${'-o out.json '.repeat(5).trimEnd()}`);
    expect(third).toMatch(/^ {2}mlf models update-pip-requirements -m x+ … \(\d+ more characters; --verbose shows all\) x+ add six$/);
  });

  it('leaves out a long block, saying how long it was', () => {
    const dump = Array.from({ length: 40 }, (_, i) => `row ${i}`).join('\n');
    expect(cutDetail(dump)).toBe('… (40 more lines; --verbose shows all)');
  });
});

describe('renderError', () => {
  const huge = inputError('BAD_INPUT', `invalid JSON: ${'{"a":1}'.repeat(1_500_000)}`, { file: 'input.json', hint: 'fix it', detail: Array(50).fill('line').join('\n') });

  it('writes one line (and a marker line for the detail) without --verbose', () => {
    const { code, stderr, stdout } = render(huge);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: input\.json: invalid JSON: \{"a":1\}.* … \(\d+ more characters; --verbose shows all\) .*\{"a":1\}; fix it$/);
    expect(lines[0]!.length).toBeLessThan(600);
    expect(lines[1]).toBe('  … (50 more lines; --verbose shows all)');
  });

  it('shows the full message and the detail with --verbose', () => {
    const { stderr } = render(huge, { verbose: true });
    expect(stderr).toContain(huge.message);
    expect(stderr).toContain(`  ${Array(50).fill('line').join('\n  ')}`);
  });

  it('cuts the message of a model error that holds a multi-line dump', () => {
    const { stderr, code } = render(modelError('PREDICT_FAILED', 'the model failed: ValueError: bad frame\n   a  b\n0  1  2'));
    expect(code).toBe(1);
    expect(stderr).toBe('error: the model failed: ValueError: bad frame a  b 0  1  2\n');
  });

  it('cuts the --json object the same way unless --verbose', () => {
    const parsed = JSON.parse(render(huge, { json: true }).stdout) as { ok: boolean; error: { message: string; detail: string } };
    expect(parsed.ok).toBe(false);
    expect(parsed.error.message.length).toBeLessThan(600);
    expect(parsed.error.detail).toBe('… (50 more lines; --verbose shows all)');
    const full = JSON.parse(render(huge, { json: true, verbose: true }).stdout) as { error: { message: string } };
    expect(full.error.message).toBe(huge.message);
  });

  it('renders an internal error as one line too', () => {
    const { stderr, code } = render(new Error(`boom: ${'y'.repeat(1000)}\n  at somewhere`));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: internal error: boom: y+ … \(\d+ more characters; --verbose shows all\) y+ at somewhere \(run again with --verbose for the trace, and please report it\)\n$/);
  });
});
