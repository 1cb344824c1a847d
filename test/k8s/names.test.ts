import { describe, expect, it } from 'vitest';
import { isLabelValue, nameFrom, nameProblem } from '../../src/k8s/names.js';
import { formatMebibytes, parseMemoryQuantity } from '../../src/k8s/quantity.js';

describe('k8s names', () => {
  it('makes an RFC 1035 label of any model name', () => {
    expect(nameFrom('sklearn-iris')).toBe('sklearn-iris');
    expect(nameFrom('My_Model v2.1')).toBe('my-model-v2-1');
    expect(nameFrom('2024 churn')).toBe('m-2024-churn');
    expect(nameFrom('___')).toBe('model');
    expect(nameFrom('a'.repeat(40) + '-' + 'b'.repeat(40), 45)).toBe('a'.repeat(40) + '-bbbb');
    // Cut where a `-` would end it: the trailing dash goes too.
    expect(nameFrom(`${'a'.repeat(44)}-b`, 45)).toBe('a'.repeat(44));
    for (const text of ['x', 'Ünïcode modél', '-lead', 'trail-', '9']) expect(nameProblem(nameFrom(text))).toBeUndefined();
  });

  it('says why a given name is not one', () => {
    expect(nameProblem('iris')).toBeUndefined();
    expect(nameProblem('Iris')).toMatch(/lower-case/);
    expect(nameProblem('1iris')).toMatch(/start with a letter/);
    expect(nameProblem('iris-')).toMatch(/end with a letter or digit/);
    expect(nameProblem('a'.repeat(64))).toBe('it has 64 characters (at most 63)');
    expect(nameProblem('a'.repeat(46), 45)).toBe('it has 46 characters (at most 45)');
  });

  it('knows a label value from text that only an annotation may hold', () => {
    expect(isLabelValue('3.17.2')).toBe(true);
    expect(isLabelValue('')).toBe(true);
    expect(isLabelValue('models:/iris@champion')).toBe(false);
    expect(isLabelValue(`sha256:${'0'.repeat(64)}`)).toBe(false);
  });
});

describe('memory quantities', () => {
  it('reads the forms Kubernetes takes and refuses the rest', () => {
    expect(parseMemoryQuantity('512Mi')).toBe(512 * 2 ** 20);
    expect(parseMemoryQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseMemoryQuantity('1G')).toBe(1e9);
    expect(parseMemoryQuantity('268435456')).toBe(268435456);
    for (const bad of ['', 'lots', '-1Gi', '512 MB', '1e9', '512mi', '100Ki']) expect(parseMemoryQuantity(bad)).toBeUndefined();
  });

  it('writes whole mebibytes, rounded up', () => {
    expect(formatMebibytes(512 * 2 ** 20)).toBe('512Mi');
    expect(formatMebibytes(512 * 2 ** 20 + 1)).toBe('513Mi');
  });
});
