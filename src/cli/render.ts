import { MlfError, isMlfError } from '../errors.js';
import type { CliContext } from './context.js';

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(ctx: CliContext): boolean {
  return ctx.stderrIsTTY && !ctx.env.NO_COLOR && ctx.env.TERM !== 'dumb';
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
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * One error, rendered as one line: `error: <where>: <message>; <hint>`. A detail block (the
 * offending text with a caret under it) follows on its own lines; the stack only with --verbose.
 */
export function renderError(ctx: CliContext, error: unknown, options: { verbose?: boolean; json?: boolean }): number {
  const mlfError = isMlfError(error) ? error : undefined;
  if (options.json) {
    const payload = mlfError
      ? mlfError.toJSON()
      : { code: 'INTERNAL_ERROR', category: 'internal', message: messageOf(error), exitCode: 1 };
    printJson(ctx, { ok: false, error: payload });
  }
  if (!options.json || options.verbose) {
    say(ctx, formatErrorLine(ctx, error));
    if (mlfError?.detail) say(ctx, indent(mlfError.detail));
  }
  if (options.verbose && error instanceof Error) {
    say(ctx, dim(ctx, error.stack ?? String(error)));
    if (error.cause instanceof Error) say(ctx, dim(ctx, `Caused by: ${error.cause.stack ?? error.cause.message}`));
  }
  return mlfError ? mlfError.exitCode : 1;
}

export function formatErrorLine(ctx: CliContext, error: unknown): string {
  if (!isMlfError(error)) {
    return `${red(ctx, 'error')}: internal error: ${messageOf(error)} (run again with --verbose for the trace, and please report it)`;
  }
  return `${red(ctx, 'error')}: ${describe(error)}`;
}

/** The plain text of an error line, without colour: also used in tests. */
export function describe(error: MlfError): string {
  const where = error.where;
  let line = where ? `${where}: ${error.message}` : error.message;
  if (error.hint) line += `; ${error.hint}`;
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
