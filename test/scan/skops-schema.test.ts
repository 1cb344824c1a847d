/** The skops schema scan: the types a skops file names, read without running skops, bounded on hostile schemas. */
import { describe, expect, it } from 'vitest';
import { MAX_SKOPS_SCHEMA_BYTES, scanSkopsFile, skopsTypes } from '../../src/scan/skops-schema.js';
import { ranges, zipOf } from '../support/model-bytes.js';

describe('the skops schema scan', () => {
  it('refuses an entry whose header claims more than the limit, before reading it', () => {
    const file = ranges(zipOf({ 'schema.json': '{}' }, { sizes: { 'schema.json': MAX_SKOPS_SCHEMA_BYTES + 1 } }));
    expect(() => scanSkopsFile(file, 'big.skops')).toThrow(/is larger than/);
  });

  it('lists each (module, class) once, in order, from the nodes of schema.json', () => {
    const tree = {
      __class__: 'Pipeline',
      __module__: 'sklearn.pipeline',
      content: [{ __class__: 'StandardScaler', __module__: 'sklearn.preprocessing._data' }, { __class__: 'float64', __module__: 'numpy' }, { __class__: 'Pipeline', __module__: 'sklearn.pipeline' }],
    };
    expect(skopsTypes(tree, 's.skops')).toEqual([
      { module: 'sklearn.pipeline', name: 'Pipeline' },
      { module: 'sklearn.preprocessing._data', name: 'StandardScaler' },
      { module: 'numpy', name: 'float64' },
    ]);
  });

  it('walks a schema nested 200,000 deep without recursion', () => {
    let tree: unknown = { __module__: 'deep.module', __class__: 'Leaf' };
    for (let i = 0; i < 200_000; i += 1) tree = { content: tree };
    expect(skopsTypes(tree, 's.skops')).toEqual([{ module: 'deep.module', name: 'Leaf' }]);
  });

  it('reads only the archive\'s directory and schema.json, not the arrays beside it', () => {
    const file = ranges(zipOf({ '1.npy': Buffer.alloc(4 * 1024 * 1024), 'schema.json': JSON.stringify({ __module__: 'sklearn.svm._classes', __class__: 'SVC' }) }));
    expect(scanSkopsFile(file, 'm.skops')).toEqual([{ module: 'sklearn.svm._classes', name: 'SVC' }]);
    expect(file.bytesRead).toBeLessThan(200_000);
  });

  it.each([
    ['a zip without schema.json', zipOf({ 'other.json': '{}' }), /without `schema\.json`/],
    ['a schema that is not JSON', zipOf({ 'schema.json': '{"__module__": ' }), /`schema\.json` is not JSON/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => scanSkopsFile(ranges(bytes), 'm.skops')).toThrow(message);
  });
});
