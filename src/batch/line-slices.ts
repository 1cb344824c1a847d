/**
 * Byte ranges of a CSV or JSON-lines file that start and end at line starts, about `targetBytes`
 * each: the local engine's units for line formats (plan.ts). A CSV's first line is its header: the
 * first range starts after it (the worker reads the header for every range, mlf_worker/batch/parts.py).
 * A record must not span lines (a quoted newline inside a CSV field), as with Spark's default
 * `multiLine=false`; such a file is read wrongly at a boundary that falls inside the record.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { InputUnit } from './plan.js';

/** The default size of one range: large enough that a worker's start is noise, small enough to spread. */
export const DEFAULT_SLICE_BYTES = 64 * 1024 * 1024;
const SCAN_BYTES = 64 * 1024;

export function lineUnits(path: string, size: number, options: { header: boolean; targetBytes: number }): InputUnit[] {
  const fd = openSync(path, 'r');
  try {
    const first = options.header ? nextLineStart(fd, 0, size) : 0;
    const units: InputUnit[] = [];
    let start = first;
    while (start < size) {
      const end = start + options.targetBytes >= size ? size : nextLineStart(fd, start + options.targetBytes, size);
      units.push({ path, slice: { start, end }, bytes: end - start });
      start = end;
    }
    return units;
  } finally {
    closeSync(fd);
  }
}

/** The offset just after the first newline at or after `from - 1`, or `size` when there is none. */
function nextLineStart(fd: number, from: number, size: number): number {
  const buffer = Buffer.alloc(SCAN_BYTES);
  let at = Math.max(0, from - 1);
  while (at < size) {
    const read = readSync(fd, buffer, 0, Math.min(SCAN_BYTES, size - at), at);
    if (read <= 0) break;
    const newline = buffer.subarray(0, read).indexOf(0x0a);
    if (newline >= 0) return at + newline + 1;
    at += read;
  }
  return size;
}
