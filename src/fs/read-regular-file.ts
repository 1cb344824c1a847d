/**
 * How mlf reads a file the user gave it (an MLmodel, a requirements file and its `-r`/`-c`
 * includes, an env YAML, a signature, an input example, a pickled model): only a regular file,
 * only up to a size limit, and as text only when it is valid UTF-8.
 *
 * A plain `readFileSync` of `/dev/zero` runs until V8 gives up ("Invalid string length"), of a
 * FIFO blocks forever, of a directory throws EISDIR, and of a dangling symlink looks exactly like
 * a missing file. Here the path is opened with O_NONBLOCK (a FIFO or a device does not block the
 * open) and O_NOCTTY (a terminal does not become ours), and the opened descriptor is fstat'ed, so
 * what is checked is what is read. Every refusal is an `MlfError` (input, exit 2) naming the file,
 * what it is, and what to do.
 *
 * Synchronous on purpose: `resolveIncludes` (deps/) takes a synchronous reader, the files are
 * small, and one code path is easier to keep right than two.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { inputError, type MlfError } from '../errors.js';

const MIB = 1024 * 1024;

/** MLmodel, conda.yaml, python_env.yaml, requirements files, signatures, input examples, Python sources. */
export const TEXT_FILE_LIMIT = 16 * MIB;
/** A pickled model read whole (the 2 GiB that `readFileSync` allowed before). */
export const BINARY_FILE_LIMIT = 2048 * MIB;

/** Codes of the refusals, for callers that treat one of them differently. */
export const FILE_NOT_FOUND = 'FILE_NOT_FOUND';
export const DANGLING_SYMLINK = 'DANGLING_SYMLINK';
export const SYMLINK_LOOP = 'SYMLINK_LOOP';
export const NOT_A_REGULAR_FILE = 'NOT_A_REGULAR_FILE';
export const FILE_TOO_LARGE = 'FILE_TOO_LARGE';
export const FILE_NOT_UTF8 = 'FILE_NOT_UTF8';
export const FILE_NOT_READABLE = 'FILE_NOT_READABLE';

export interface ReadFileOptions {
  /** How the file is named in messages (default: the path as given). */
  shown?: string;
  /** The most bytes accepted (default TEXT_FILE_LIMIT). */
  limit?: number;
}

// Windows has neither flag; there a FIFO or a device is not what a user passes by accident.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** The bytes of a regular file of at most `limit` bytes. */
export function readRegularFileSync(file: string, options: ReadFileOptions = {}): Buffer {
  const shown = options.shown ?? file;
  const limit = options.limit ?? TEXT_FILE_LIMIT;
  const fd = openChecked(file, shown);
  try {
    const stats = fstatSync(fd);
    refuseIrregular(stats, file, shown);
    if (stats.size > limit) throw tooLarge(shown, limit, stats.size);
    return readUpTo(fd, limit, stats.size, shown);
  } finally {
    closeSync(fd);
  }
}

/** The text of a regular UTF-8 file of at most `limit` bytes. A byte order mark is kept, as `readFileSync(f, 'utf8')` kept it. */
export function readRegularTextSync(file: string, options: ReadFileOptions = {}): string {
  return decodeUtf8(readRegularFileSync(file, options), options.shown ?? file);
}

/** As readRegularTextSync, but undefined when nothing is at the path. A dangling symlink is not nothing: MLflow would fail to open it. */
export function readOptionalRegularTextSync(file: string, options: ReadFileOptions = {}): string | undefined {
  try {
    return readRegularTextSync(file, options);
  } catch (error) {
    if ((error as MlfError).code === FILE_NOT_FOUND) return undefined;
    throw error;
  }
}

/** Reads of one opened regular file at given offsets; never more than asked for. */
export interface FileRanges {
  size: number;
  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Buffer;
}

/**
 * Opens a regular file as readRegularFileSync does (the same refusals) and hands `use` random
 * access to it, for formats read by offsets (a zip's central directory, a protobuf's fields)
 * where reading the whole of a large model file would be waste.
 */
