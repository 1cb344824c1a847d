import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  appendStatements,
  expandEnvironmentVariables,
  insertStatements,
  parseRequirementsFile,
  parseStatement,
  removeStatement,
  replaceStatement,
  resolveIncludes,
  serializeRequirementsFile,
  type Statement,
} from '../../src/deps/requirements-txt.js';
import { inputError } from '../../src/errors.js';
import { readRegularTextSync } from '../../src/fs/read-regular-file.js';
import { catchMlfError } from '../support/errors.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/requirements');

function listFixtures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFixtures(full) : name.endsWith('.txt') ? [full] : [];
  });
}

const toCrlf = (text: string) => text.replace(/\r?\n/g, '\r\n');
const fixtureText = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

/** requirements.txt and constraints.txt files written by MLflow 3.17.2 into the model fixtures. */
const MODEL_FIXTURES = path.resolve(FIXTURES, '../models');
const MLFLOW_WRITTEN = readdirSync(MODEL_FIXTURES).flatMap((model) =>
  ['requirements.txt', 'constraints.txt']
    .map((name) => path.join(MODEL_FIXTURES, model, name))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile()),
);

/** Every fixture, as written (LF) and re-run with CRLF line endings. */
const FIXTURE_CASES = [...listFixtures(FIXTURES), ...MLFLOW_WRITTEN].flatMap((file) => {
  const name = path.relative(FIXTURES, file);
  const text = readFileSync(file, 'utf8');
  return [
    { name, endings: 'LF', text },
    { name, endings: 'CRLF', text: toCrlf(text) },
  ];
});

/** A compact view of a statement for table assertions. */
function summary(statement: Statement): Record<string, unknown> {
  const { kind, line, endLine, content } = statement;
  const base = { kind, line, endLine, content };
  switch (statement.kind) {
    case 'requirement':
      return { ...base, name: statement.requirement.name, options: statement.options, comment: statement.comment };
    case 'include':
      return { ...base, include: statement.include, flag: statement.flag, path: statement.path };
    case 'editable':
      return { ...base, flag: statement.flag, target: statement.target };
    case 'option':
      return { ...base, name: statement.name, flag: statement.flag, known: statement.known, value: statement.value };
    case 'url':
      return { ...base, target: statement.target };
    case 'comment':
      return { ...base, comment: statement.comment };
    case 'blank':
      return base;
  }
}


describe('round trip', () => {
  it('has fixtures to run', () => {
    expect(MLFLOW_WRITTEN.length).toBeGreaterThanOrEqual(6);
    expect(FIXTURE_CASES.length).toBeGreaterThanOrEqual(2 * (14 + 6));
  });

  it.each(FIXTURE_CASES)('$name ($endings) is written back byte for byte', ({ name, text }) => {
    const parsed = parseRequirementsFile(text, name);
    expect(serializeRequirementsFile(parsed)).toBe(text);
    // The statements cover every physical line exactly once, in order.
    const lineCount = text.split(/\r\n|\n|\r/).length - (text.endsWith('\n') ? 1 : 0);
    expect(parsed.statements.at(-1)?.endLine ?? 0).toBe(lineCount);
    parsed.statements.forEach((statement, i) => {
      if (i > 0) expect(statement.line).toBe(parsed.statements[i - 1]!.endLine + 1);
    });
  });

  it.each(FIXTURE_CASES)('$name ($endings) parses to the same statements in both line-ending styles', ({ name, text }) => {
    const lf = parseRequirementsFile(text.replace(/\r\n/g, '\n'), name).statements.map(summary);
    const crlf = parseRequirementsFile(toCrlf(text), name).statements.map(summary);
    expect(crlf).toEqual(lf);
  });

  it.each([
    ['LF', 'a==1\nb==2\n', '\n', true],
    ['CRLF', 'a==1\r\nb==2\r\n', '\r\n', true],
    ['no final newline', 'a==1\nb==2', '\n', false],
    ['CRLF, no final newline', 'a==1\r\nb==2', '\r\n', false],
    ['mixed, CRLF majority', 'a==1\r\nb==2\nc==3\r\n', '\r\n', true],
    ['mixed, tied', 'a==1\r\nb==2\n', '\n', true],
    ['lone CR (old Mac)', 'a==1\rb==2\r', '\n', true],
    ['empty', '', '\n', false],
    ['only a newline', '\r\n', '\r\n', true],
  ] as const)('%s: newline style and final newline', (_label, text, newline, endsWithNewline) => {
    const parsed = parseRequirementsFile(text);
    expect(parsed.newline).toBe(newline);
    expect(parsed.endsWithNewline).toBe(endsWithNewline);
    expect(serializeRequirementsFile(parsed)).toBe(text);
  });

  it('keeps mixed endings, a BOM, tabs and trailing spaces byte for byte', () => {
    const text = '\uFEFFa==1 \t\r\n\tb==2\n  \r\n# c\rd==4  ';
    const parsed = parseRequirementsFile(text);
    expect(serializeRequirementsFile(parsed)).toBe(text);
    expect(parsed.statements.map((s) => [s.kind, s.line, s.content])).toEqual([
      ['requirement', 1, 'a==1'],
      ['requirement', 2, 'b==2'],
      ['blank', 3, ''],
      ['comment', 4, ''],
      ['requirement', 5, 'd==4'],
    ]);
  });
});

