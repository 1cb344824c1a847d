/**
 * INPUT of `mlf models batch-predict` → its data files and their format. INPUT is a file, a
 * directory (its files, not its subdirectories; names starting with `.` or `_` are skipped, as
 * Spark skips them) or a glob (glob.ts). The format is `--format` when given, else the files'
 * extensions, which must all agree. Every refusal is one line, exit 2.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { inputError, usageError } from '../errors.js';
import type { BatchFormat } from '../worker/protocol.js';
import type { BatchInputFile } from './engine.js';
import { expandGlob, isGlob } from './glob.js';

const EXTENSIONS: Record<string, BatchFormat> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'json',
  '.ndjson': 'json',
};

export interface BatchInput {
  files: BatchInputFile[];
  format: BatchFormat;
}

export function formatOfFile(file: string): BatchFormat | undefined {
  return EXTENSIONS[path.extname(file).toLowerCase()];
}

/** The input's files (sorted) and format; `shown` is INPUT as the user typed it. */
export function discoverInput(input: string, options: { cwd: string; format?: BatchFormat }): BatchInput {
  const absolute = path.resolve(options.cwd, input);
  const paths = isGlob(input) ? expandGlob(absolute) : filesAt(absolute, input);
  if (paths.length === 0) {
    throw inputError('NO_INPUT_FILES', isGlob(input) ? `the input \`${input}\` matches no files` : `the input directory \`${input}\` holds no data files`);
  }
  const files = paths.map((file) => inputFile(file, shownPath(input, absolute, file)));
  return { files, format: options.format ?? inferFormat(files, input, absolute) };
}

function filesAt(absolute: string, input: string): string[] {
  let stats: Stats;
  try {
    stats = statSync(absolute);
  } catch {
    throw inputError('INPUT_NOT_FOUND', `the input \`${input}\` does not exist`);
  }
  if (stats.isFile()) return [absolute];
  if (!stats.isDirectory()) throw inputError('INPUT_NOT_A_FILE', `the input \`${input}\` is neither a file nor a directory`);
  const files: string[] = [];
  for (const name of readdirSync(absolute).sort()) {
    if (name.startsWith('.') || name.startsWith('_')) continue;
    const file = path.join(absolute, name);
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
      throw inputError('INPUT_HAS_DIRECTORY', `the input directory \`${input}\` holds a directory \`${name}\`: batch-predict reads the files of one directory`, {
        hint: `give a glob instead, e.g. \`${path.join(input, '*', '*')}\``,
      });
    }
    files.push(file);
  }
  return files;
}

function inputFile(file: string, shown: string): BatchInputFile {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (!stats) throw inputError('INPUT_NOT_FOUND', `the input file \`${shown}\` does not exist`);
  if (!stats.isFile()) throw inputError('INPUT_NOT_A_FILE', `the input \`${shown}\` is not a regular file`);
  return { path: file, size: stats.size, mtimeMs: stats.mtimeMs };
}

/** How messages name a file of the input: INPUT itself, a directory's file under INPUT, a glob's match as found. */
function shownPath(input: string, absolute: string, file: string): string {
  if (file === absolute) return input;
  return isGlob(input) ? file : path.join(input, path.relative(absolute, file));
}

function inferFormat(files: BatchInputFile[], input: string, absolute: string): BatchFormat {
  let first: { file: string; format: BatchFormat } | undefined;
  for (const { path: file } of files) {
    const shown = shownPath(input, absolute, file);
    const format = formatOfFile(file);
    if (!format) {
      throw usageError('UNKNOWN_INPUT_FORMAT', `cannot tell the format of \`${shown}\` from its name`, { hint: 'give --format parquet, csv or json' });
    }
    if (!first) first = { file: shown, format };
    else if (format !== first.format) {
      throw inputError('MIXED_INPUT_FORMATS', `the input \`${input}\` mixes formats: \`${first.file}\` is ${first.format}, \`${shown}\` is ${format}`, {
        hint: 'give files of one format (a glob such as `*.parquet` picks them)',
      });
    }
  }
  return first!.format;
}
