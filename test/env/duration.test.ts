import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/env/duration.js';
import { MlfError } from '../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1d12h', 129_600_000],
    ['1d 12h', 129_600_000],
    ['1.5h', 5_400_000],
    ['7D', 604_800_000],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7', 'd', '7x', '7 days', '-1d', 'd7', '1d12', '7d!'])('rejects `%s` with exit 2', (text) => {
    let error: unknown;
    try {
      parseDuration(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlfError);
    const mlf = error as MlfError;
    expect(mlf.code).toBe('INVALID_DURATION');
    expect(mlf.exitCode).toBe(2);
    expect(mlf.message).toBe(`invalid duration \`${text}\``);
    expect(mlf.hint).toBe('give a number followed by s, m, h, d or w, e.g. `7d`, `12h` or `1d12h`');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [3_660_000, '1h 1m'],
    [90_061_000, '1d 1h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