describe('statement kinds', () => {
  it('reads every kind in all-kinds.txt with its line', () => {
    const parsed = parseRequirementsFile(fixtureText('all-kinds.txt'), 'all-kinds.txt');
    expect(parsed.statements.map(summary)).toEqual([
      { kind: 'comment', line: 1, endLine: 1, content: '', comment: "# Every statement kind pip's requirements-file format has, in one file." },
      { kind: 'option', line: 2, endLine: 2, content: '--index-url https://pypi.org/simple', name: '--index-url', flag: '--index-url', known: true, value: 'https://pypi.org/simple' },
      { kind: 'option', line: 3, endLine: 3, content: '-i https://mirror.example/simple', name: '--index-url', flag: '-i', known: true, value: 'https://mirror.example/simple' },
      { kind: 'option', line: 4, endLine: 4, content: '--extra-index-url=https://download.pytorch.org/whl/cpu', name: '--extra-index-url', flag: '--extra-index-url', known: true, value: 'https://download.pytorch.org/whl/cpu' },
      { kind: 'option', line: 5, endLine: 5, content: '--find-links ./wheels', name: '--find-links', flag: '--find-links', known: true, value: './wheels' },
      { kind: 'option', line: 6, endLine: 6, content: '-f https://example.com/links', name: '--find-links', flag: '-f', known: true, value: 'https://example.com/links' },
      { kind: 'option', line: 7, endLine: 7, content: '--trusted-host example.com', name: '--trusted-host', flag: '--trusted-host', known: true, value: 'example.com' },
      { kind: 'option', line: 8, endLine: 8, content: '--no-index', name: '--no-index', flag: '--no-index', known: true, value: undefined },
      { kind: 'option', line: 9, endLine: 9, content: '--pre', name: '--pre', flag: '--pre', known: true, value: undefined },
      { kind: 'option', line: 10, endLine: 10, content: '--prefer-binary', name: '--prefer-binary', flag: '--prefer-binary', known: true, value: undefined },
      { kind: 'option', line: 11, endLine: 11, content: '--only-binary=:all:', name: '--only-binary', flag: '--only-binary', known: true, value: ':all:' },
      { kind: 'option', line: 12, endLine: 12, content: '--no-binary numpy', name: '--no-binary', flag: '--no-binary', known: true, value: 'numpy' },
      { kind: 'option', line: 13, endLine: 13, content: '--require-hashes', name: '--require-hashes', flag: '--require-hashes', known: true, value: undefined },
      { kind: 'option', line: 14, endLine: 14, content: '--some-future-option value', name: '--some-future-option', flag: '--some-future-option', known: false, value: 'value' },
      { kind: 'blank', line: 15, endLine: 15, content: '' },
      { kind: 'include', line: 16, endLine: 16, content: '-r base.txt', include: 'requirements', flag: '-r', path: 'base.txt' },
      { kind: 'include', line: 17, endLine: 17, content: '-r=more.txt', include: 'requirements', flag: '-r', path: 'more.txt' },
      { kind: 'include', line: 18, endLine: 18, content: '--requirement extra.txt', include: 'requirements', flag: '--requirement', path: 'extra.txt' },
      { kind: 'include', line: 19, endLine: 19, content: '--requirement=other.txt', include: 'requirements', flag: '--requirement', path: 'other.txt' },
      { kind: 'include', line: 20, endLine: 20, content: '-c constraints.txt', include: 'constraints', flag: '-c', path: 'constraints.txt' },
      { kind: 'include', line: 21, endLine: 21, content: '--constraint=pins.txt', include: 'constraints', flag: '--constraint', path: 'pins.txt' },
      { kind: 'editable', line: 22, endLine: 22, content: '-e .', flag: '-e', target: '.' },
      { kind: 'editable', line: 23, endLine: 23, content: '--editable git+https://github.com/org/proj.git#egg=proj', flag: '--editable', target: 'git+https://github.com/org/proj.git#egg=proj' },
      { kind: 'requirement', line: 24, endLine: 24, content: 'scikit-learn==1.5.2', name: 'scikit-learn', options: [], comment: undefined },
      { kind: 'requirement', line: 25, endLine: 25, content: 'Pandas >= 2.0, < 3', name: 'Pandas', options: [], comment: '# inline comment' },
      { kind: 'requirement', line: 26, endLine: 26, content: 'torch[cuda]==2.1.0 ; sys_platform == "linux"', name: 'torch', options: [], comment: undefined },
      { kind: 'requirement', line: 27, endLine: 27, content: 'numpy==2.1.0 --hash=sha256:0123456789abcdef', name: 'numpy', options: ['--hash=sha256:0123456789abcdef'], comment: undefined },
      { kind: 'requirement', line: 28, endLine: 28, content: 'mlflow @ git+https://github.com/mlflow/mlflow@master', name: 'mlflow', options: [], comment: undefined },
      { kind: 'url', line: 29, endLine: 29, content: 'https://example.com/pkg-1.0.tar.gz', target: 'https://example.com/pkg-1.0.tar.gz' },
      { kind: 'url', line: 30, endLine: 30, content: './local/package', target: './local/package' },
      { kind: 'url', line: 31, endLine: 31, content: 'pkg-2.0-py3-none-any.whl', target: 'pkg-2.0-py3-none-any.whl' },
      { kind: 'comment', line: 32, endLine: 32, content: '', comment: '# an indented comment' },
    ]);
  });

  it('keeps the parsed requirement of a requirement statement and its text as written', () => {
    const [statement] = parseRequirementsFile('Pandas >= 2.0, < 3  # why\n').statements;
    expect(statement).toMatchObject({
      kind: 'requirement',
      requirementText: 'Pandas >= 2.0, < 3',
      requirement: { name: 'Pandas', extras: [] },
      raw: 'Pandas >= 2.0, < 3  # why\n',
    });
  });

  it.each([
    ['-r x.txt', 'requirements', '-r', 'x.txt'],
    ['-r=x.txt', 'requirements', '-r', 'x.txt'],
    ['-rx.txt', 'requirements', '-r', 'x.txt'],
    ['-r   x.txt  ', 'requirements', '-r', 'x.txt'],
    ['--requirement x.txt', 'requirements', '--requirement', 'x.txt'],
    ['--requirement=x.txt', 'requirements', '--requirement', 'x.txt'],
    ['-c c.txt', 'constraints', '-c', 'c.txt'],
    ['-c=c.txt', 'constraints', '-c', 'c.txt'],
    ['--constraint c.txt', 'constraints', '--constraint', 'c.txt'],
    ['--constraint=c.txt', 'constraints', '--constraint', 'c.txt'],
    ['-r dir with space/x.txt', 'requirements', '-r', 'dir with space/x.txt'],
    ['-r x.txt # note', 'requirements', '-r', 'x.txt'],
  ])('include `%s`', (text, include, flag, includedPath) => {
    expect(parseStatement(text)).toMatchObject({ kind: 'include', include, flag, path: includedPath });
  });

  it.each([
    ['-i https://x/simple', '--index-url', 'https://x/simple'],
    ['-ihttps://x/simple', '--index-url', 'https://x/simple'],
    ['--index-url=https://x/simple', '--index-url', 'https://x/simple'],
    ['--extra-index-url https://y/simple', '--extra-index-url', 'https://y/simple'],
    ['-f ./wheels', '--find-links', './wheels'],
    ['--find-links=./wheels', '--find-links', './wheels'],
    ['--trusted-host=example.com', '--trusted-host', 'example.com'],
    ['--only-binary :all:', '--only-binary', ':all:'],
    ['--no-binary=numpy,scipy', '--no-binary', 'numpy,scipy'],
    ['--use-feature=truststore', '--use-feature', 'truststore'],
  ])('option `%s` is %s', (text, name, value) => {
    expect(parseStatement(text)).toMatchObject({ kind: 'option', name, known: true, value });
  });

  it.each([
    ['--unheard-of', '--unheard-of', undefined],
    ['--unheard-of=1', '--unheard-of', '1'],
    ['-x value', '-x', 'value'],
  ])('unknown option `%s` is kept', (text, name, value) => {
    const statement = parseStatement(text);
    expect(statement).toMatchObject({ kind: 'option', name, known: false });
    expect(statement.kind === 'option' ? statement.value : 'not an option').toBe(value);
  });

  it.each([
    ['-e .', '-e', '.', []],
    ['-e.', '-e', '.', []],
    ['-e=./pkg', '-e', './pkg', []],
    ['--editable ./pkg', '--editable', './pkg', []],
    ['--editable=git+https://h/p.git#egg=p', '--editable', 'git+https://h/p.git#egg=p', []],
    ['-e ./pkg --config-settings editable_mode=compat', '-e', './pkg', ['--config-settings editable_mode=compat']],
  ])('editable `%s`', (text, flag, target, options) => {
    expect(parseStatement(text)).toMatchObject({ kind: 'editable', flag, target, options });
  });

  it.each([
    'https://example.com/pkg-1.0.tar.gz',
    'git+https://github.com/org/repo.git@main#egg=repo',
    'file:///tmp/pkg-1.0-py3-none-any.whl',
    './pkg',
    '../pkg',
    '/abs/pkg',
    '~/pkg',
    'C:\\pkgs\\pkg-1.0.zip',
    'sub/dir',
    'pkg-1.0.tar.gz',
    'pkg-1.0-py3-none-any.whl',
    './pkg ; python_version >= "3.10"',
  ])('`%s` is a URL or path', (text) => {
    expect(parseStatement(text)).toMatchObject({ kind: 'url', target: text });
  });

  it.each([
    ['name @ https://example.com/x.whl', 'name'],
    ['name@https://example.com/x.whl', 'name'],
    ['name[extra] @ file:///x', 'name'],
    ['zope.interface>=5', 'zope.interface'],
    ['requests [security] >= 2.8.1, == 2.8.* ; python_version < "2.7"', 'requests'],
  ])('`%s` is a requirement', (text, name) => {
    expect(parseStatement(text)).toMatchObject({ kind: 'requirement', requirement: { name } });
  });

  it.each([
    ['pkg==1.0 --hash=sha256:aa --hash=sha256:bb', 'pkg==1.0', ['--hash=sha256:aa', '--hash=sha256:bb']],
    ['pkg==1.0 --hash sha256:aa', 'pkg==1.0', ['--hash sha256:aa']],
    ['pkg ; python_version < "3.9" --config-settings a=b', 'pkg ; python_version < "3.9"', ['--config-settings a=b']],
  ])('per-requirement options of `%s`', (text, requirementText, options) => {
    expect(parseStatement(text)).toMatchObject({ kind: 'requirement', requirementText, options });
  });

  it('does not take a `#` inside a URL for a comment', () => {
    expect(parseStatement('-e git+https://h/p.git#egg=p')).toMatchObject({ target: 'git+https://h/p.git#egg=p' });
    expect(parseStatement('-e git+https://h/p.git #egg=p')).toMatchObject({ target: 'git+https://h/p.git', comment: '#egg=p' });
  });
});

