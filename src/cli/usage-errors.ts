import type { Command, CommanderError } from 'commander';
import { usageError, type MlfError } from '../errors.js';

/**
 * commander's own parse errors (an unknown flag, a missing value, an unknown command) as
 * usage errors, so that they render like every other error: one line, exit 2, and with --json
 * the one object on stdout. An unknown long flag gets a suggestion: MLflow-ish names first
 * (`--input` is `-i/--input-path` here), then a unique prefix, then a near spelling.
 */

/** Names users bring from other tools (MLflow's Python API, habit) and the flag mlf has for them. */
const FLAG_ALIASES: Record<string, string> = {
  '--input': '--input-path',
  '--input-file': '--input-path',
  '--output': '--output-path',
  '--output-file': '--output-path',
  '--model': '--model-uri',
  '--model-path': '--model-uri',
  '--model-dir': '--model-uri',
  '--content': '--content-type',
  '--type': '--content-type',
  '--requirements-override': '--pip-requirements-override',
  '--pip-requirements-overrides': '--pip-requirements-override',
};

/** The command a (failed) parse of `args` (without node and the script) got to, and the words naming it. */
export function leafCommand(program: Command, args: readonly string[]): { command: Command; path: string[] } {
  let command = program;
  const names = [program.name()];
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    command = sub;
    names.push(sub.name());
  }
  return { command, path: names };
}

/** Every flag `command` accepts (its own and those of its parents), long and short. */
function knownFlags(command: Command): Map<string, { long?: string; short?: string }> {
  const flags = new Map<string, { long?: string; short?: string }>();
  for (let c: Command | null = command; c; c = c.parent) {
    for (const option of c.options) {
      const names = { ...(option.long ? { long: option.long } : {}), ...(option.short ? { short: option.short } : {}) };
      if (option.long) flags.set(option.long, names);
      if (option.short) flags.set(option.short, names);
    }
  }
  flags.set('--help', { long: '--help', short: '-h' });
  if (!flags.has('-h')) flags.set('-h', { long: '--help', short: '-h' });
  return flags;
}

/** The first long flag in `args` that `command` does not know (`--name=value` counts as `--name`). */
export function firstUnknownLongFlag(command: Command, args: readonly string[]): string | undefined {
  const known = knownFlags(command);
  for (const arg of args) {
    if (arg === '--') return undefined;
    if (!arg.startsWith('--') || arg === '--') continue;
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (!known.has(name)) return name;
  }
  return undefined;
}

/** `` `-i/--input-path` `` for what `flag` most likely meant, or undefined. */
export function suggestFlag(command: Command, flag: string): string | undefined {
  const known = knownFlags(command);
  const longs = [...new Set([...known.values()].map((f) => f.long).filter((l): l is string => Boolean(l)))];
  const spell = (long: string) => {
    const short = known.get(long)?.short;
    return short ? `\`${short}/${long}\`` : `\`${long}\``;
  };
  const alias = FLAG_ALIASES[flag];
  if (alias && known.has(alias)) return spell(alias);
  const prefixed = longs.filter((l) => l.startsWith(`${flag}-`) || (flag.length >= 5 && l.startsWith(flag)));
  if (prefixed.length === 1) return spell(prefixed[0]!);
  const maxDistance = flag.length <= 6 ? 1 : 2;
  const near = longs
    .map((l) => ({ l, d: editDistance(flag, l) }))
    .filter(({ d }) => d <= maxDistance)
    .sort((a, b) => a.d - b.d);
  if (near.length > 0 && (near.length === 1 || near[0]!.d < near[1]!.d)) return spell(near[0]!.l);
  // A misspelt start of a longer flag: `--outptu` for `--output-path`.
  if (flag.length >= 6) {
    const started = longs.filter((l) => l.length > flag.length && editDistance(flag, l.slice(0, flag.length)) <= 1);
    if (started.length === 1) return spell(started[0]!);
  }
  return undefined;
}

/** The usage error for an unknown flag, with its suggestion when there is one. */
export function unknownFlagError(flag: string, command: Command, commandPath: string[]): MlfError {
  const suggestion = suggestFlag(command, flag);
  const help = `\`${commandPath.join(' ')} --help\` lists the options`;
  return usageError('UNKNOWN_OPTION', `unknown option \`${flag}\``, { hint: suggestion ? `did you mean ${suggestion}? ${help}` : help });
}

/**
 * commander's error as a usage error. `message` is what commander would have printed
 * (`error: unknown command 'predcit'\n(Did you mean predict?)`).
 */
export function commanderUsageError(error: CommanderError, message: string, program: Command, args: readonly string[]): MlfError {
  const { command, path } = leafCommand(program, args);
  // commander checks required options before unknown ones: `--model x` would otherwise be
  // reported as "-m not specified" although the user did give a model, under another name.
  const unknown = error.code === 'commander.unknownCommand' ? undefined : firstUnknownLongFlag(command, args);
  if (unknown) return unknownFlagError(unknown, command, path);
  const lines = (message || error.message)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const didYouMean = lines.find((l) => /^\(Did you mean .*\?\)$/.test(l));
  const text = lines
    .filter((l) => l !== didYouMean)
    .join(' ')
    .replace(/^error: /, '');
  const help = `\`${path.join(' ')} --help\` shows the usage`;
  const suggestion = didYouMean ? `did you mean \`${didYouMean.slice('(Did you mean '.length, -'?)'.length)}\`? ` : '';
  return usageError(codeOf(error.code), text, { hint: `${suggestion}${help}` });
}

/** `commander.unknownOption` → `UNKNOWN_OPTION`. */
function codeOf(code: string): string {
  return code
    .replace(/^commander\./, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase();
}

/** Optimal string alignment distance (a transposition counts as one edit). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
