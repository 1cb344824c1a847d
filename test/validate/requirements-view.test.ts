import { describe, expect, it } from 'vitest';
import { findCredentialUrls, parseRequirementsTolerant, redactUrl } from '../../src/validate/requirements-view.js';

describe('parseRequirementsTolerant', () => {
  it('reports every bad line and still reads the good ones, keeping line numbers', () => {
    const text = 'numpy==1.26\npandas=2\n\nscipy>=1 <2\n--index-url\nscikit-learn==1.5\r\n';
    const parsed = parseRequirementsTolerant(text, 'requirements.txt');
    expect(parsed.errors.map((e) => [e.line, e.column])).toEqual([
      [2, 7],
      [4, 10],
    ]);
    expect(parsed.errors[0]!.message).toBe('Invalid requirement `pandas=2` at column 7: Expected semicolon (after name with no version specifier) or end');
    expect(parsed.statements.filter((s) => s.kind === 'requirement').map((s) => [s.line, s.content])).toEqual([
      [1, 'numpy==1.26'],
      [6, 'scikit-learn==1.5'],
    ]);
    expect(parsed.statements.find((s) => s.kind === 'option')?.line).toBe(5);
  });

  it('reads a clean file in one pass', () => {
    const parsed = parseRequirementsTolerant('mlflow==3.17.2\n-c constraints.txt', 'requirements.txt');
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['requirement', 'include']);
  });
});

describe('credentials in URLs', () => {
  it.each([
    ['https://user:pass@host/simple', 'https://****@host/simple'],
    ['https://token@github.com/org/repo.git', 'https://****@github.com/org/repo.git'],
    ['git+https://u:p@h/x.git#egg=x', 'git+https://****@h/x.git#egg=x'],
    ['https://host/simple', 'https://host/simple'],
    ['pkg @ https://a:b@h/pkg.whl', 'pkg @ https://****@h/pkg.whl'],
  ])('redactUrl(%j) = %j', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it.each([
    ['--extra-index-url https://u:p@host/simple', ['https://****@host/simple']],
    ['--index-url https://host/simple', []],
    ['name @ https://user@host/x.whl', ['https://****@host/x.whl']],
    ['numpy==1.0 ; python_version >= "3.8"', []],
  ])('findCredentialUrls(%j)', (line, expected) => {
    expect(findCredentialUrls(line)).toEqual(expected);
  });
});
