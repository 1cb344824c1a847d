/**
 * input_example.json and serving_input_example.json (mlflow-format.md §11), and the Python
 * `json` module behaviour they need:
 *
 * - `pythonJsonDumps` writes what Python's `json.dumps` writes: `ensure_ascii` (`\uXXXX`,
 *   lowercase hex, surrogate pairs), floats as `repr` prints them (`1.0`, `1e-05`, `NaN`,
 *   `Infinity`), separators `", "`/`": "` without indent and `","`/`": "` with one.
 * - `pythonJsonLoads` reads JSON into the value model of pyyaml.ts, so that `1.0` stays a float
 *   (`PyFloat`) and big ints stay exact (`bigint`); it accepts `NaN`/`Infinity` as Python does.
 *
 * input_example.json is `json.dumps(example)` (no trailing newline); serving_input_example.json
 * is `json.dumps(serving_input, indent=2)` (`mlflow/models/utils.py::_Example`).
 */
import { inputError } from '../errors.js';
import { INPUT_EXAMPLE_FILE_NAME, SERVING_INPUT_EXAMPLE_FILE_NAME } from './file-names.js';
import type { SavedInputExampleInfo } from './mlmodel.js';
import { compareCodePoints, PyFloat, PyTimestamp, pythonFloatRepr, type PyValue } from './pyyaml.js';

// ---------------------------------------------------------------------------------------------
// json.dumps

export interface PythonJsonDumpsOptions {
  /** `indent=` (spaces); undefined writes one line. */
  indent?: number;
  /** `sort_keys=` (default false). */
  sortKeys?: boolean;
}

/** Python's `json.dumps(value, ensure_ascii=True, allow_nan=True, ...)`. */
export function pythonJsonDumps(value: unknown, options: PythonJsonDumpsOptions = {}): string {
  const indent = options.indent;
  const itemSeparator = indent === undefined ? ', ' : ',';
  const encode = (current: unknown, level: number): string => {
    if (current === null) return 'null';
    if (current === true) return 'true';
    if (current === false) return 'false';
    if (typeof current === 'string') return encodePythonJsonString(current);
    if (typeof current === 'bigint') return current.toString();
    if (typeof current === 'number') return Number.isInteger(current) ? String(current) : pythonJsonFloat(current);
    if (current instanceof PyFloat) return pythonJsonFloat(current.value);
    if (current instanceof PyTimestamp) return encodePythonJsonString(current.text);
    const open = (brackets: string): [string, string, string] => {
      if (indent === undefined) return [brackets[0]!, itemSeparator, brackets[1]!];
      const inner = `\n${' '.repeat(indent * (level + 1))}`;
      const outer = `\n${' '.repeat(indent * level)}`;
      return [brackets[0]! + inner, itemSeparator + inner, outer + brackets[1]!];
    };
    if (Array.isArray(current)) {
      if (current.length === 0) return '[]';
      const [start, separator, end] = open('[]');
      return start + current.map((item) => encode(item, level + 1)).join(separator) + end;
    }
    if (typeof current === 'object') {
      let entries = Object.entries(current as Record<string, unknown>).filter(([, item]) => item !== undefined);
      if (entries.length === 0) return '{}';
      if (options.sortKeys) entries = entries.sort(([a], [b]) => compareCodePoints(a, b));
      const [start, separator, end] = open('{}');
      return start + entries.map(([key, item]) => `${encodePythonJsonString(key)}: ${encode(item, level + 1)}`).join(separator) + end;
    }
    throw new TypeError(`Object of type ${typeof current} is not JSON serializable`);
  };
  return encode(value, 0);
}

