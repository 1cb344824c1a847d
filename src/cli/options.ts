import type { Command } from 'commander';

/** `--json`, `--verbose`, `-q`: on every command (design.md, Contracts). */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--json', 'print one machine-readable JSON object on stdout')
    .option('-v, --verbose', 'show more: installer output, stack traces')
    .option('-q, --quiet', 'print nothing on stderr but errors');
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
