import { usageError } from '../errors.js';
// Not in options.ts: that module is in the early-start bundle, which must not load errors.ts.

/** A repeatable `--flag KEY=VALUE` (`--metadata`, `--tag`): the first `=` splits; a later value for a key wins. */
export function parseKeyValueFlags(flag: string, code: string, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw usageError(code, `\`${flag} ${value}\` must be KEY=VALUE`);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}
