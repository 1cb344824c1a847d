import { inputError } from '../errors.js';
import { PyFloat, type PyValue } from '../model/pyyaml.js';
import { pythonJsonLoads } from '../model/input-example.js';
import type { ColSpec, DataTypeName, Schema } from '../model/signature.js';
import { looksLikeNpy, readJsonNdarray, readNpy, type NdarrayExample } from './ndarray-example.js';

/**
 * `--input-example FILE.json|FILE.csv` as the DataFrame pandas would build from it, and the
 * input schema MLflow infers from that DataFrame (column names; int64 → `long`, float64 →
 * `double`, bool → `boolean`, str → `string`; a column with missing values is not required).
 *
 * JSON forms accepted: pandas' split orient `{"columns": [...], "data": [[...]]}` (what
 * `df.to_json(orient="split")` writes; an `index` is dropped as MLflow drops it), the serving
 * forms `{"dataframe_split": {...}}` and `{"dataframe_records": [...]}`, and a list of records.
 */
export interface ExampleFrame {
  columns: string[];
  /** Cell values as the example files hold them: doubles as floats (`PyFloat` when integral), a missing value as NaN. */
  rows: PyValue[][];
  types: DataTypeName[];
  /** Per column: whether it has a missing value. */
  missing: boolean[];
}

type Cell = PyValue | undefined;

function isFloatValue(value: Cell): boolean {
  return value instanceof PyFloat || (typeof value === 'number' && !Number.isInteger(value));
}
function isIntValue(value: Cell): boolean {
  return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
}

function columnType(values: Cell[], column: string, file: string): { type: DataTypeName; missing: boolean } {
  const present = values.filter((v) => v !== null && v !== undefined);
  const missing = present.length !== values.length || values.some((v) => typeof v === 'number' && Number.isNaN(v));
  if (present.length === 0) {
    throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `column \`${column}\` of \`${file}\` has no values, so its type cannot be inferred`, {
      file,
      hint: 'give at least one row with a value, or pass `--signature`',
    });
  }
  if (present.every((v) => typeof v === 'boolean') && !missing) return { type: 'boolean', missing };
  if (present.every((v) => isIntValue(v) || isFloatValue(v))) {
    const anyFloat = missing || present.some(isFloatValue);
    return { type: anyFloat ? 'double' : 'long', missing };
  }
  if (present.every((v) => typeof v === 'string')) return { type: 'string', missing };
  throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `column \`${column}\` of \`${file}\` mixes value types`, {
    file,
    hint: 'each column must hold numbers, strings or booleans only',
  });
}

/** A missing value is written as `NaN`, as MLflow 3.17.2 writes it (checked against `_save_example`). */
function toCell(value: Cell, type: DataTypeName): PyValue {
  if (value === undefined || value === null) return NaN;
  if (typeof value === 'number' && Number.isNaN(value)) return NaN;
  if (type === 'double') {
    const number = Number(value);
    return Number.isInteger(number) ? new PyFloat(number) : number;
  }
  return value;
}

function frameFromRows(columns: string[], rows: Cell[][], file: string): ExampleFrame {
  const types: DataTypeName[] = [];
  const missing: boolean[] = [];
  columns.forEach((column, index) => {
    const result = columnType(
      rows.map((row) => row[index]),
      column,
      file,
    );
    types.push(result.type);
    missing.push(result.missing);
  });
  return { columns, rows: rows.map((row) => columns.map((_, i) => toCell(row[i], types[i]!))), types, missing };
}

function unsupported(file: string, what: string): never {
  throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${file}\` is not a table mlf can read: ${what}`, {
    file,
    hint: 'write it with `df.to_json(path, orient="split", index=False)` or as CSV with a header row',
  });
}

function isRecord(value: PyValue): value is Record<string, PyValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat);
}

function fromSplit(value: Record<string, PyValue>, file: string): ExampleFrame {
  const columns = value.columns;
  const data = value.data;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) unsupported(file, '`columns` must be a list of column names');
  if (!Array.isArray(data) || !data.every(Array.isArray)) unsupported(file, '`data` must be a list of rows');
  const rows = data as PyValue[][];
  rows.forEach((row, i) => {
    if (row.length !== columns.length) unsupported(file, `row ${i} has ${row.length} values for ${columns.length} columns`);
  });
  return frameFromRows(columns as string[], rows, file);
}

function fromRecords(records: PyValue[], file: string): ExampleFrame {
  const columns: string[] = [];
  for (const record of records) {
    if (!isRecord(record)) unsupported(file, 'a list must hold one object per row');
    for (const key of Object.keys(record)) if (!columns.includes(key)) columns.push(key);
  }
  const rows = records.map((record) => columns.map((column) => (record as Record<string, PyValue>)[column]));
  return frameFromRows(columns, rows, file);
}

