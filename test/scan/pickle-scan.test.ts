import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPickle } from '../../src/scan/pickle-scan.js';
import { catchMlfError } from '../support/errors.js';

// Made by real Python: fixtures/pickles/make_pickles.py. Each `.expected.json` lists the globals
// Python's own Unpickler asked for (a recording find_class) while loading the file.
const FIXTURES = join(import.meta.dirname, '../../fixtures/pickles');
const pickleFiles = readdirSync(FIXTURES).filter((f) => f.endsWith('.pkl'));

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}


describe('scanPickle on pickles written by Python', () => {
  it('covers protocols 0 to 5', () => {
    expect(pickleFiles).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 5].map((p) => `stdlib-p${p}.pkl`)));
  });

  it.each(pickleFiles)('%s: the globals and protocol Python reports', (file) => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, `${file}.expected.json`), 'utf8'));
    const scan = scanPickle(readFileSync(join(FIXTURES, file)), file);
    expect(scan.modules).toEqual(expected.modules);
    expect(scan.protocol).toBe(expected.protocol);
  });

  it.each([0, 1, 2, 3, 4, 5])('protocol %i: reports the module that is not installed', (protocol) => {
    const scan = scanPickle(readFileSync(join(FIXTURES, `stdlib-p${protocol}.pkl`)));
    expect(scan.modules).toContainEqual({ module: 'mlf_fixture_not_installed.widgets', name: 'Widget' });
  });

  it('a scikit-learn model written by cloudpickle references sklearn and numpy', () => {
    const scan = scanPickle(readFileSync(join(FIXTURES, 'sklearn-logreg-cloudpickle.pkl')));
    const modules = new Set(scan.modules.map((m) => m.module.split('.')[0]));
    expect(modules).toEqual(new Set(['sklearn', 'numpy']));
    expect(scan.modules).toContainEqual({ module: 'sklearn.linear_model._logistic', name: 'LogisticRegression' });
  });

  it('a function pickled by value: the modules cloudpickle imports by name', () => {
    const scan = scanPickle(readFileSync(join(FIXTURES, 'cloudpickle-function.pkl')));
    expect(scan.importedByName).toEqual(['numpy']);
  });
});

describe('scanPickle on hand-made opcode sequences', () => {
  it.each([
    {
      name: 'STACK_GLOBAL with strings read back from the memo',
      bytes: bytesOf([0x80, 4], [0x8c, 3], 'pkg', [0x94], [0x8c, 1], 'A', [0x94], [0x93], [0x94],
        [0x68, 0], [0x8c, 1], 'B', [0x93], ')', [0x86], '.'),
      modules: [{ module: 'pkg', name: 'A' }, { module: 'pkg', name: 'B' }],
      protocol: 4,
    },
    {
      name: 'a FRAME around the opcodes',
      bytes: bytesOf([0x80, 5], [0x95, 10, 0, 0, 0, 0, 0, 0, 0], [0x8c, 1], 'm', [0x8c, 1], 'n', [0x93], '.'),
      modules: [{ module: 'm', name: 'n' }],
      protocol: 5,
    },
    {
      name: 'protocol 0 INST with text memo PUT/GET',
      bytes: bytesOf('(imypkg.sub\nThing\np0\n(dp1\nb0g0\n.'),
      modules: [{ module: 'mypkg.sub', name: 'Thing' }],
      protocol: 0,
    },
    {
      name: 'two pickles in one file',
      bytes: bytesOf([0x80, 2], 'cfoo\nbar\n.', [0x80, 2], 'cbaz\nqux\n.'),
      modules: [{ module: 'foo', name: 'bar' }, { module: 'baz', name: 'qux' }],
      protocol: 2,
    },
    {
      name: 'a protocol 0 STRING operand (quoted) is unquoted',
      bytes: bytesOf([0x80, 4], "S'a\\'b'\n", [0x8c, 1], 'n', [0x93], '.'),
      modules: [{ module: "a'b", name: 'n' }],
      protocol: 4,
    },
  ])('$name', ({ bytes, modules, protocol }) => {
    const scan = scanPickle(bytes);
    expect(scan.modules).toEqual(modules);
    expect(scan.protocol).toBe(protocol);
  });

  it('cloudpickle subimport through REDUCE is reported by name', () => {
    const bytes = bytesOf([0x80, 5], [0x8c, 23], 'cloudpickle.cloudpickle', [0x8c, 9], 'subimport', [0x93],
      [0x8c, 6], 'pandas', [0x85], 'R.');
    expect(scanPickle(bytes).importedByName).toEqual(['pandas']);
  });
});

describe('scanPickle refuses what is not a pickle', () => {
  it.each([
    {
      name: 'a CSV file',
      bytes: readFileSync(join(FIXTURES, 'not-a-pickle.txt')),
      message: '`data.csv` is not a pickle: unknown opcode `f` (0x66) at byte 0',
    },
    { name: 'an empty file', bytes: new Uint8Array(), message: '`data.csv` is not a pickle: the file is empty at byte 0' },
    {
      name: 'a truncated pickle',
      bytes: readFileSync(join(FIXTURES, 'stdlib-p5.pkl')).subarray(0, 40),
      message: '`data.csv` is not a pickle: it ends in the middle of an opcode at byte 38',
    },
    {
      name: 'a pickle without STOP',
      bytes: bytesOf([0x80, 4], 'N'),
      message: '`data.csv` is not a pickle: it ends without a STOP opcode at byte 3',
    },
    {
      name: 'a GET of a memo entry never written',
      bytes: bytesOf([0x80, 4], [0x68, 7], '.'),
      message: '`data.csv` is not a pickle: memo entry 7 is read before it is written at byte 2',
    },
    {
      name: 'STACK_GLOBAL on non-strings',
      bytes: bytesOf([0x80, 4], 'NN', [0x93], '.'),
      message: '`data.csv` is not a pickle: STACK_GLOBAL needs two strings on the stack at byte 4',
    },
  ])('$name', ({ bytes, message }) => {
    const error = catchMlfError(() => scanPickle(bytes, 'data.csv'));
    expect(error.message).toBe(message);
    expect(error.code).toBe('NOT_A_PICKLE');
    expect(error.exitCode).toBe(2);
    expect(error.location.file).toBe('data.csv');
  });
});
