import { PyFloat, PyTimestamp } from '../../src/model/pyyaml.js';

/**
 * Decodes the tags the Python case generators (test/model/cases/make_*.py) write for what JSON
 * cannot carry: `{"__float__": repr}` (a float; an integral one stays a PyFloat, as Python's
 * `1.0` is not `1`), `{"__int__": digits}` (a BigInt), `{"__timestamp__": text}`, and
 * `{"__dict__": [[key, value], ...]}` (a dict in Python's key order, which a JS object would
 * change for integer keys).
 */
export function decodeTagged(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeTagged);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if ('__float__' in record) {
    const repr = record.__float__ as string;
    const number = repr === 'nan' ? NaN : repr === 'inf' ? Infinity : repr === '-inf' ? -Infinity : Number(repr);
    // Number.isInteger(-0) holds too: -0.0 stays a float.
    return Number.isInteger(number) ? new PyFloat(number) : number;
  }
  if ('__int__' in record) return BigInt(record.__int__ as string);
  if ('__timestamp__' in record) return new PyTimestamp(record.__timestamp__ as string);
  if ('__dict__' in record) return Object.fromEntries((record.__dict__ as Array<[string, unknown]>).map(([k, v]) => [k, decodeTagged(v)]));
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decodeTagged(v)]));
}