export function readJsonExample(text: string, file: string): ExampleFrame {
  const value = pythonJsonLoads(text, file);
  if (Array.isArray(value)) return fromRecords(value, file);
  if (!isRecord(value)) unsupported(file, 'expected an object or a list of records');
  if (isRecord(value.dataframe_split ?? null)) return fromSplit(value.dataframe_split as Record<string, PyValue>, file);
  if (Array.isArray(value.dataframe_records)) return fromRecords(value.dataframe_records, file);
  if ('columns' in value && 'data' in value) return fromSplit(value, file);
  return unsupported(file, 'expected `{"columns": [...], "data": [[...]]}`, `dataframe_split`, `dataframe_records` or a list of records');
}

// ---------------------------------------------------------------------------------------------
// CSV, as pandas.read_csv types it

/** RFC 4180 fields: quotes, doubled quotes, CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (ch === ',') {
      row.push(field);
      field = '';
      fieldStarted = false;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i++;
  }
  if (fieldStarted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;
const NA_VALUES = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'NULL', 'null', 'None', '<NA>', 'n/a', '#N/A', '-NaN', '-nan']);
const TRUE_VALUES = new Set(['True', 'TRUE', 'true']);
const FALSE_VALUES = new Set(['False', 'FALSE', 'false']);

function csvColumn(cells: string[]): Cell[] {
  const present = cells.filter((c) => !NA_VALUES.has(c));
  if (present.length > 0 && present.every((c) => TRUE_VALUES.has(c) || FALSE_VALUES.has(c)) && present.length === cells.length) {
    return cells.map((c) => TRUE_VALUES.has(c));
  }
  if (present.length > 0 && present.every((c) => INT.test(c))) {
    if (present.length === cells.length) return cells.map((c) => (Number.isSafeInteger(Number(c)) ? Number(c) : BigInt(c)));
    return cells.map((c) => (NA_VALUES.has(c) ? null : new PyFloat(Number(c))));
  }
  if (present.length > 0 && present.every((c) => INT.test(c) || FLOAT.test(c))) {
    return cells.map((c) => {
      if (NA_VALUES.has(c)) return null;
      const n = Number(/^[+-]?inf(inity)?$/i.test(c) ? (c.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(c) ? NaN : c);
      return Number.isInteger(n) ? new PyFloat(n) : n;
    });
  }
  return cells.map((c) => (NA_VALUES.has(c) ? null : c));
}

export function readCsvExample(text: string, file: string): ExampleFrame {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0];
  if (!header || header.length === 0) unsupported(file, 'it has no header row');
  const body = rows.slice(1);
  body.forEach((row, i) => {
    if (row.length !== header.length) unsupported(file, `line ${i + 2} has ${row.length} fields for ${header.length} columns`);
  });
  const columns = header.map((_, index) => csvColumn(body.map((row) => row[index]!)));
  const cellRows = body.map((_, r) => columns.map((column) => column[r]));
  return frameFromRows(header, cellRows, file);
}

export function readExampleFile(text: string, file: string): ExampleFrame {
  return file.toLowerCase().endsWith('.csv') ? readCsvExample(text, file) : readJsonExample(text, file);
}

/** The split dict `_Example` stores for a DataFrame with named columns. */
export function exampleSplitValue(frame: ExampleFrame): PyValue {
  return { columns: [...frame.columns], data: frame.rows.map((row) => [...row]) };
}

/** `_infer_schema` of the DataFrame: one ColSpec per column. */
export function inferInputSchema(frame: ExampleFrame): Schema {
  const inputs: ColSpec[] = frame.columns.map((name, i) => ({
    kind: 'column',
    type: frame.types[i]!,
    name,
    required: !frame.missing[i],
  }));
  return { kind: 'columns', inputs };
}

/** `--input-example` as read: a table (every flavor) or a numpy array (pytorch's pt2; ndarray-example.ts). */
export type PackageExample = { kind: 'frame'; frame: ExampleFrame } | { kind: 'ndarray'; array: NdarrayExample };

/**
 * Reads `--input-example` by its content: an `.npy` file (its magic number) or a JSON
 * `{"inputs": ...}` is an array, anything else a table as before (CSV by its extension, as
 * pandas is told which reader to use).
 */
export function readPackageExample(bytes: Buffer, file: string): PackageExample {
  if (looksLikeNpy(bytes)) return { kind: 'ndarray', array: readNpy(bytes, file) };
  const text = bytes.toString('utf8');
  if (!file.toLowerCase().endsWith('.csv')) {
    const array = readJsonNdarray(text, file);
    if (array) return { kind: 'ndarray', array };
  }
  return { kind: 'frame', frame: readExampleFile(text, file) };
}
