import { describe, expect, it } from 'vitest';
import { jsonDifference } from './json-close.js';

describe('jsonDifference', () => {
  it('lets float literals differ in their last digits, nothing else', () => {
    expect(jsonDifference('{"predictions": [[0.18081812345678, 1.5e-05]]}', '{"predictions": [[0.18081812345675, 1.5000001e-05]]}')).toBeUndefined();
    expect(jsonDifference('{"predictions": [0.2]}', '{"predictions": [0.3]}')).toMatch(/0\.2 vs 0\.3 \(beyond/);
    expect(jsonDifference('{"predictions": [1]}', '{"predictions": [1.0]}')).toBe('token 4: 1 vs 1.0');
    expect(jsonDifference('{"predictions": [2]}', '{"predictions": [3]}')).toBe('token 4: 2 vs 3');
    expect(jsonDifference('{"predictions": ["0.1"]}', '{"predictions": ["0.10000001"]}')).toMatch(/^token 4: "0.1"/);
    expect(jsonDifference('{"a": [0.1]}', '{"b": [0.1]}')).toBe('token 1: "a" vs "b"');
    expect(jsonDifference('[0.1, 0.2]', '[0.1]')).toBe('token 2: , vs ]');
  });
});