export function withRegularFileRangesSync<T>(file: string, options: { shown?: string }, use: (ranges: FileRanges) => T): T {
  const shown = options.shown ?? file;
  const fd = openChecked(file, shown);
  try {
    const stats = fstatSync(fd);
    refuseIrregular(stats, file, shown);
    return use({
      size: stats.size,
      read(offset, length) {
        const wanted = Math.max(0, Math.min(length, stats.size - offset));
        const buffer = Buffer.alloc(wanted);
        let done = 0;
        while (done < wanted) {
          const got = readSync(fd, buffer, done, wanted - done, offset + done);
          if (got === 0) break;
          done += got;
        }
        return done === wanted ? buffer : buffer.subarray(0, done);
      },
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses what readRegularFileSync refuses, without reading: for a file mlf hands to another
 * process (the worker reads predict's input itself) or copies. A limit applies only when given.
 */
export function checkRegularFileSync(file: string, options: { shown?: string; limit?: number } = {}): void {
  const shown = options.shown ?? file;
  const fd = openChecked(file, shown);
  try {
    const stats = fstatSync(fd);
    refuseIrregular(stats, file, shown);
    if (options.limit !== undefined && stats.size > options.limit) throw tooLarge(shown, options.limit, stats.size);
  } finally {
    closeSync(fd);
  }
}

/** What a non-regular file is, for messages: `a directory`, `a FIFO (named pipe)`, ... */
export function fileKindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function openChecked(file: string, shown: string): number {
  try {
    return openSync(file, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(error as NodeJS.ErrnoException, file, shown);
  }
}

function openFailure(error: NodeJS.ErrnoException, file: string, shown: string): MlfError {
  const link = symlinkTarget(file);
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      if (link !== undefined) {
        return inputError(DANGLING_SYMLINK, `\`${shown}\` is a symlink to \`${link}\`, which does not exist`, {
          file: shown,
          hint: 'point the symlink at the real file, or put the file in its place',
          cause: error,
        });
      }
      return inputError(FILE_NOT_FOUND, `\`${shown}\` does not exist`, { file: shown, cause: error });
    case 'ELOOP':
      return inputError(SYMLINK_LOOP, `\`${shown}\` is a symlink that loops (or a chain of more than 40 symlinks), so it leads to no file`, {
        file: shown,
        hint: 'point the symlink at the real file, or put the file in its place',
        cause: error,
      });
    case 'ENXIO': {
      // open(2) of a UNIX socket (or of a device with no driver behind it).
      const stats = statOrUndefined(file);
      if (stats !== undefined) return irregular(stats, file, shown);
      break;
    }
    case 'EACCES':
    case 'EPERM':
      return inputError(FILE_NOT_READABLE, `\`${shown}\` cannot be read: permission denied`, {
        file: shown,
        hint: 'make it readable by this user (`chmod u+r`)',
        cause: error,
      });
    case 'EISDIR': {
      const stats = statOrUndefined(file);
      if (stats !== undefined) return irregular(stats, file, shown);
      break;
    }
  }
  return inputError(FILE_NOT_READABLE, `\`${shown}\` cannot be read: ${error.message}`, { file: shown, cause: error });
}

function refuseIrregular(stats: Stats, file: string, shown: string): void {
  if (!stats.isFile()) throw irregular(stats, file, shown);
}

function irregular(stats: Stats, file: string, shown: string): MlfError {
  const kind = fileKindOf(stats);
  const link = symlinkTarget(file);
  const what = link === undefined ? `\`${shown}\` is ${kind}` : `\`${shown}\` is a symlink to \`${resolvedTarget(file, link)}\`, ${kind}`;
  return inputError(NOT_A_REGULAR_FILE, `${what}, not a regular file`, {
    file: shown,
    hint: stats.isDirectory()
      ? 'name the file itself, not a directory'
      : 'mlf reads only regular files: name one, or put one in its place',
    data: { kind },
  });
}

function tooLarge(shown: string, limit: number, size?: number): MlfError {
  const limitText = limit >= MIB ? `${limit} bytes (${formatMib(limit)})` : `${limit} bytes`;
  return inputError(
    FILE_TOO_LARGE,
    size === undefined
      ? `\`${shown}\` is too large: more than the limit of ${limitText}`
      : `\`${shown}\` is too large: ${size} bytes, over the limit of ${limitText}`,
    { file: shown, hint: 'check that the path names the file you meant; a file this large is not one mlf reads', data: { limit, ...(size === undefined ? {} : { size }) } },
  );
}

/**
 * Reads until end of file, at most `limit + 1` bytes: the size fstat gives is only a first guess
 * (the file may grow while it is read, and some files report 0).
 */
function readUpTo(fd: number, limit: number, sizeHint: number, shown: string): Buffer {
  const cap = limit + 1;
  let buffer = Buffer.allocUnsafe(Math.min(cap, Math.max(sizeHint + 1, 64 * 1024)));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length >= cap) break;
      const grown = Buffer.allocUnsafe(Math.min(cap, buffer.length * 2));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    let read: number;
    try {
      read = readSync(fd, buffer, length, buffer.length - length, null);
    } catch (error) {
      // A "regular file" that fails to read (EIO from /proc/self/mem, a file on a dying disk).
      throw inputError(FILE_NOT_READABLE, `\`${shown}\` cannot be read: ${(error as Error).message}`, { file: shown, cause: error });
    }
    if (read === 0) break;
    length += read;
  }
  if (length > limit) throw tooLarge(shown, limit);
  return buffer.subarray(0, length);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Buffer, shown: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw inputError(FILE_NOT_UTF8, `\`${shown}\` is not valid UTF-8 (line ${line}, byte ${offset + 1} of the file)`, {
      file: shown,
      line,
      hint: 'save it as UTF-8',
      data: { offset },
    });
  }
}

/**
 * Where the first invalid sequence starts: the lenient decoder replaces it with U+FFFD, so the
 * re-encoded text first differs from the bytes there (a real U+FFFD in the file re-encodes to
 * itself). Only a broken sequence that starts like U+FFFD's own bytes (EF BF) is found up to two
 * bytes late, which leaves the line number right.
 */
function firstInvalidUtf8Offset(bytes: Buffer): number {
  const reencoded = Buffer.from(bytes.toString('utf8'), 'utf8');
  const n = Math.min(bytes.length, reencoded.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== reencoded[i]) return i;
  return n;
}

function symlinkTarget(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** The end of a symlink chain when it resolves, else the link's own text. */
function resolvedTarget(file: string, link: string): string {
  try {
    return realpathSync(file);
  } catch {
    return link;
  }
}

/** A path-based stat, only to name what could not be opened; never to decide what is read. */
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function formatMib(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}
