import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineUnits } from '../../src/batch/line-slices.js';
import { tempDir } from '../support/temp.js';

function file(text: string): string {
  const at = path.join(tempDir('mlf-line-slices-'), 'in.csv');
  writeFileSync(at, text);
  return at;
}

const pieces = (at: string, units: ReturnType<typeof lineUnits>) => {
  const bytes = readFileSync(at);
  return units.map((u) => ('start' in u.slice ? bytes.subarray(u.slice.start, u.slice.end).toString() : ''));
};

describe('lineUnits', () => {
  it('ranges start and end at line starts, a CSV header left out, every line exactly once', () => {
    const text = 'a,b\n1,2\n33,44\n5,6\n777,888\n';
    const at = file(text);
    for (let target = 1; target <= text.length; target++) {
      const units = lineUnits(at, text.length, { header: true, targetBytes: target });
      const got = pieces(at, units);
      expect(got.join('')).toBe('1,2\n33,44\n5,6\n777,888\n');
      expect(got.every((piece) => piece.endsWith('\n'))).toBe(true);
    }
    expect(pieces(at, lineUnits(at, text.length, { header: true, targetBytes: 6 }))).toEqual(['1,2\n33,44\n', '5,6\n777,888\n']);
  });

  it('JSON lines have no header; a last line without a newline ends the last range', () => {
    const text = '{"a":1}\n{"a":2}\n{"a":3}';
    const at = file(text);
    expect(pieces(at, lineUnits(at, text.length, { header: false, targetBytes: 9 }))).toEqual(['{"a":1}\n{"a":2}\n', '{"a":3}']);
  });

  it('a CSV of a header only, or an empty file, has no ranges', () => {
    expect(lineUnits(file('a,b\n'), 4, { header: true, targetBytes: 10 })).toEqual([]);
    expect(lineUnits(file(''), 0, { header: false, targetBytes: 10 })).toEqual([]);
  });

  it('lines longer than the scan window are found', () => {
    const long = `${'x'.repeat(200_000)}\n`;
    const text = `h\n${long}${long}`;
    const at = file(text);
    const units = lineUnits(at, text.length, { header: true, targetBytes: 10 });
    expect(units.map((u) => u.bytes)).toEqual([long.length, long.length]);
  });
});
