import { colorAllowed } from '../config/env-vars.js';
import { MlfError, isMlfError } from '../errors.js';
import type { CliContext } from './context.js';
import { cutDetail, cutToOneLine } from './cut.js';

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(ctx: CliContext): boolean {
  return ctx.stderrIsTTY && colorAllowed(ctx.env);
}

export function paint(ctx: CliContext, code: string, text: string): string {
  return useColor(ctx) ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const bold = (ctx: CliContext, t: string) => paint(ctx, '1', t);
export const red = (ctx: CliContext, t: string) => paint(ctx, '31', t);
export const yellow = (ctx: CliContext, t: string) => paint(ctx, '33', t);
export const green = (ctx: CliContext, t: string) => paint(ctx, '32', t);
export const dim = (ctx: CliContext, t: string) => paint(ctx, '2', t);

/** Human text goes to stderr; stdout is for data. */
export function say(ctx: CliContext, line: string): void {
  ctx.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
}

export function warn(ctx: CliContext, message: string): void {
  say(ctx, `${yellow(ctx, 'warning')}: ${message}`);
}

/** The single object `--json` prints on stdout. */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${stringifyJson(value)}\n`);
}

/** JSON.stringify that never throws (a BigInt or a cycle in an error's data becomes a string). */
function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(
      value,
      (_key, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        if (v !== null && typeof v === 'object') {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      },
      2,
    );
  }
}

/**
 * One error, rendered as one line: `error: <where>: <message>; <hint>`, cut to a readable
 * length (cut.ts). A short detail block (the offending text with a caret under it) follows on
 * its own lines; a long one, the full message and the stack only with --verbose. With --json
 * the error is the one object on stdout, cut the same way unless --verbose.
 */
export function renderError(ctx: CliContext, error: unknown, options: { verbose?: boolean; json?: boolean }): number {
  const mlfError = isMlfError(error) ? error : undefined;
  const verbose = Boolean(options.verbose);
  if (options.json) printJson(ctx, { ok: false, error: errorJson(error, verbose) });
  if (!options.json || verbose) {
    say(ctx, formatErrorLine(ctx, error, { verbose }));
    if (mlfError?.detail) say(ctx, indent(verbose ? mlfError.detail : cutDetail(mlfError.detail)));
  }
  if (verbose && error instanceof Error) {
    say(ctx, dim(ctx, error.stack ?? String(error)));
    if (error.cause instanceof Error) say(ctx, dim(ctx, `Caused by: ${error.cause.stack ?? error.cause.message}`));
  }
  return mlfError ? mlfError.exitCode : 1;
}

/** The `error` member of `--json`'s `{ok: false, error}`. */
export function errorJson(error: unknown, verbose: boolean): Record<string, unknown> {
  const payload: Record<string, unknown> = isMlfError(error)
    ? error.toJSON()
    : { code: 'INTERNAL_ERROR', category: 'internal', message: messageOf(error), exitCode: 1 };
  if (verbose) return payload;
  const cut: Record<string, unknown> = { ...payload, message: cutToOneLine(String(payload.message)) };
  if (typeof payload.hint === 'string') cut.hint = cutToOneLine(payload.hint);
  if (typeof payload.detail === 'string') cut.detail = cutDetail(payload.detail);
  return cut;
}

export function formatErrorLine(ctx: CliContext, error: unknown, options: { verbose?: boolean } = {}): string {
  const cut = (text: string) => (options.verbose ? text : cutToOneLine(text));
  if (!isMlfError(error)) {
    return `${red(ctx, 'error')}: internal error: ${cut(messageOf(error))} (run again with --verbose for the trace, and please report it)`;
  }
  return `${red(ctx, 'error')}: ${describe(error, cut)}`;
}

/** The plain text of an error line, without colour: also used in tests. */
export function describe(error: MlfError, cut: (text: string) => string = (text) => text): string {
  const where = error.where;
  let line = where ? `${cut(where)}: ${cut(error.message)}` : cut(error.message);
  if (error.hint) line += `; ${cut(error.hint)}`;
  return line;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A size in bytes as people read it: `512 B`, `1.2 MiB`, `340 GiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
