import { isMlfError } from '../../errors.js';
import { PyFloat, PyTimestamp } from '../pyyaml.js';
import { parseYaml, type YamlPath } from '../yaml-file.js';

/**
 * A YAML file as the rules see it: the value PyYAML's `safe_load` would give (model/yaml-file.ts),
 * or why mlf will not read it (a syntax error, something PyYAML refuses, a limit), and a way back
 * from a path in the value to the line it was written on, so that every diagnostic names a line.
 * Never throws: a broken file is a diagnostic.
 */
export interface YamlSource {
  file: string;
  /** The file's text (invalid UTF-8 shown as U+FFFD). */
  text: string;
  /** Undefined when the file does not load (see `error`); null for an empty file. */
  value: unknown;
  error?: { message: string; line?: number; column?: number };
  /** 1-based line of the key at `path` (or of the item, for a sequence index). */
  lineOf(path: YamlPath): number | undefined;
}

/** `source`: the file's bytes (decoded strictly), or its text when it was decoded elsewhere. */
export function parseYamlSource(source: string | Uint8Array, file: string): YamlSource {
  const text = typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('utf8');
  try {
    const loaded = parseYaml(source, file);
    return { file, text, value: loaded.value, lineOf: (path) => loaded.lineOf(path)?.line };
  } catch (error) {
    if (!isMlfError(error)) throw error;
    // The reader's message names the file, which the diagnostic names already: keep the reason.
    const reason = error.data?.reason;
    return {
      file,
      text,
      value: undefined,
      error: { message: typeof reason === 'string' ? reason : error.message, line: error.location.line, column: error.location.column },
      lineOf: () => undefined,
    };
  }
}

/** `value` if it is a plain mapping, else undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The Python type name of a YAML value, for messages (`float` for `3.10`). */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (Array.isArray(value)) return 'list';
  if (asRecord(value)) return 'dict';
  if (value instanceof PyFloat) return 'float';
  if (value instanceof PyTimestamp) return 'datetime';
  return typeof value;
}

/** A YAML scalar as the text Python's `str()` would show. */
export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof PyFloat) return `${value.value}.0`;
  if (value instanceof PyTimestamp) return value.text;
  return String(value);
}
