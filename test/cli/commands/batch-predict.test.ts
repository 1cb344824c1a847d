import { describe, expect, it } from 'vitest';
import { describeBatchResult } from '../../../src/cli/commands/batch-predict.js';

describe('batch-predict result line', () => {
  it('counts rows and parts in the singular and the plural, and names parts kept from an earlier run', () => {
    expect(describeBatchResult({ rows: 1, partitions: 1, partsResumed: 0, format: 'csv' }, 'out')).toBe('wrote 1 row in 1 part to out (csv)');
    expect(describeBatchResult({ rows: 0, partitions: 2, partsResumed: 0, format: 'parquet' }, 'out')).toBe('wrote 0 rows in 2 parts to out (parquet)');
    expect(describeBatchResult({ rows: 1000, partitions: 4, partsResumed: 1, format: 'parquet' }, '/o')).toBe(
      'wrote 1000 rows in 4 parts to /o (parquet, 1 kept from an earlier run of the same job)',
    );
  });
});
