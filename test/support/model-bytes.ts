// Bytes of model files for tests, made here rather than by the libraries: zip archives (skops
// files, `.keras` archives, torch's zip format) and minimal pickles.
import { crc32, deflateRawSync } from 'node:zlib';
import type { FileRanges } from '../../src/fs/read-regular-file.js';

/**
 * Zip archives for tests (skops files, `.keras` archives, torch's zip format): each entry stored
 * or deflated, with a central directory and end record as PKWARE's APPNOTE lays them out.
 * `sizes` overrides what the headers claim, for archives that lie.
 */
export function zipOf(entries: Record<string, string | Buffer>, options: { deflate?: boolean; sizes?: Record<string, number> } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const stored = options.deflate ? deflateRawSync(data) : data;
    const size = options.sizes?.[name] ?? data.length;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(options.deflate ? 8 : 0, 8);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(stored.length, 18);
    header.writeUInt32LE(size, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(options.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, stored);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A skops file whose schema holds one object of `module.className` (skops/io's ObjectNode layout). */
export function skopsOf(module: string, className: string): Buffer {
  const schema = {
    __class__: className,
    __module__: module,
    __loader__: 'ObjectNode',
    content: { __class__: 'dict', __module__: 'builtins', __loader__: 'DictNode', content: {} },
    protocol: 2,
    _skops_version: '0.16.0',
  };
  return zipOf({ 'schema.json': JSON.stringify(schema) });
}

/** A pickle (protocol 2) whose only global is `module.name`. */
export function pickleOf(module: string, name: string): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from(`c${module}\n${name}\n)\x81.`, 'latin1')]);
}

/** FileRanges over bytes in memory, counting what was read. */
export function ranges(bytes: Buffer): FileRanges & { bytesRead: number } {
  const file = {
    size: bytes.length,
    bytesRead: 0,
    read(offset: number, length: number) {
      const slice = bytes.subarray(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length)));
      file.bytesRead += slice.length;
      return Buffer.from(slice);
    },
  };
  return file;
}
