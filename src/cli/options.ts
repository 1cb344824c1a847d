import type { Command } from 'commander';
import { addFlags, type FlagRow } from './flag-table.js';

export { collect } from './flag-table.js';

/** `--json`, `--verbose`, `-q`: on every command (design.md, Contracts). None changes a worker. */
export const COMMON_FLAGS: readonly FlagRow[] = [
  { spellings: ['--json'], description: 'print one machine-readable JSON object on stdout', decidesWorker: false },
  { spellings: ['-v', '--verbose'], description: 'show more: installer output, stack traces', decidesWorker: false },
  { spellings: ['-q', '--quiet'], description: 'print nothing on stderr but errors', decidesWorker: false },
];

export function addCommonOptions(command: Command): Command {
  return addFlags(command, COMMON_FLAGS);
}

