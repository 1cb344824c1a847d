/**
 * The zip reader behind the skops scan on archives that lie: every refusal is one MlfError
 * (never a crash, a hang or an allocation the archive asks for), and a deflated entry is never
 * inflated past the caller's limit.
 */
import { describe, expect, it } from 'vitest';
import { listZipEntries, readZipEntry } from '../../src/scan/zip-entries.js';
import { ranges, zipOf } from '../support/model-bytes.js';

describe('listZipEntries / readZipEntry', () => {
  it('lists stored and deflated entries and reads them back', () => {
    for (const deflate of [false, true]) {
      const file = ranges(zipOf({ 'a.txt': 'alpha', 'dir/b.json': '{"b": 1}' }, { deflate }));
      const entries = listZipEntries(file, 'x.zip');
      expect(entries.map((e) => e.name)).toEqual(['a.txt', 'dir/b.json']);
      expect(readZipEntry(file, entries[1]!, 1024, 'x.zip').toString()).toBe('{"b": 1}');
    }
  });

  it.each([
    ['no end record', Buffer.from('PK\u0003\u0004 and nothing else')],
    ['an empty file', Buffer.alloc(0)],
    ['a central directory past the end', (() => {
      const zip = zipOf({ 'a.txt': 'alpha' });
      zip.writeUInt32LE(0x7fffffff, zip.length - 6);
      return zip;
    })()],
    ['a truncated central directory', (() => {
      const zip = zipOf({ 'a.txt': 'alpha' });
      zip.writeUInt16LE(50, zip.length - 12); // claims 50 entries
      return zip;
    })()],
    ['ZIP64 markers', (() => {
      const zip = zipOf({ 'a.txt': 'alpha' });
      zip.writeUInt16LE(0xffff, zip.length - 12);
      return zip;
    })()],
  ])('refuses %s with a message', (_what, bytes) => {
    expect(() => listZipEntries(ranges(bytes), 'x.zip')).toThrow(/`x\.zip` is not a readable zip archive/);
  });

  it('stops inflating a zip bomb at the limit', () => {
    const bomb = zipOf({ 'schema.json': Buffer.alloc(8 * 1024 * 1024, 0x20) }, { deflate: true, sizes: { 'schema.json': 100 } });
    const file = ranges(bomb);
    const [entry] = listZipEntries(file, 'bomb.skops');
    expect(() => readZipEntry(file, entry!, 1024, 'bomb.skops')).toThrow(/inflates to more than 1024 bytes/);
  });
});