describe('continuations', () => {
  const text = fixtureText('continuations.txt');

  it.each([
    ['LF', text],
    ['CRLF', toCrlf(text)],
  ])('joins `\\` lines as MLflow does, comments ending a continuation as pip does (%s)', (_label, input) => {
    const parsed = parseRequirementsFile(input, 'continuations.txt');
    expect(parsed.statements.map((s) => [s.kind, s.line, s.endLine, s.content])).toEqual([
      ['requirement', 1, 3, 'numpy==2.1.0 --hash=sha256:aaaa --hash=sha256:bbbb'],
      ['requirement', 4, 5, 'scikit-learn==1.5.2'],
      // MLflow yields `pandas>=2 # a comment ends a continuation` here, and then continues the
      // comment line ending in `\` into `requests==2.32.3`, dropping it. pip (and mlf) do not.
      ['requirement', 6, 7, 'pandas>=2'],
      ['comment', 8, 8, ''],
      ['requirement', 9, 9, 'requests==2.32.3'],
      // MLflow yields `flask ` (the space before the `\` kept); mlf trims.
      ['requirement', 10, 11, 'flask'],
      ['requirement', 12, 12, 'mlflow==3.6.0'],
    ]);
    const first = parsed.statements[0]!;
    expect(first.kind === 'requirement' && first.options).toEqual(['--hash=sha256:aaaa', '--hash=sha256:bbbb']);
    expect(first.raw).toBe(input.split(/(?<=\n)/).slice(0, 3).join(''));
  });

  it('ends a file in the middle of a continuation without losing the text', () => {
    const parsed = parseRequirementsFile('a==1\nb==2 \\');
    expect(parsed.statements.map((s) => [s.line, s.content])).toEqual([
      [1, 'a==1'],
      [2, 'b==2'],
    ]);
    expect(serializeRequirementsFile(parsed)).toBe('a==1\nb==2 \\');
  });
});

