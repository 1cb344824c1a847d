import { describe, expect, it } from 'vitest';
import { indexOptionLines, isNotOnIndex, topLevelModulesOf, uvIndexEnvironment } from '../../src/env/index-probe.js';

describe('topLevelModulesOf', () => {
  it('reads packages, modules and extensions from RECORD, skipping metadata, scripts and data', () => {
    const record = [
      'bin/tabulate,sha256=x,307',
      'tabulate-0.10.0.dist-info/RECORD,,',
      'tabulate/__init__.py,sha256=x,108269',
      'six.py,sha256=x,1',
      '_speedups.cpython-311-x86_64-linux-gnu.so,sha256=x,1',
      'pkg-1.0.data/scripts/run,sha256=x,1',
      '__pycache__/six.cpython-311.pyc,,',
      '"odd,name/__init__.py",sha256=x,1',
      '',
    ].join('\n');
    expect(topLevelModulesOf(record, 'extra_top\n')).toEqual(['_speedups', 'extra_top', 'six', 'tabulate']);
  });
});

describe('isNotOnIndex', () => {
  it("matches uv's 'not found in the package registry' for that name only", () => {
    const output = 'error: No solution found when resolving dependencies\n  cause: Because textfeat was not found in the package registry and you require textfeat, we can conclude that your requirements are unsatisfiable.';
    expect(isNotOnIndex(output, 'textfeat')).toBe(true);
    expect(isNotOnIndex(output, 'other')).toBe(false);
    expect(isNotOnIndex('error: Failed to fetch: `http://127.0.0.1:9/simple/textfeat/`', 'textfeat')).toBe(false);
  });
});

describe('uvIndexEnvironment', () => {
  it("passes pip's index variables on under uv's names, unless uv's own are set", () => {
    expect(uvIndexEnvironment({ PIP_INDEX_URL: 'http://a/simple', PIP_EXTRA_INDEX_URL: 'http://b/simple' })).toMatchObject({
      UV_INDEX_URL: 'http://a/simple',
      UV_EXTRA_INDEX_URL: 'http://b/simple',
    });
    expect(uvIndexEnvironment({ PIP_INDEX_URL: 'http://a/simple', UV_INDEX_URL: 'http://u/simple' }).UV_INDEX_URL).toBe('http://u/simple');
    expect(uvIndexEnvironment({}).UV_INDEX_URL).toBeUndefined();
  });
});

describe('indexOptionLines', () => {
  it('keeps the lines that choose where packages come from', () => {
    expect(indexOptionLines(['-i http://x/simple', '--extra-index-url=http://y', 'numpy==2', '--find-links ./wheels', '--no-index', '--pre', '-r other.txt'])).toEqual([
      '-i http://x/simple',
      '--extra-index-url=http://y',
      '--find-links ./wheels',
      '--no-index',
    ]);
  });
});
