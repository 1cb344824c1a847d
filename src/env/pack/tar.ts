import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * A gzipped POSIX tar (ustar headers; a pax `x` header before an entry whose path or link does not
 * fit them), written from a list of entries in the order given. Every entry gets the same owner
 * (0:0, no names) and the same mtime, and gzip's header has no name or time, so equal entries give
 * an equal archive byte for byte.
 */
export type TarEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; data: Buffer }
  /** A file streamed from disk; `size` is what was seen when the list was made (a change fails the write). */
  | { type: 'file'; path: string; mode: number; source: string; size: number }
  | { type: 'symlink'; path: string; target: string };

/** 2000-01-01T00:00:00Z: a fixed time (not 0, which some tools treat as "unknown"). */
export const ENTRY_MTIME = 946_684_800;

const BLOCK = 512;
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/**
 * Writes the archive to a temp file beside `output` and renames it into place, so that `output`
 * is either the old file or the whole new one; the temp file is removed on any failure.
 * Returns the archive's size in bytes.
 */
export async function writeTarGz(entries: readonly TarEntry[], output: string): Promise<number> {
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const sink = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  try {
    await pipeline(Readable.from(tarStream(entries)), createGzip({ level: 1 }), sink);
    await rename(temp, output);
    return sink.bytesWritten;
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** The tar bytes, entry by entry (file contents streamed from disk), then the two zero blocks. */
export async function* tarStream(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const size = entry.type === 'file' ? ('data' in entry ? entry.data.length : entry.size) : 0;
    yield* headers(entry, size);
    if (entry.type !== 'file') continue;
    if ('data' in entry) {
      yield entry.data;
    } else {
      let seen = 0;
      for await (const chunk of createReadStream(entry.source)) {
        seen += (chunk as Buffer).length;
        if (seen > size) break;
        yield chunk as Buffer;
      }
      if (seen !== size) throw new Error(`\`${entry.source}\` changed while it was being archived (${size} bytes listed, ${seen} read)`);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

function headers(entry: TarEntry, size: number): Buffer[] {
  if (size > MAX_OCTAL_SIZE) throw new Error(`\`${entry.path}\` is larger than a tar header can say (8 GiB)`);
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  const split = splitUstarName(name);
  const link = entry.type === 'symlink' ? entry.target : '';
  const pax: string[] = [];
  if (!split) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(''));
    out.push(header({ name: 'PaxHeader', prefix: '', mode: 0o644, size: body.length, type: 'x', link: '' }), body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad > 0) out.push(Buffer.alloc(pad));
  }
  const fitted = split ?? { prefix: '', name: truncateBytes(name, 100) };
  const mode = entry.type === 'symlink' ? 0o777 : entry.mode;
  const type = entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0';
  out.push(header({ ...fitted, mode, size, type, link: truncateBytes(link, 100) }));
  return out;
}

function header(h: { name: string; prefix: string; mode: number; size: number; type: string; link: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, ENTRY_MTIME);
  block.fill(0x20, 148, 156);
  block.write(h.type, 156, 1, 'latin1');
  block.write(h.link, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'latin1');
}

/** ustar's name/prefix split (prefix ≤ 155 bytes, name ≤ 100, cut at a `/`), or undefined when none fits. */
export function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let cut = name.indexOf('/'); cut > 0; cut = name.indexOf('/', cut + 1)) {
    const prefix = name.slice(0, cut);
    const rest = name.slice(cut + 1);
    if (Buffer.byteLength(prefix) > 155) return undefined;
    if (rest.length > 0 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  return undefined;
}

/** One pax record, `<length> key=value\n`, whose length counts its own digits. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let digits = String(bodyBytes).length;
  while (String(bodyBytes + digits).length !== digits) digits++;
  return `${bodyBytes + digits}${body}`;
}

function truncateBytes(text: string, bytes: number): string {
  const buffer = Buffer.from(text);
  return buffer.length <= bytes ? text : buffer.subarray(0, bytes).toString('utf8');
}
