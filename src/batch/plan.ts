/**
 * Partition planning (pure): the input's units in input order (a Parquet row group, or a byte
 * range of lines of a CSV / JSON-lines file) grouped into output partitions. Each partition is a
 * run of consecutive units, so the output's parts, read in order, hold the input's rows in order.
 * Without `--partitions`, each unit is one partition; with N, at most N partitions (never more than
 * there are units: a unit is the smallest piece read), balanced by rows where every unit's row
 * count is known (Parquet), else by bytes.
 */
import type { BatchSlice } from '../worker/protocol.js';

export interface InputUnit {
  path: string;
  /** A Parquet row group's index, or a byte range. */
  slice: { rowGroup: number } | { start: number; end: number };
  rows?: number;
  bytes: number;
}

export interface Partition {
  index: number;
  /** What the worker reads, in order (consecutive row groups of one file merged into one slice). */
  slices: BatchSlice[];
  rows?: number;
  bytes: number;
}

export function planPartitions(units: readonly InputUnit[], partitions?: number): Partition[] {
  if (units.length === 0) return [];
  const count = Math.min(partitions ?? units.length, units.length);
  const rowsKnown = units.every((unit) => unit.rows !== undefined);
  const weight = (unit: InputUnit) => (rowsKnown ? unit.rows! : unit.bytes);
  const total = units.reduce((sum, unit) => sum + weight(unit), 0);
  const groups: InputUnit[][] = [];
  let current: InputUnit[] = [];
  let done = 0;
  units.forEach((unit, at) => {
    current.push(unit);
    done += weight(unit);
    const groupsLeft = count - groups.length - 1;
    const unitsLeft = units.length - at - 1;
    // Cut once this group reaches its share of the whole, or when every unit left must be a group of its own.
    const reached = total === 0 ? current.length >= units.length / count : done >= (total * (groups.length + 1)) / count;
    if (groupsLeft > 0 && (reached || unitsLeft === groupsLeft)) {
      groups.push(current);
      current = [];
    }
  });
  groups.push(current);
  return groups.map((group, index) => ({
    index,
    slices: slicesOf(group),
    ...(rowsKnown ? { rows: group.reduce((sum, unit) => sum + unit.rows!, 0) } : {}),
    bytes: group.reduce((sum, unit) => sum + unit.bytes, 0),
  }));
}

function slicesOf(group: readonly InputUnit[]): BatchSlice[] {
  const slices: BatchSlice[] = [];
  for (const unit of group) {
    const last = slices[slices.length - 1];
    if ('rowGroup' in unit.slice) {
      if (last && last.path === unit.path && 'row_groups' in last) last.row_groups.push(unit.slice.rowGroup);
      else slices.push({ path: unit.path, row_groups: [unit.slice.rowGroup] });
    } else if (last && last.path === unit.path && 'end' in last && last.end === unit.slice.start) last.end = unit.slice.end;
    else slices.push({ path: unit.path, start: unit.slice.start, end: unit.slice.end });
  }
  return slices;
}

/** A Parquet file's units: its row groups that hold rows, each weighed by its share of the file. */
export function rowGroupUnits(path: string, rowGroups: readonly number[], fileBytes: number): InputUnit[] {
  const rows = rowGroups.reduce((sum, n) => sum + n, 0);
  return rowGroups.flatMap((n, rowGroup) => (n === 0 ? [] : [{ path, slice: { rowGroup }, rows: n, bytes: rows === 0 ? 0 : Math.round((fileBytes * n) / rows) }]));
}
