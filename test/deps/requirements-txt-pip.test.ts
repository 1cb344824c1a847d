/**
 * One line of requirements.txt read as pip 26.3 reads it (requirement, URL, local path, or an
 * error), on every requirement of packaging's test suite plus lines chosen for pip's own rules.
 * The verdicts come from pip itself (cases/generate.py, `requirement-lines.json`), run in an
 * empty directory; `directory` marks lines pip installs only when such a directory exists.
 */
import { describe, expect, it } from 'vitest';
import { formatMarker } from '../../src/deps/markers.js';
import { canonicalizeName, formatRequirement } from '../../src/deps/pep508.js';
import { parseRequirementsFile, type Statement } from '../../src/deps/requirements-txt.js';
import { isMlfError } from '../../src/errors.js';
import { loadCases } from './cases/load.js';

interface LineCase {
  line: string;
  pip: 'requirement' | 'url' | 'path' | 'directory' | 'error' | 'other';
  name?: string;
  requirement?: string;
  marker?: string;
  message?: string;
}

/**
 * Lines with a control character are refused whatever pip makes of them (pip strips a trailing
 * form feed, and splits lines at `\x0b`, `\x85`, ...; mlf does not guess): a deliberate difference.
 */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]/;
const all = loadCases<LineCase[]>('requirement-lines.json');
const withControl = all.filter((c) => CONTROL.test(c.line));
const cases = all.filter((c) => !CONTROL.test(c.line));

/** The statement mlf reads, or the MlfError it throws (anything else fails the test). */
function read(line: string): Statement | Error {
  try {
    const statements = parseRequirementsFile(`${line}\n`, 'requirements.txt').statements;
    expect(statements).toHaveLength(1);
    return statements[0]!;
  } catch (error) {
    if (isMlfError(error)) return error;
    throw error;
  }
}

const describeStatement = (s: Statement | Error) => (s instanceof Error ? `error: ${s.message}` : s.kind === 'url' ? s.form : s.kind);

describe('requirements.txt lines, against pip 26.3', () => {
  it('has the table: packaging\'s requirement matrix and pip\'s own cases', () => {
    expect(cases.length).toBeGreaterThan(5000);
    for (const verdict of ['requirement', 'url', 'path', 'directory', 'error'] as const) {
      expect(cases.some((c) => c.pip === verdict)).toBe(true);
    }
  });

  it.each(cases.filter((c) => c.pip === 'requirement'))('reads $line as the requirement pip reads', (c) => {
    const statement = read(c.line);
    expect(describeStatement(statement)).toBe('requirement');
    if (statement instanceof Error || statement.kind !== 'requirement') return;
    const { requirement } = statement;
    expect(canonicalizeName(requirement.name)).toBe(canonicalizeName(c.name!));
    expect(formatRequirement({ ...requirement, marker: undefined })).toBe(c.requirement);
    expect(requirement.markerTree ? formatMarker(requirement.markerTree) : undefined).toBe(c.marker);
  });

  it.each(cases.filter((c) => c.pip === 'url' || c.pip === 'path'))('reads $line as a $pip line', (c) => {
    expect(describeStatement(read(c.line))).toBe(c.pip);
  });

  it.each(cases.filter((c) => c.pip === 'error' || c.pip === 'other'))('refuses $line, as pip does', (c) => {
    expect(describeStatement(read(c.line))).toMatch(/^error: /);
  });

  it.each(cases.filter((c) => c.pip === 'directory'))('reads $line as a local path or refuses it, never as a requirement or URL', (c) => {
    expect(describeStatement(read(c.line))).toMatch(/^(path|error: .*)$/);
  });

  it.each([
    ['./pkg', 'path'],
    ['../pkg[extra] ; python_version >= "3"', 'path'],
    ['pkg/sub', 'path'],
    ['/abs/pkg', 'path'],
  ])('reads %j, a directory pip installs when it exists, as a local path', (line, expected) => {
    expect(describeStatement(read(line))).toBe(expected);
  });

  it.each(['name[.a]@git+https://host/x', '@ https://host/x', 'git://github.com/org/repo.git#egg=repo', '~', 'C:\\pkg'])(
    'refuses %j: no directory anyone writes, and invalid as a requirement',
    (line) => {
      expect(describeStatement(read(line))).toMatch(/^error: Invalid requirement/);
    },
  );

  it.each(withControl)('refuses $line: it holds a control character', (c) => {
    expect(describeStatement(read(c.line))).toMatch(/^error: control character U\+/);
  });

  it('locates an error in the marker after `;` at its column in the file', () => {
    const error = read('  name==1.0 ; python_version >> "3"');
    expect(error).toBeInstanceOf(Error);
    if (!isMlfError(error)) return;
    expect(error.message).toBe('Invalid requirement `name==1.0 ; python_version >> "3"` at column 29: Expected a marker variable or quoted string');
    expect(error.location).toMatchObject({ file: 'requirements.txt', line: 1, column: 31 });
  });
});
