import { describe, expect, it } from 'vitest';
import { installableVersion, parsePinnedVersion } from '../../src/env/latest-version.js';

describe('parsePinnedVersion', () => {
  it.each([
    ['tabulate==0.10.0\n', 'tabulate', '0.10.0'],
    ['opencv-python==4.10.0.84\n', 'opencv_python', '4.10.0.84'],
    ['# comment\nPyYAML==6.0.3 ; python_version >= "3.8"\n', 'pyyaml', '6.0.3'],
    ['numpy==2.4.6\n', 'tabulate', undefined],
    ['', 'tabulate', undefined],
  ])('%j for %s', (output, distribution, expected) => {
    expect(parsePinnedVersion(output, distribution)).toBe(expected);
  });
});

describe('installableVersion', () => {
  it('gives up quietly when uv is nowhere', async () => {
    expect(await installableVersion({ distribution: 'tabulate', mlfHome: '/nonexistent', env: { PATH: '/nonexistent' }, cwd: '/' })).toBeUndefined();
  });
});
