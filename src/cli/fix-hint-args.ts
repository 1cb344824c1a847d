import { shellQuote } from './fix-commands.js';
import { attributeName, type FlagRow } from './flag-table.js';

/**
 * The flags of this run that a suggested fix command repeats (the rows with a `fixHint`), shell
 * quoted, from the values commander parsed: a flag left at its default is not repeated, a
 * repeatable one is repeated once per value.
 */
export function fixHintArgs(rows: readonly FlagRow[], values: Readonly<Record<string, unknown>>): string[] {
  const repeated = rows.filter((row) => row.fixHint !== undefined).sort((a, b) => a.fixHint!.order - b.fixHint!.order);
  const args: string[] = [];
  for (const row of repeated) {
    const value = values[attributeName(row)];
    const given = Array.isArray(value) ? value : value === undefined || value === false || value === row.default ? [] : [value];
    for (const one of given) {
      if (one === true) args.push(row.fixHint!.spelling);
      else args.push(row.fixHint!.spelling, shellQuote(String(one)));
    }
  }
  return args;
}
