import { inputError } from '../errors.js';
import { pythonJsonLoads } from '../model/input-example.js';
import { PyFloat, type PyValue } from '../model/pyyaml.js';

/**
 * `--input-example` as a numpy array, for the flavors whose save_model takes one (pytorch's
 * `pt2`): a `.npy` file (`np.save(FILE, x)`: its dtype and shape are in its header, so the
 * signature is what MLflow infers from `x`), or the serving form `{"inputs": [[...]]}` (what
 * serving_input_example.json holds and `mlf models predict -i` takes), whose values take the
 * dtype the model's program expects, as `np.array(values, dtype)` would. Told apart by content
 * (`\x93NUMPY`), never by extension; an `.npy` of objects (a pickle) is refused, never read. C and
 * Fortran order are both read (`np.save(df.values.astype(...))` writes Fortran order).
 */
export interface NdarrayExample {
  /** numpy's dtype name (`float32`, `int64`, `bool`); undefined for JSON values, which take the model's. */
  dtype: string | undefined;
  shape: number[];
  /** The values in C order: numbers (bigint past 2^53), booleans; NaN kept. */
  values: (number | bigint | boolean)[];
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

export function looksLikeNpy(bytes: Uint8Array): boolean {
  return bytes.length >= NPY_MAGIC.length && Buffer.from(bytes.subarray(0, NPY_MAGIC.length)).equals(NPY_MAGIC);
}

/** `descr` codes mlf reads (kind + size), with their numpy names. */
const DESCR: Record<string, string> = {
  b1: 'bool', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32', i8: 'int64', u8: 'uint64', f4: 'float32', f8: 'float64',
};

function npyError(shown: string, why: string, hint = 'write it with `np.save(FILE, np.ascontiguousarray(x))` from a numeric array') {
  return inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\` is not a .npy array mlf can read: ${why}`, { file: shown, hint });
}

/** numpy/lib/format.py, versions 1.0–3.0: magic, version, header length, a Python dict literal, the raw values. */
export function readNpy(bytes: Buffer, shown: string): NdarrayExample {
  const major = bytes[6];
  if (bytes.length < 10 || (major !== 1 && major !== 2 && major !== 3)) throw npyError(shown, `format version ${major ?? '?'} is not 1, 2 or 3`);
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw npyError(shown, 'its header runs past the end of the file');
  const header = bytes.subarray(start, start + headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([<>|=])([a-zA-Z]\d*)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr) {
    throw npyError(shown, 'its dtype is not a plain number or boolean type (a structured array?)');
  }
  if (descr[2]!.startsWith('O')) throw npyError(shown, 'it holds Python objects (a pickle, which mlf never loads)');
  const name = DESCR[descr[2]!];
  if (!name) throw npyError(shown, `its dtype \`${descr[1]}${descr[2]}\` is not one mlf reads (booleans, integers, float32, float64)`);
  if (!fortran || !shapeText) throw npyError(shown, 'its header has no `fortran_order` or `shape`');
  const shape = shapeText[1]!.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number);
  if (shape.some((size) => !Number.isSafeInteger(size) || size < 0)) throw npyError(shown, 'its shape is not a tuple of sizes');
  const count = shape.reduce((product, size) => product * size, 1);
  const itemSize = Number(descr[2]!.slice(1));
  const dataStart = start + headerLength;
  if (bytes.length - dataStart !== count * itemSize) throw npyError(shown, `it holds ${bytes.length - dataStart} bytes of values, not the ${count * itemSize} its shape needs`);
  const big = descr[1] === '>';
  const stored: (number | bigint | boolean)[] = [];
  for (let index = 0; index < count; index += 1) stored.push(readValue(bytes, dataStart + index * itemSize, name, big));
  // A DataFrame's `.values` is column-major, so `np.save` of one writes Fortran order: the values are put back in C order.
  const values = fortran[1] === 'True' ? fortranToC(stored, shape) : stored;
  return { dtype: name, shape, values };
}