describe('environment variables', () => {
  const text = fixtureText('env-vars.txt');

  it('keeps `${VAR}` verbatim when no env is given', () => {
    const parsed = parseRequirementsFile(text, 'env-vars.txt');
    expect(parsed.statements[0]).toMatchObject({ kind: 'option', value: 'https://${PIP_USER}:${PIP_TOKEN}@pypi.example/simple' });
    expect(parsed.statements[1]).toMatchObject({ kind: 'include', path: '${REQ_DIR}/base.txt' });
    expect(parsed.statements[2]).toMatchObject({ kind: 'requirement', requirement: { url: 'https://${HOST}/private-pkg-1.0.whl' } });
  });

  it('expands them in parsed fields only when an env record is given', () => {
    const env = { PIP_USER: 'me', PIP_TOKEN: 's3cret', REQ_DIR: 'reqs', HOST: 'files.example' };
    const parsed = parseRequirementsFile(text, 'env-vars.txt', { env });
    expect(parsed.statements[0]).toMatchObject({ value: 'https://me:s3cret@pypi.example/simple' });
    expect(parsed.statements[1]).toMatchObject({ path: 'reqs/base.txt' });
    expect(parsed.statements[2]).toMatchObject({ requirement: { url: 'https://files.example/private-pkg-1.0.whl' } });
    // The raw text and MLflow's view of the line are untouched.
    expect(parsed.statements[1]!.content).toBe('-r ${REQ_DIR}/base.txt');
    expect(serializeRequirementsFile(parsed)).toBe(text);
  });

  it.each([
    ['${A}', { A: 'x' }, 'x'],
    ['${A}${B}', { A: 'x', B: 'y' }, 'xy'],
    ['${UNSET}', {}, '${UNSET}'],
    ['${EMPTY}', { EMPTY: '' }, '${EMPTY}'],
    ['${lower}', { lower: 'x' }, '${lower}'],
    ['$A', { A: 'x' }, '$A'],
    ['${A_1}', { A_1: 'x' }, 'x'],
  ])('pip expands `%s` with %j to `%s`', (input, env, expected) => {
    expect(expandEnvironmentVariables(input, env)).toBe(expected);
  });
});

