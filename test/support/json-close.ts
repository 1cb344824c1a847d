/**
 * Compares two JSON texts token by token, float literals within rounding: for a body stored when a
 * fixture was written (expected-response.json), whose last digits come from that machine's float
 * kernels (numpy's and the flavor libraries' SIMD and BLAS paths differ between CPUs). Byte
 * equality with MLflow is asserted against MLflow run on the same machine; this says the stored
 * answer still holds. Everything else must match exactly: strings, keys, punctuation, integers,
 * and whether a number is written as a float (`1` vs `1.0`, which an encoding bug would change).
 * Undefined when they agree, else where they first differ.
 */
export function jsonDifference(actual: string, expected: string, relTol = 1e-6): string | undefined {
  if (actual === expected) return undefined;
  const a = tokens(actual);
  const e = tokens(expected);
  for (let i = 0; i < Math.max(a.length, e.length); i += 1) {
    const x = a[i];
    const y = e[i];
    if (x === undefined || y === undefined) return `token ${i}: ${x ?? 'end of text'} vs ${y ?? 'end of text'}`;
    if (x === y) continue;
    if (isFloat(x) && isFloat(y)) {
      const [p, q] = [Number(x), Number(y)];
      if (Math.abs(p - q) <= relTol * Math.max(Math.abs(p), Math.abs(q)) || Math.abs(p - q) <= 1e-12) continue;
      return `token ${i}: ${x} vs ${y} (beyond a relative ${relTol})`;
    }
    return `token ${i}: ${x} vs ${y}`;
  }
  return undefined;
}

const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[{}[\]:,]|true|false|null|NaN|-?Infinity|\S/g;

function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

function isFloat(token: string): boolean {
  return /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(token) && /[.eE]/.test(token);
}
