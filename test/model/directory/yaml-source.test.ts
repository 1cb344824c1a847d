import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../../src/model/directory/yaml-source.js';

describe('parseYamlSource', () => {
  it('reads bytes strictly and text as given, to the same value', () => {
    const text = 'python: 3.10.12\nbuild_dependencies:\n- pip\n';
    const fromBytes = parseYamlSource(Buffer.from(text), 'python_env.yaml');
    const fromText = parseYamlSource(text, 'python_env.yaml');
    expect(fromBytes.value).toStrictEqual({ python: '3.10.12', build_dependencies: ['pip'] });
    expect(fromText.value).toStrictEqual(fromBytes.value);
    expect(fromBytes.text).toBe(text);
    expect(fromBytes.lineOf(['build_dependencies', 0])).toBe(3);
  });

  it.each([
    ['a syntax error', Buffer.from('a: [1\n'), 2],
    ['invalid UTF-8', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]), 1],
    ['a python tag', Buffer.from('a: !!python/name:os.system\n'), 1],
    ['an alias bomb', Buffer.from(['a0: &a0 [x]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`)].join('\n')), 1],
  ])('turns %s into an error with the reason, not the file name twice, and never throws', (_name, bytes, line) => {
    const source = parseYamlSource(bytes, 'conda.yaml');
    expect(source.value).toBeUndefined();
    expect(source.error?.message).toBeTruthy();
    expect(source.error?.message).not.toMatch(/conda\.yaml/);
    expect(source.error?.line).toBe(line);
    expect(source.lineOf(['a'])).toBeUndefined();
  });

  it('shows invalid UTF-8 in `text` as U+FFFD', () => {
    expect(parseYamlSource(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]), 'MLmodel').text).toBe('a: \uFFFD\n');
  });
});