describe('errors', () => {
  it.each([
    ['LF', 'a==1\n\nfoo>=>1\n'],
    ['CRLF', 'a==1\r\n\r\nfoo>=>1\r\n'],
  ])('an invalid requirement is located at its file, line and column (%s)', (_label, text) => {
    const error = catchMlfError(() => parseRequirementsFile(text, 'model/requirements.txt'));
    expect(error.code).toBe('INVALID_REQUIREMENT');
    expect(error.category).toBe('input');
    expect(error.message).toBe(
      'Invalid requirement `foo>=>1` at column 4: Expected semicolon (after name with no version specifier) or end',
    );
    expect(error.where).toBe('model/requirements.txt:3:4');
  });

  it('locates an error on a continuation line at that line', () => {
    const error = catchMlfError(() => parseRequirementsFile('ok==1\n  pkg \\\n  >=>1\n', 'r.txt'));
    expect(error.code).toBe('INVALID_REQUIREMENT');
    // The joined text is `pkg >=>1`; its column 5 is the first `>` on line 3, column 3 of the file.
    expect(error.message).toMatch(/^Invalid requirement `pkg >=>1` at column 5: /);
    expect(error.where).toBe('r.txt:3:3');
  });

  it('locates an error after an indented start at the right column', () => {
    const error = catchMlfError(() => parseRequirementsFile('    pkg>=1.0.\n', 'r.txt'));
    expect(error.code).toBe('INVALID_REQUIREMENT');
    expect(error.message).toMatch(/^Invalid requirement `pkg>=1.0.` at column 9: /);
    expect(error.where).toBe('r.txt:1:13');
  });

  it('hints at an unexpanded `${VAR}` in an invalid requirement', () => {
    const error = catchMlfError(() => parseRequirementsFile('pkg==${PKG_VERSION}\n', 'r.txt'));
    expect(error.code).toBe('INVALID_REQUIREMENT');
    expect(error.hint).toBe(
      'The line holds a `${VAR}` reference that was not expanded; pip expands it from the environment at install time.',
    );
    const expanded = parseRequirementsFile('pkg==${PKG_VERSION}\n', 'r.txt', { env: { PKG_VERSION: '1.2' } });
    expect(expanded.statements[0]).toMatchObject({ kind: 'requirement', requirement: { specifier: '==1.2' } });
  });

  it.each([['-r'], ['--requirement'], ['-c'], ['-e'], ['--editable=']])('`%s` without a value', (text) => {
    const error = catchMlfError(() => parseRequirementsFile(`a==1\n${text}\n`, 'r.txt'));
    expect(error.code).toBe('INVALID_REQUIREMENTS_LINE');
    expect(error.message).toBe(`Option \`${text.replace(/=$/, '')}\` needs a value`);
    expect(error.location).toMatchObject({ file: 'r.txt', line: 2 });
  });

  it('refuses a new statement with a line break in it', () => {
    expect(catchMlfError(() => parseStatement('a==1\nb==2')).code).toBe('INVALID_REQUIREMENTS_LINE');
  });
});

