import { inflateRawSync } from 'node:zlib';
import { inputError } from '../errors.js';
import type { FileRanges } from '../fs/read-regular-file.js';

/**
 * Just enough of the zip format (PKWARE APPNOTE 4.3: end of central directory, central
 * directory, local headers; stored and deflated entries) to list a model archive and read one
 * small entry of it: the schema of a skops file, a `.keras` archive's config. Node has zlib but
 * no zip reader, and one entry of a well-formed archive does not justify a dependency.
 *
 * Hostile input is bounded: the central directory is read only within the file and up to
 * `MAX_CENTRAL_DIRECTORY_BYTES`, at most `MAX_ENTRIES` entries are listed, and an entry is
 * inflated only up to the caller's limit (zlib stops there), so a zip bomb costs at most that.
 * ZIP64, encryption and other compression methods are refused with a message, never guessed at.
 */

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 100_000;

/** Does the file start as a zip archive does (a local header, or the end record of an empty one)? */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** The entries of the archive's central directory, in order. */
export function listZipEntries(file: FileRanges, shown: string): ZipEntry[] {
  const tailLength = Math.min(file.size, END_RECORD_BYTES + MAX_COMMENT_BYTES);
  const tail = file.read(file.size - tailLength, tailLength);
  let end = -1;
  for (let at = tail.length - END_RECORD_BYTES; at >= 0; at -= 1) {
    if (tail.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw invalid(shown, 'it has no end of central directory record');
  const count = tail.readUInt16LE(end + 10);
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) throw invalid(shown, 'ZIP64 archives are not read');
  if (count > MAX_ENTRIES) throw invalid(shown, `it lists more than ${MAX_ENTRIES} entries`);
  if (directorySize > MAX_CENTRAL_DIRECTORY_BYTES || directoryOffset + directorySize > file.size) {
    throw invalid(shown, 'its central directory lies outside the file');
  }
  const directory = file.read(directoryOffset, directorySize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let index = 0; index < count; index += 1) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_DIRECTORY_ENTRY) throw invalid(shown, 'its central directory is truncated');
    const flags = directory.readUInt16LE(at + 8);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    if (at + 46 + nameLength > directory.length) throw invalid(shown, 'its central directory is truncated');
    const entry: ZipEntry = {
      // Bit 11: the name is UTF-8; otherwise CP437, whose ASCII part is all a model archive uses.
      name: directory.subarray(at + 46, at + 46 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1'),
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    };
    if (flags & 0x1) throw invalid(shown, `the entry \`${entry.name}\` is encrypted`);
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localHeaderOffset === 0xffffffff) {
      throw invalid(shown, 'ZIP64 archives are not read');
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The bytes of one entry, refused when it would inflate to more than `limit` bytes. */
export function readZipEntry(file: FileRanges, entry: ZipEntry, limit: number, shown: string): Buffer {
  if (entry.size > limit) throw invalid(shown, `\`${entry.name}\` is larger than ${limit} bytes`, 'ZIP_ENTRY_TOO_LARGE');
  const header = file.read(entry.localHeaderOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_HEADER) throw invalid(shown, `the local header of \`${entry.name}\` is missing`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > file.size) throw invalid(shown, `\`${entry.name}\` runs past the end of the file`);
  const data = file.read(start, entry.compressedSize);
  let bytes: Buffer;
  if (entry.method === 0) {
    bytes = data;
  } else if (entry.method === 8) {
    try {
      bytes = inflateRawSync(data, { maxOutputLength: Math.max(1, limit) });
    } catch (error) {
      const tooLarge = error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw invalid(shown, tooLarge ? `\`${entry.name}\` inflates to more than ${limit} bytes` : `\`${entry.name}\` does not inflate: ${(error as Error).message}`, tooLarge ? 'ZIP_ENTRY_TOO_LARGE' : 'ZIP_INVALID');
    }
  } else {
    throw invalid(shown, `\`${entry.name}\` uses compression method ${entry.method} (only stored and deflated entries are read)`);
  }
  if (bytes.length !== entry.size) throw invalid(shown, `\`${entry.name}\` is ${bytes.length} bytes, not the ${entry.size} its header says`);
  return bytes;
}

function invalid(shown: string, why: string, code = 'ZIP_INVALID') {
  return inputError(code, `\`${shown}\` is not a readable zip archive: ${why}`, { file: shown });
}
