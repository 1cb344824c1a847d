import { describe, expect, it } from 'vitest';
import { createRng, seedOf } from './prng.js';

describe('fuzz PRNG', () => {
  it('repeats its stream for a seed, and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 50 }, createRng(seed).next);
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    // Fixed values: a change of algorithm would silently change every recorded seed's cases.
    expect(createRng(1).int(1_000_000)).toBe(627073);
    expect(seedOf('case', '9000', 0)).toBe(seedOf('case', '9000', 0));
    expect(seedOf('case', '9000', 0)).not.toBe(seedOf('case', '9000', 1));
  });

  it('stays in range and honours weights', () => {
    const rng = createRng(7);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 2000; i++) {
      const n = rng.between(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
      expect(rng.int(4)).toBeLessThan(4);
      counts[rng.weighted([['a', 3], ['b', 1], ['never', 0]] as const)]++;
    }
    expect(counts.never).toBe(0);
    expect(counts.a / counts.b).toBeGreaterThan(2);
    expect(counts.a / counts.b).toBeLessThan(4);
    expect(() => rng.pick([])).toThrow();
  });
});