describe('editing', () => {
  const lf = '# pins\nscikit-learn==1.5.2\npandas>=2  # keep\n';
  const cases = [
    { label: 'LF', text: lf },
    { label: 'CRLF', text: toCrlf(lf) },
    { label: 'no final newline', text: lf.slice(0, -1) },
    { label: 'CRLF, no final newline', text: toCrlf(lf).slice(0, -2) },
  ];

  it.each(cases)('replaces one statement and leaves the others byte for byte ($label)', ({ text }) => {
    const file = parseRequirementsFile(text);
    const edited = replaceStatement(file, 1, 'scikit-learn==1.6.0');
    expect(serializeRequirementsFile(edited)).toBe(text.replace('scikit-learn==1.5.2', 'scikit-learn==1.6.0'));
    expect(edited.statements[1]).toMatchObject({ kind: 'requirement', line: 2, content: 'scikit-learn==1.6.0' });
    expect(file.statements[1]!.content).toBe('scikit-learn==1.5.2');
  });

  it.each(cases)('appends with the file newline and keeps its final-newline style ($label)', ({ text }) => {
    const file = parseRequirementsFile(text);
    const nl = file.newline;
    const edited = appendStatements(file, ['numpy==2.1.0', '-c constraints.txt']);
    const expected = file.endsWithNewline
      ? `${text}numpy==2.1.0${nl}-c constraints.txt${nl}`
      : `${text}${nl}numpy==2.1.0${nl}-c constraints.txt`;
    expect(serializeRequirementsFile(edited)).toBe(expected);
    expect(edited.statements.map((s) => s.line)).toEqual([1, 2, 3, 4, 5]);
    expect(edited.statements[4]).toMatchObject({ kind: 'include', include: 'constraints' });
  });

  it.each(cases)('inserts in the middle ($label)', ({ text }) => {
    const file = parseRequirementsFile(text);
    const edited = insertStatements(file, 1, ['mlflow==3.6.0']);
    expect(serializeRequirementsFile(edited)).toBe(text.replace('scikit-learn', `mlflow==3.6.0${file.newline}scikit-learn`));
  });

  it.each(cases)('removes the last statement and keeps the final-newline style ($label)', ({ text }) => {
    const file = parseRequirementsFile(text);
    const edited = removeStatement(file, 2);
    const nl = file.newline;
    expect(serializeRequirementsFile(edited)).toBe(file.endsWithNewline ? `# pins${nl}scikit-learn==1.5.2${nl}` : `# pins${nl}scikit-learn==1.5.2`);
  });

  it('removes a multi-line statement and renumbers the rest', () => {
    const file = parseRequirementsFile(fixtureText('continuations.txt'));
    const edited = removeStatement(file, 0);
    expect(edited.statements[0]).toMatchObject({ line: 1, endLine: 2, content: 'scikit-learn==1.5.2' });
    expect(serializeRequirementsFile(edited)).toBe(fixtureText('continuations.txt').split('\n').slice(3).join('\n'));
  });

  it('writes into an empty file as MLflow does (no final newline)', () => {
    const edited = appendStatements(parseRequirementsFile(''), ['mlflow==3.6.0', 'scikit-learn==1.5.2']);
    expect(serializeRequirementsFile(edited)).toBe('mlflow==3.6.0\nscikit-learn==1.5.2');
  });

  it('refuses an index out of range', () => {
    const file = parseRequirementsFile('a==1\n');
    expect(() => replaceStatement(file, 1, 'b')).toThrow(RangeError);
    expect(() => insertStatements(file, 2, ['b'])).toThrow(RangeError);
    expect(() => removeStatement(file, -1)).toThrow(RangeError);
  });
});

