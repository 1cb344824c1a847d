import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Header, Pack, ReadEntry } from 'tar';

/**
 * A gzipped tar written by node-tar from a list of entries, in the order given. Every entry gets
 * the same owner (0:0, no names) and the same mtime, and gzip's header has no name or time, so
 * equal entries give an equal archive byte for byte. node-tar writes the ustar headers and a pax
 * header where a path or link does not fit them.
 */
export type TarEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; data: Buffer }
  /** A file streamed from disk; `size` is what was seen when the list was made (a change fails the write). */
  | { type: 'file'; path: string; mode: number; source: string; size: number }
  | { type: 'symlink'; path: string; target: string };

/** 2000-01-01T00:00:00Z: a fixed time (not 0, which some tools treat as "unknown"). */
export const ENTRY_MTIME = new Date(946_684_800_000);

/**
 * Writes the archive to a temp file beside `output` and renames it into place, so that `output`
 * is either the old file or the whole new one; the temp file is removed on any failure.
 * Returns the archive's size in bytes.
 */
export async function writeTarGz(entries: readonly TarEntry[], output: string): Promise<number> {
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const sink = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  // `portable` gzip: the OS byte of gzip's header is the same on every platform.
  const pack = new Pack({ gzip: { level: 1, portable: true } });
  try {
    await Promise.all([pipeline(pack, sink), addEntries(pack, entries)]);
    await rename(temp, output);
    return sink.bytesWritten;
  } catch (error) {
    pack.destroy();
    // The temp file is removed only once the stream has closed it (it may still be opening it).
    if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()).destroy());
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Adds the entries one at a time, each file's bytes streamed in as the archive takes them. */
async function addEntries(pack: Pack, entries: readonly TarEntry[]): Promise<void> {
  for (const entry of entries) {
    const size = entry.type === 'file' ? ('data' in entry ? entry.data.length : entry.size) : 0;
    const readEntry = new ReadEntry(
      new Header({
        path: entry.type === 'dir' ? `${entry.path}/` : entry.path,
        type: entry.type === 'dir' ? 'Directory' : entry.type === 'symlink' ? 'SymbolicLink' : 'File',
        mode: entry.type === 'symlink' ? 0o777 : entry.mode,
        uid: 0,
        gid: 0,
        size,
        mtime: ENTRY_MTIME,
        ...(entry.type === 'symlink' ? { linkpath: entry.target } : {}),
      }),
    );
    pack.add(readEntry);
    if (entry.type === 'file' && 'data' in entry) readEntry.end(entry.data);
    else if (entry.type === 'file') await streamFile(readEntry, entry.source, size);
    else readEntry.end();
  }
  pack.end();
}

async function streamFile(readEntry: ReadEntry, source: string, size: number): Promise<void> {
  let seen = 0;
  for await (const chunk of createReadStream(source)) {
    seen += (chunk as Buffer).length;
    if (seen > size) break;
    if (!readEntry.write(chunk as Buffer)) await once(readEntry, 'drain');
  }
  if (seen !== size) throw new Error(`\`${source}\` changed while it was being archived (${size} bytes listed, ${seen} read)`);
  readEntry.end();
}
