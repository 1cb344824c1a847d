import { describe, expect, it } from 'vitest';
import { closeKnownDistribution, tableDistributions } from '../../src/deps/module-names.js';

describe('closeKnownDistribution', () => {
  it.each([
    ['scikit_lern', 'scikit-learn'],
    ['Scikit-Learn', undefined], // known: nothing to correct
    ['pandsa', 'pandas'],
    ['xgbost', 'xgboost'],
    ['textfeat', undefined],
    ['six', undefined], // too short to guess
  ])('%s -> %s', (name, expected) => {
    expect(closeKnownDistribution(name)).toBe(expected);
  });
});

describe('tableDistributions', () => {
  it('knows import names that differ and well-known same-name distributions, and nothing else', () => {
    expect(tableDistributions('sklearn.tree')).toEqual(['scikit-learn']);
    expect(tableDistributions('torch.nn')).toEqual(['torch']);
    expect(tableDistributions('textfeat')).toEqual([]);
  });
});