/** `float.__repr__`, with Python json's spellings of the non-finite values. */
export function pythonJsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return pythonFloatRepr(value);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** `json.encoder.py_encode_basestring_ascii`: every char outside ' '..'~' escaped, UTF-16 units. */
export function encodePythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (ch >= ' ' && ch <= '~') out += ch;
    else out += `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// json.loads

/** Deeper than this, Python's `json.loads` raises RecursionError (it recurses per level, limit 1,000). */
export const JSON_MAX_DEPTH = 990;
const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?/y;

/**
 * How deep the JSON text nests (`[[1]]` is 2), in one pass that skips strings; for readers that
 * use `JSON.parse` and must still refuse what Python's `json.loads` cannot read.
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) deepest = Math.max(deepest, ++depth);
    else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth--;
  }
  return deepest;
}

/**
 * Python's `json.loads` into pyyaml.ts's value model. Errors become MALFORMED_JSON (exit 2) with
 * the file, line and column, worded as Python words them (`Expecting value`).
 */
export function pythonJsonLoads(text: string, file: string): PyValue {
  let index = 0;
  let depth = 0;
  const fail = (message: string, at = index): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    throw inputError('MALFORMED_JSON', `Malformed JSON in \`${file}\`: ${message}`, {
      file,
      line,
      column,
      hint: 'The file must hold one JSON value (MLflow writes it with `json.dumps`).',
    });
  };
  const skipWhitespace = (): void => {
    while (index < text.length && ' \t\n\r'.includes(text[index]!)) index++;
  };
  const parseString = (): string => {
    index++; // opening quote
    let out = '';
    for (;;) {
      if (index >= text.length) return fail('Unterminated string starting at', index);
      const ch = text[index]!;
      if (ch === '"') {
        index++;
        return out;
      }
      if (ch === '\\') {
        const escape = text[index + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (escape !== undefined && simple[escape] !== undefined) {
          out += simple[escape];
          index += 2;
        } else if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(index + 2, index + 6))) {
          out += String.fromCharCode(parseInt(text.slice(index + 2, index + 6), 16));
          index += 6;
        } else {
          return fail('Invalid \\escape', index);
        }
        continue;
      }
      if (ch < ' ') return fail('Invalid control character at', index);
      out += ch;
      index++;
    }
  };
  const parseValue = (): PyValue => {
    skipWhitespace();
    const ch = text[index];
    if (ch === '{' || ch === '[') {
      // Python's json.loads recurses per level and raises RecursionError near 1,000 levels, so a
      // deeper value is one MLflow cannot read: refuse it, rather than recurse until the stack ends.
      if (depth >= JSON_MAX_DEPTH) {
        return fail(`the value is nested more than ${JSON_MAX_DEPTH} levels deep (Python's json module cannot read it: RecursionError)`);
      }
      depth++;
      try {
        return ch === '{' ? parseObject() : parseArray();
      } finally {
        depth--;
      }
    }
    return parseScalar(ch);
  };
  const parseObject = (): PyValue => {
    index++;
    const result: Record<string, PyValue> = {};
    skipWhitespace();
    if (text[index] === '}') {
      index++;
      return result;
    }
    for (;;) {
      skipWhitespace();
      if (text[index] !== '"') return fail('Expecting property name enclosed in double quotes');
      const key = parseString();
      skipWhitespace();
      if (text[index] !== ':') return fail("Expecting ':' delimiter");
      index++;
      const item = parseValue();
      if (key === '__proto__') Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
      else result[key] = item;
      skipWhitespace();
      if (text[index] === ',') {
        index++;
        continue;
      }
      if (text[index] === '}') {
        index++;
        return result;
      }
      return fail("Expecting ',' delimiter");
    }
  };
  const parseArray = (): PyValue => {
    index++;
    const result: PyValue[] = [];
    skipWhitespace();
    if (text[index] === ']') {
      index++;
      return result;
    }
    for (;;) {
      result.push(parseValue());
      skipWhitespace();
      if (text[index] === ',') {
        index++;
        continue;
      }
      if (text[index] === ']') {
        index++;
        return result;
      }
      return fail("Expecting ',' delimiter");
    }
  };
  const parseScalar = (ch: string | undefined): PyValue => {
    if (ch === '"') return parseString();
    for (const [word, value] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(word, index)) {
        index += word.length;
        return value;
      }
    }
    // Sticky, from `index`: slicing the rest of the text for every number would be quadratic.
    NUMBER.lastIndex = index;
    const number = NUMBER.exec(text);
    if (number) {
      index += number[0].length;
      if (number[2] === undefined && number[3] === undefined) {
        const big = BigInt(number[1]!);
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      const float = Number(number[0]);
      return Number.isInteger(float) ? new PyFloat(float) : float;
    }
    return fail('Expecting value');
  };
  const value = parseValue();
  skipWhitespace();
  if (index < text.length) fail('Extra data');
  return value;
}

// ---------------------------------------------------------------------------------------------
// The example files

export const INPUT_EXAMPLE_TYPES = ['dataframe', 'ndarray', 'json_object', 'sparse_matrix_csc', 'sparse_matrix_csr'] as const;
export type InputExampleType = (typeof INPUT_EXAMPLE_TYPES)[number];

/** Keys of the LLM request forms that serving_input_example.json holds as they are. */
const UNIFIED_LLM_KEYS = ['messages', 'prompt', 'input'];

