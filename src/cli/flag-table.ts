import type { Command } from 'commander';

/**
 * One option of a command, as data: commander registers it from this row, and the other readers
 * of a command's flags (predict's early-start key, the flags a fix hint repeats, the generated
 * CLI reference in docs/cli.md) read the same row instead of spelling the flag again.
 */
export interface FlagRow {
  /** Short spelling first, as `--help` lists them: `['-i', '--input-path']`. */
  spellings: readonly string[];
  /** The option-argument's name (`INPUT` in `-i <INPUT>`); none for a switch. */
  argument?: string;
  description: string;
  /** What commander gives when the flag is absent (shown by `--help` as `(default: ...)`). */
  default?: string;
  /** May be given more than once; the values are collected into an array (default `[]`). */
  repeatable?: boolean;
  /** commander fails when the flag is absent. */
  required?: boolean;
  /**
   * Whether its value decides how predict's worker starts, i.e. whether the flag is part of the
   * early-start key (cli/early-start.ts). A flag that does not (the input, the output format,
   * what mlf prints) is dropped from the key, so another input still finds the same worker.
   */
  decidesWorker: boolean;
  /**
   * Its values must not reach a launch record on disk (`--env` may carry secrets): a command line
   * with it starts no worker early and records none.
   */
  keepOffDisk?: boolean;
  /**
   * Repeated in the `mlf ...` commands a fix hint suggests, with this spelling, when the run gave
   * it a value other than its default. `order` places it among the repeated flags (the hints
   * have always read `-t csv` before the environment's flags).
   */
  fixHint?: { spelling: string; order: number };
}

/** commander's spelling of a row: `-i, --input-path <INPUT>`. */
export function commanderSpelling(row: FlagRow): string {
  return `${row.spellings.join(', ')}${row.argument !== undefined ? ` <${row.argument}>` : ''}`;
}

/** The long spelling (`--input-path`): what messages name a flag by. */
export function longSpelling(row: FlagRow): string {
  return row.spellings[row.spellings.length - 1]!;
}

/** The property commander stores the value under: `inputPath` for `--input-path`. */
export function attributeName(row: FlagRow): string {
  return longSpelling(row)
    .replace(/^--?/, '')
    .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Registers the rows on a command, in order (the order `--help` lists them). */
export function addFlags(command: Command, rows: readonly FlagRow[]): Command {
  for (const row of rows) {
    const spelling = commanderSpelling(row);
    if (row.repeatable) command.option(spelling, row.description, collect, []);
    else if (row.required) command.requiredOption(spelling, row.description, row.default);
    else command.option(spelling, row.description, row.default);
  }
  return command;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
