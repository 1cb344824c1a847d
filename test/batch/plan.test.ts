import { describe, expect, it } from 'vitest';
import { planPartitions, rowGroupUnits, type InputUnit } from '../../src/batch/plan.js';

const groups = (path: string, rows: number[]) => rowGroupUnits(path, rows, rows.reduce((a, b) => a + b, 0) * 10);
const ranges = (path: string, cuts: number[]): InputUnit[] => cuts.slice(1).map((end, i) => ({ path, slice: { start: cuts[i]!, end }, bytes: end - cuts[i]! }));

describe('planPartitions', () => {
  it('without --partitions: one partition per unit, in input order', () => {
    const plan = planPartitions([...groups('/a', [5, 5]), ...groups('/b', [3])]);
    expect(plan.map((p) => p.slices)).toEqual([[{ path: '/a', row_groups: [0] }], [{ path: '/a', row_groups: [1] }], [{ path: '/b', row_groups: [0] }]]);
    expect(plan.map((p) => [p.index, p.rows, p.bytes])).toEqual([[0, 5, 50], [1, 5, 50], [2, 3, 30]]);
  });

  it('row groups without rows are no units', () => {
    expect(groups('/a', [0, 4, 0]).map((u) => u.slice)).toEqual([{ rowGroup: 1 }]);
  });

  it('--partitions N: consecutive units, balanced by rows, consecutive row groups of a file merged', () => {
    const plan = planPartitions([...groups('/a', [10, 10, 10, 10]), ...groups('/b', [10, 10])], 3);
    expect(plan.map((p) => p.slices)).toEqual([
      [{ path: '/a', row_groups: [0, 1] }],
      [{ path: '/a', row_groups: [2, 3] }],
      [{ path: '/b', row_groups: [0, 1] }],
    ]);
    expect(plan.map((p) => p.rows)).toEqual([20, 20, 20]);
  });

  it('never more partitions than units, and never an empty one', () => {
    const plan = planPartitions(groups('/a', [1, 1000, 1]), 10);
    expect(plan).toHaveLength(3);
    const skewed = planPartitions(groups('/a', [1000, 1, 1, 1]), 3);
    expect(skewed.map((p) => p.slices.length)).toEqual([1, 1, 1]);
    expect(skewed.every((p) => p.slices.length > 0)).toBe(true);
  });

  it('line ranges: balanced by bytes, adjacent ranges of a file joined into one', () => {
    const plan = planPartitions([...ranges('/a.csv', [10, 20, 30, 40]), ...ranges('/b.csv', [0, 30])], 2);
    // 60 bytes in two: the three ranges of /a.csv (30 bytes) make the first half.
    expect(plan.map((p) => p.slices)).toEqual([[{ path: '/a.csv', start: 10, end: 40 }], [{ path: '/b.csv', start: 0, end: 30 }]]);
    expect(planPartitions([...ranges('/a.csv', [0, 10, 20]), ...ranges('/b.csv', [0, 40])], 2).map((p) => p.slices)).toEqual([
      [{ path: '/a.csv', start: 0, end: 20 }],
      [{ path: '/b.csv', start: 0, end: 40 }],
    ]);
    expect(plan.map((p) => p.rows)).toEqual([undefined, undefined]);
  });

  it('no units: no partitions', () => {
    expect(planPartitions([], 4)).toEqual([]);
  });

  it('every unit lands in exactly one partition, in order, for any N', () => {
    const units = groups('/a', [3, 1, 4, 1, 5, 9, 2, 6]);
    for (let n = 1; n <= 10; n++) {
      const plan = planPartitions(units, n);
      expect(plan).toHaveLength(Math.min(n, units.length));
      expect(plan.flatMap((p) => p.slices.flatMap((s) => ('row_groups' in s ? s.row_groups : [])))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });
});