describe('resolveIncludes', () => {
  const includes = path.join(FIXTURES, 'includes');
  const readFromDisk = (filePath: string) => readFileSync(filePath, 'utf8');
  /** The same tree with every file's line endings turned into CRLF on read. */
  const readAsCrlf = (filePath: string) => toCrlf(readFileSync(filePath, 'utf8'));

  it.each([
    ['LF', readFromDisk],
    ['CRLF', readAsCrlf],
  ])('expands -r and -c as MLflow _parse_requirements does (%s)', (_label, read) => {
    const top = path.join(includes, 'top.txt');
    const file = parseRequirementsFile(read(top), top);
    const resolved = resolveIncludes(file, read, includes);
    // MLflow 3.17.2 `_parse_requirements('includes/top.txt', is_constraint=False)` gives, in order:
    // scikit-learn==1.5.2 | pandas>=2 --hash=sha256:abcd | numpy==2.1.0 | requests | -e ./src |
    // (constraint) numpy<2.2 | urllib3<3 | --index-url https://pypi.org/simple
    // (`-r` inside a constraints file is read as requirements, by MLflow and by pip.)
    expect(resolved.requirements.map((r) => r.text)).toEqual([
      'scikit-learn==1.5.2',
      'pandas>=2 --hash=sha256:abcd',
      'numpy==2.1.0',
      'requests',
      '-e ./src',
      'urllib3<3',
      '--index-url https://pypi.org/simple',
    ]);
    expect(resolved.constraints.map((r) => r.text)).toEqual(['numpy<2.2']);
    expect(resolved.cycles).toEqual([]);
    const origins = resolved.requirements.map((r) => path.relative(includes, r.origin));
    expect(origins).toEqual([
      'top.txt:2',
      'nested/base.txt:1',
      'common.txt:1',
      'common.txt:3',
      'nested/base.txt:4',
      'constraint-extra.txt:1',
      'top.txt:5',
    ]);
    expect(resolved.constraints[0]).toMatchObject({ file: path.join(includes, 'constraints.txt'), line: 1 });
  });

  it('reports a cycle and does not loop', () => {
    const a = path.join(includes, 'cycle-a.txt');
    const resolved = resolveIncludes(parseRequirementsFile(readFromDisk(a), a), readFromDisk, includes);
    expect(resolved.requirements.map((r) => r.text)).toEqual(['alpha==1.0', 'beta==2.0']);
    expect(resolved.cycles).toEqual([
      { chain: [a, path.join(includes, 'cycle-b.txt'), a], file: path.join(includes, 'cycle-b.txt'), line: 2 },
    ]);
  });

  it('reads a file reached twice (a diamond, not a cycle) once', () => {
    const files: Record<string, string> = {
      'd/top.txt': '-r a.txt\n-r b.txt\n',
      'd/a.txt': 'a==1\n-r shared.txt\n',
      'd/b.txt': 'b==1\n-r=shared.txt\n',
      'd/shared.txt': 'shared==1\n',
    };
    const read = (p: string) => files[p] ?? (() => { throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' }); })();
    const resolved = resolveIncludes(parseRequirementsFile(files['d/top.txt']!, 'd/top.txt'), read, 'd');
    expect(resolved.requirements.map((r) => `${r.text} @ ${r.origin}`)).toEqual([
      'a==1 @ d/a.txt:1',
      'shared==1 @ d/shared.txt:1',
      'b==1 @ d/b.txt:1',
    ]);
    expect(resolved.cycles).toEqual([]);
  });

  it('follows a file included once as requirements and once as constraints, both ways', () => {
    const files: Record<string, string> = { 'top.txt': '-r pins.txt\n-c pins.txt\n', 'pins.txt': 'numpy<3\n' };
    const resolved = resolveIncludes(parseRequirementsFile(files['top.txt']!, 'top.txt'), (p) => files[p]!, '.');
    expect(resolved.requirements.map((r) => r.text)).toEqual(['numpy<3']);
    expect(resolved.constraints.map((r) => r.text)).toEqual(['numpy<3']);
  });

  it('resolves absolute include paths as they are', () => {
    const common = path.join(includes, 'common.txt');
    const file = parseRequirementsFile(`-r ${common}\n`, 'list');
    const resolved = resolveIncludes(file, readFromDisk, '/somewhere/else');
    expect(resolved.requirements.map((r) => r.text)).toEqual(['numpy==2.1.0', 'requests']);
    expect(resolved.requirements[0]!.origin).toBe(`${common}:1`);
  });

  it('expands ${VAR} in include paths when given an env record', () => {
    const file = parseRequirementsFile('-r ${DIR}/common.txt\n', 'list');
    const resolved = resolveIncludes(file, readFromDisk, '/', { env: { DIR: includes } });
    expect(resolved.requirements.map((r) => r.text)).toEqual(['numpy==2.1.0', 'requests']);
  });

  it('names the include line when a file cannot be read', () => {
    const missing = path.join(includes, 'missing.txt');
    const file = parseRequirementsFile(readFromDisk(missing), missing);
    const error = catchMlfError(() => resolveIncludes(file, readFromDisk, includes));
    expect(error.code).toBe('INCLUDE_NOT_READABLE');
    expect(error.message).toBe(
      `Cannot read \`${path.join(includes, 'does-not-exist.txt')}\`, included by \`-r does-not-exist.txt\``,
    );
    expect(error.location).toMatchObject({ file: missing, line: 2 });
  });

  // Skipped on Windows only: it has no /dev/zero to include.
  it.skipIf(process.platform === 'win32')('places the reader\'s refusal of an included file at the include line', () => {
    const file = parseRequirementsFile('ok==1\n-r /dev/zero\n', 'top.txt');
    const error = catchMlfError(() => resolveIncludes(file, (p) => readRegularTextSync(p), '.'));
    expect(error.code).toBe('NOT_A_REGULAR_FILE');
    expect(error.message).toBe('`/dev/zero` is a character device, not a regular file (included by `-r /dev/zero`)');
    expect(error.location).toMatchObject({ file: 'top.txt', line: 2 });
    expect(error.exitCode).toBe(2);
  });

  it('keeps a missing include INCLUDE_NOT_READABLE when read with the regular-file reader', () => {
    const file = parseRequirementsFile('-r does-not-exist.txt\n', 'top.txt');
    const error = catchMlfError(() => resolveIncludes(file, (p) => readRegularTextSync(p), includes));
    expect(error.code).toBe('INCLUDE_NOT_READABLE');
    expect(error.location).toMatchObject({ file: 'top.txt', line: 1 });
  });

  it('keeps a line-located reader error in the included file', () => {
    const error = catchMlfError(() =>
      resolveIncludes(parseRequirementsFile('-r bad.txt\n', 'top.txt'), () => {
        throw inputError('FILE_NOT_UTF8', '`bad.txt` is not valid UTF-8 (line 3, byte 9 of the file)', { file: 'bad.txt', line: 3 });
      }, '.'),
    );
    expect(error.location).toMatchObject({ file: 'bad.txt', line: 3 });
    expect(error.message).not.toMatch(/included by/);
  });

  it('passes an invalid requirement in an included file on, located in that file', () => {
    const files: Record<string, string> = { 'top.txt': 'ok==1\n-r bad.txt\n', 'bad.txt': '\n\nfoo>=>1\n' };
    const error = catchMlfError(() =>
      resolveIncludes(parseRequirementsFile(files['top.txt']!, 'top.txt'), (p) => files[p]!, '.'),
    );
    expect(error.code).toBe('INVALID_REQUIREMENT');
    expect(error.location).toMatchObject({ file: 'bad.txt', line: 3 });
  });

  it('labels lines of a file without a name `<input>`', () => {
    const resolved = resolveIncludes(parseRequirementsFile('a==1\n'), readFromDisk, '.');
    expect(resolved.requirements).toEqual([{ text: 'a==1', line: 1, origin: '<input>:1' }]);
  });
});