export interface InputExample {
  type: InputExampleType;
  /** The example data (the `inputs` part when the example carries params). */
  data: PyValue;
  /** The example's params, when `saved_input_example_info.params` is set. */
  params?: Record<string, PyValue>;
}

/**
 * Read input_example.json as MLflow's `_read_example` does: `type` must be one of the five, and
 * with `params` the file is `{"inputs": data, "params": {...}}`.
 */
export function readInputExample(text: string, info: SavedInputExampleInfo, file: string = INPUT_EXAMPLE_FILE_NAME): InputExample {
  const type = info.type;
  if (type === undefined || !(INPUT_EXAMPLE_TYPES as readonly string[]).includes(type)) {
    throw inputError(
      'INVALID_INPUT_EXAMPLE_TYPE',
      `Malformed input example metadata: \`saved_input_example_info.type\` is ${type === undefined ? 'missing' : `\`${type}\``}; it must be one of ${INPUT_EXAMPLE_TYPES.map((t) => `\`${t}\``).join(', ')}`,
      { field: 'saved_input_example_info.type' },
    );
  }
  const value = pythonJsonLoads(text, file);
  if (!info.params) return { type: type as InputExampleType, data: value };
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('inputs' in value)) {
    throw inputError('INVALID_INPUT_EXAMPLE', `\`${file}\` must be {"inputs": ..., "params": {...}} because the example has params`, {
      file,
      field: 'saved_input_example_info.params',
    });
  }
  const record = value as Record<string, PyValue>;
  const params = record.params;
  return {
    type: type as InputExampleType,
    data: record.inputs ?? null,
    ...(params !== null && typeof params === 'object' && !Array.isArray(params) ? { params: params as Record<string, PyValue> } : {}),
  };
}

/** input_example.json's text: `json.dumps(example)`, no trailing newline. */
export function serializeInputExample(value: unknown): string {
  return pythonJsonDumps(value);
}

/** serving_input_example.json's text: `json.dumps(serving_input, indent=2)`, no trailing newline. */
export function serializeServingInputExample(value: unknown): string {
  return pythonJsonDumps(value, { indent: 2 });
}

export interface SavedInputExample {
  /** `saved_input_example_info` for MLmodel. */
  info: SavedInputExampleInfo;
  inputExampleText: string;
  servingInputText?: string;
}

/**
 * The files `_Example` writes for an example already in its JSON form: a dataframe as its split
 * dict (`{columns?, data}`), an ndarray as nested lists (or a dict of them), a sparse matrix as
 * `{data, indices, indptr, shape}` plus its dense form for serving, or any JSON value.
 */
export function buildInputExample(example: {
  type: InputExampleType;
  data: PyValue;
  params?: Record<string, PyValue>;
  /** Sparse matrices only: the dense rows that serving_input_example.json holds. */
  dense?: PyValue;
}): SavedInputExample {
  const info: SavedInputExampleInfo = { artifact_path: INPUT_EXAMPLE_FILE_NAME };
  if (example.params) info.params = 'true';
  info.type = example.type;
  let serving: Record<string, PyValue>;
  let llmForm = false;
  switch (example.type) {
    case 'dataframe': {
      const hasColumns = example.data !== null && typeof example.data === 'object' && !Array.isArray(example.data) && 'columns' in example.data;
      info.pandas_orient = hasColumns ? 'split' : 'values';
      serving = { dataframe_split: example.data };
      break;
    }
    case 'sparse_matrix_csc':
    case 'sparse_matrix_csr':
      serving = { inputs: example.dense ?? null };
      break;
    case 'json_object': {
      const data = example.data;
      llmForm = data !== null && typeof data === 'object' && !Array.isArray(data) && !(data instanceof PyFloat) && !(data instanceof PyTimestamp)
        && UNIFIED_LLM_KEYS.some((key) => key in data);
      serving = llmForm ? (data as Record<string, PyValue>) : { inputs: data };
      break;
    }
    default:
      serving = { inputs: example.data };
  }
  let stored: PyValue = example.data;
  if (example.params) {
    stored = { inputs: example.data, params: example.params };
    serving = llmForm ? { ...serving, ...example.params } : { ...serving, params: example.params };
  }
  info.serving_input_path = SERVING_INPUT_EXAMPLE_FILE_NAME;
  return {
    info,
    inputExampleText: serializeInputExample(stored),
    servingInputText: serializeServingInputExample(serving),
  };
}
