/**
 * INPUT and OUTPUT_DIR of `mlf models batch-predict` as URIs (`file://`, `hdfs://`, `s3a://`,
 * `gs://`, `abfss://`...): Spark's (Hadoop's) filesystem reads and writes them, so the spark
 * engine hands them over unchanged; mlf itself never lists or opens them. Every refusal is one
 * line, exit 2.
 */
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import type { BatchFormat } from '../worker/protocol.js';
import { formatOfFile } from './input.js';

/**
 * A scheme (two characters at least, so that a Windows drive letter `C:\` is a path) followed by
 * `:/`: `file:///data`, `file:/data` (Hadoop's own spelling), `s3a://bucket/key`.
 */
const URI = /^[A-Za-z][A-Za-z0-9+.-]+:\//;

export function isStorageUri(text: string): boolean {
  return URI.test(text);
}

/** The format of a URI input: `--format` when given, else the URI's extension (a file or a glob such as `.../*.parquet`). */
export function formatOfUri(uri: string, format: BatchFormat | undefined): BatchFormat {
  if (format) return format;
  const pathPart = uri.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const found = formatOfFile(pathPart);
  if (found) return found;
  throw usageError('UNKNOWN_INPUT_FORMAT', `cannot tell the format of the input \`${uri}\` from its name (mlf does not list a URI's files)`, {
    hint: 'give --format parquet, csv or json',
  });
}

/**
 * What `--engine local` reads and writes: local paths, and `file:` URIs (`file:///data`,
 * Hadoop's `file:/data`) as the paths they name, since its filesystem is this machine's. Any
 * other scheme is refused.
 */
export function localPathForLocalEngine(text: string, what: 'input' | 'output'): string {
  if (!isStorageUri(text)) return text;
  if (/^file:/i.test(text)) {
    try {
      return fileURLToPath(new URL(text));
    } catch {
      throw usageError('INVALID_FILE_URI', `the ${what} \`${text}\` is not a file: URI of this machine (a host other than localhost, or a malformed URI)`, {
        hint: 'give a local path, or file:///absolute/path',
      });
    }
  }
  throw usageError('URI_NEEDS_SPARK', `the ${what} \`${text}\` is a URI, which only --engine spark reads and writes (--engine local takes local paths and file: URIs)`, {
    hint: 'use --engine spark, or give a local path',
  });
}
