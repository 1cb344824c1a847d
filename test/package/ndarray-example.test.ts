import { describe, expect, it } from 'vitest';
import { readPackageExample } from '../../src/package/example.js';
import { castNdarray, ndarrayToPyValue, readJsonNdarray, readNpy } from '../../src/package/ndarray-example.js';
import { serializeInputExample } from '../../src/model/input-example.js';
import { float32s, npyOf } from '../support/model-bytes.js';

// `--input-example` as a numpy array: .npy files read from their header and raw values, JSON
// {"inputs": ...} cast to the model's dtype, and input_example.json's text as MLflow's
// `_handle_ndarray_input` + json.dumps writes it.

const int64s = (values: bigint[]) => {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((value, index) => bytes.writeBigInt64LE(value, index * 8));
  return bytes;
};

describe('readNpy', () => {
  it('reads dtype, shape and C-order values; float32 widened exactly as tolist() does', () => {
    const values = [0.1, 2, -3.5, NaN, 1e-8, 7];
    const array = readNpy(npyOf('<f4', [2, 3], float32s(values)), 'x.npy');
    expect(array.dtype).toBe('float32');
    expect(array.shape).toEqual([2, 3]);
    expect(array.values.map((value) => (Number.isNaN(value) ? 'nan' : value))).toEqual(values.map((value) => (Number.isNaN(value) ? 'nan' : Math.fround(value))));
  });

  it('reads Fortran order (what np.save writes for a DataFrame\'s .values) back in C order', () => {
    // [[1, 2, 3], [4, 5, 6]] stored column by column.
    const bytes = Buffer.from(npyOf('<f4', [2, 3], float32s([1, 4, 2, 5, 3, 6])).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
    expect(readNpy(bytes, 'x.npy').values).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads int64 past 2^53 as a bigint, and a 1-d shape', () => {
    const array = readNpy(npyOf('<i8', [2], int64s([1n, 2n ** 60n])), 'x.npy');
    expect(array).toEqual({ dtype: 'int64', shape: [2], values: [1, 2n ** 60n] });
  });

  it.each([
    ['objects (a pickle), never loaded', npyOf('|O', [1], Buffer.alloc(8)), 'it holds Python objects'],
    ['a dtype mlf does not read', npyOf('<f2', [1], Buffer.alloc(2)), 'its dtype `<f2` is not one mlf reads'],
    ['fewer bytes than its shape needs', npyOf('<f4', [2, 2], float32s([1, 2, 3])), 'it holds 12 bytes of values, not the 16 its shape needs'],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => readNpy(bytes, 'x.npy')).toThrow(message);
  });
});

describe('readPackageExample: by content, not extension', () => {
  it('an .npy file is an array whatever its name; {"inputs": ...} JSON is an array; a split table is a table', () => {
    expect(readPackageExample(npyOf('<f8', [1, 1], Buffer.alloc(8)), 'example.json').kind).toBe('ndarray');
    expect(readPackageExample(Buffer.from('{"inputs": [[1, 2]]}'), 'example.json')).toEqual({ kind: 'ndarray', array: { dtype: undefined, shape: [1, 2], values: [1, 2] } });
    expect(readPackageExample(Buffer.from('{"columns": ["a"], "data": [[1]]}'), 'example.json').kind).toBe('frame');
  });
});

describe('readJsonNdarray and castNdarray', () => {
  it('refuses ragged rows and other keys', () => {
    expect(() => readJsonNdarray('{"inputs": [[1, 2], [3]]}', 'e.json')).toThrow('`inputs[1]` is not a list of 2 values like the first');
    expect(() => readJsonNdarray('{"inputs": [[1]], "params": {}}', 'e.json')).toThrow('one list of rows and no other key');
  });

  it('rounds to float32 as numpy does, and refuses a fraction for an integer dtype', () => {
    const array = readJsonNdarray('{"inputs": [[0.1, 1]]}', 'e.json')!;
    expect(castNdarray(array, 'float32', 'e.json').values).toEqual([Math.fround(0.1), 1]);
    expect(() => castNdarray(array, 'int64', 'e.json')).toThrow('the model takes int64, and 0.1 is not an integer');
  });
});

describe('ndarrayToPyValue: input_example.json as MLflow writes it', () => {
  it('nests the values by shape; integral floats keep their .0, NaN becomes null (np.where(isnan, None, x))', () => {
    const array = { dtype: 'float32', shape: [2, 2], values: [Math.fround(0.54881352186203), 2, NaN, -1.5] };
    expect(serializeInputExample(ndarrayToPyValue(array))).toBe('[[0.54881352186203, 2.0], [null, -1.5]]');
  });

  it('keeps integers and booleans as they are', () => {
    expect(serializeInputExample(ndarrayToPyValue({ dtype: 'int64', shape: [3], values: [1, 2n ** 60n, -3] }))).toBe(`[1, ${2n ** 60n}, -3]`);
    expect(serializeInputExample(ndarrayToPyValue({ dtype: 'bool', shape: [1, 2], values: [true, false] }))).toBe('[[true, false]]');
  });
});