/** Values stored first index fastest, in the order of the last index fastest. */
function fortranToC<T>(stored: readonly T[], shape: readonly number[]): T[] {
  const out: T[] = [];
  const index = shape.map(() => 0);
  for (let n = 0; n < stored.length; n += 1) {
    let at = 0;
    let stride = 1;
    for (let axis = 0; axis < shape.length; axis += 1) {
      at += index[axis]! * stride;
      stride *= shape[axis]!;
    }
    out.push(stored[at]!);
    for (let axis = shape.length - 1; axis >= 0; axis -= 1) {
      index[axis]! += 1;
      if (index[axis]! < shape[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

function readValue(bytes: Buffer, at: number, dtype: string, big: boolean): number | bigint | boolean {
  switch (dtype) {
    case 'bool': return bytes[at] !== 0;
    case 'int8': return bytes.readInt8(at);
    case 'uint8': return bytes[at]!;
    case 'int16': return big ? bytes.readInt16BE(at) : bytes.readInt16LE(at);
    case 'uint16': return big ? bytes.readUInt16BE(at) : bytes.readUInt16LE(at);
    case 'int32': return big ? bytes.readInt32BE(at) : bytes.readInt32LE(at);
    case 'uint32': return big ? bytes.readUInt32BE(at) : bytes.readUInt32LE(at);
    case 'float32': return big ? bytes.readFloatBE(at) : bytes.readFloatLE(at);
    case 'float64': return big ? bytes.readDoubleBE(at) : bytes.readDoubleLE(at);
    default: {
      const value = dtype === 'int64' ? (big ? bytes.readBigInt64BE(at) : bytes.readBigInt64LE(at)) : big ? bytes.readBigUInt64BE(at) : bytes.readBigUInt64LE(at);
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
  }
}

/** `{"inputs": nested lists}`: a rectangular array of numbers or booleans, or undefined when the document is not of that form. */
export function readJsonNdarray(text: string, shown: string): NdarrayExample | undefined {
  const document = pythonJsonLoads(text, shown);
  if (document === null || typeof document !== 'object' || Array.isArray(document) || document instanceof PyFloat || !('inputs' in document)) return undefined;
  const keys = Object.keys(document);
  const inputs = (document as Record<string, PyValue>).inputs;
  if (keys.length !== 1 || !Array.isArray(inputs)) {
    throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\`: an array example is \`{"inputs": [[...]]}\`, one list of rows and no other key`, { file: shown });
  }
  const shape: number[] = [];
  for (let level: PyValue = inputs; Array.isArray(level); level = level[0] ?? null) shape.push(level.length);
  const values: (number | bigint | boolean)[] = [];
  const walk = (value: PyValue, depth: number, where: string): void => {
    if (depth < shape.length) {
      if (!Array.isArray(value) || value.length !== shape[depth]) {
        throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\`: \`inputs${where}\` is not a list of ${shape[depth]} values like the first; an array's rows must all be of one shape`, { file: shown });
      }
      value.forEach((item, index) => walk(item, depth + 1, `${where}[${index}]`));
      return;
    }
    if (value instanceof PyFloat) values.push(value.value);
    else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') values.push(value);
    else if (value === null) values.push(NaN);
    else throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\`: \`inputs${where}\` is not a number or a boolean`, { file: shown });
  };
  walk(inputs, 0, '');
  return { dtype: undefined, shape, values };
}

const INTEGER_DTYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/**
 * The example's values as `dtype` holds them (`np.array(values, dtype)`): float32 rounded as numpy
 * rounds it, integers checked to be integral; a value that does not fit is refused, not wrapped.
 */
export function castNdarray(example: NdarrayExample, dtype: string, shown: string): NdarrayExample {
  const values = example.values.map((value) => {
    if (dtype === 'bool') {
      if (typeof value === 'boolean') return value;
      throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\`: the model takes booleans, and ${String(value)} is not one`, { file: shown });
    }
    const number = typeof value === 'boolean' ? Number(value) : value;
    if (INTEGER_DTYPES.has(dtype)) {
      if (typeof number === 'bigint' || Number.isInteger(number)) return number;
      throw inputError('UNSUPPORTED_INPUT_EXAMPLE', `\`${shown}\`: the model takes ${dtype}, and ${String(value)} is not an integer`, { file: shown });
    }
    const float = Number(number);
    return dtype === 'float32' ? Math.fround(float) : float;
  });
  return { dtype, shape: example.shape, values };
}

/**
 * The nested lists `_handle_ndarray_input` stores (`np.where(np.isnan(x), None, x).tolist()`):
 * floats as Python floats (float32 widened exactly, as `tolist` does), NaN as None.
 */
export function ndarrayToPyValue(example: NdarrayExample): PyValue {
  const isFloat = example.dtype === 'float32' || example.dtype === 'float64' || example.dtype === 'float16';
  let index = 0;
  const build = (depth: number): PyValue => {
    if (depth === example.shape.length) {
      const value = example.values[index++]!;
      if (!isFloat) return value as PyValue;
      const number = Number(value);
      if (Number.isNaN(number)) return null;
      return Number.isInteger(number) ? new PyFloat(number) : number;
    }
    return Array.from({ length: example.shape[depth]! }, () => build(depth + 1));
  };
  return build(0);
}
