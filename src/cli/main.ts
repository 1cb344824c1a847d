import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { defaultContext, type CliContext } from './context.js';
import { renderError } from './render.js';
import { commanderUsageError } from './usage-errors.js';
import { commandModules } from './commands/index.js';
import { MLF_VERSION } from '../version.js';
import type { EarlyStart } from '../worker/early-worker.js';

export { installInterruptHandler } from './interrupt.js';

/**
 * Builds the command tree. Each command lives in its own file under `commands/` and only
 * parses, calls one core function and renders (style.md, practice 2). commander's own error
 * text is handed to `onParseError` instead of being printed, so that main() renders it as one
 * usage error like any other.
 */
export function buildProgram(ctx: CliContext, onParseError: (message: string) => void = (m) => ctx.stderr.write(m)): Command {
  const program = new Command('mlf')
    .description('A toolchain for MLflow-format model directories.')
    .version(MLF_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s) => onParseError(s),
    })
    .exitOverride();

  const models = program.command('models').description('Work with MLflow model directories.').exitOverride();
  const envs = program.command('envs').description('See and clean the cached Python environments.').exitOverride();
  for (const register of commandModules) register({ program, models, envs }, ctx);
  return program;
}

/** The arguments after node and the script, up to `--`. */
function flagsOf(argv: string[]): string[] {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return end < 0 ? args : args.slice(0, end);
}

export interface MainOptions {
  /** The streams, directory and environment to run with (default: the process's own). */
  ctx?: CliContext;
  /** What bin/mlf.js's `startEarly` returned (cli/early-start.ts); handed to the predict command. */
  earlyStart?: EarlyStart;
}

/**
 * Runs the CLI and returns the exit code; never calls process.exit (tests call it in-process).
 *
 * With `--json`, stdout is exactly one JSON object whatever happens: what a command writes is
 * held back until it returns, and on any error (one of commander's, one thrown before the
 * command ran, an internal one) it is dropped and the error object is written instead.
 */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const ctx: CliContext = { ...(options.ctx ?? defaultContext()), ...(options.earlyStart ? { earlyStart: options.earlyStart } : {}) };
  const flags = flagsOf(argv);
  const json = flags.includes('--json');
  const verbose = flags.includes('--verbose') || flags.includes('-v');
  const held: Buffer[] = [];
  const runCtx: CliContext = json ? { ...ctx, stdout: holdingStream(held), liveStdout: ctx.stdout } : ctx;
  let parseMessage = '';
  let program: Command | undefined;
  try {
    program = buildProgram(runCtx, (message) => {
      parseMessage += message;
    });
    await program.parseAsync(argv);
    for (const chunk of held) ctx.stdout.write(chunk);
    return runCtx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0.
      if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
        for (const chunk of held) ctx.stdout.write(chunk);
        return 0;
      }
      // `mlf models` alone: commander printed the help; that is bad usage, and said.
      if (error.code === 'commander.help' && !json) return 2;
      const usage = commanderUsageError(error, parseMessage, program!, argv.slice(2));
      return renderError(ctx, usage, { verbose, json });
    }
    return renderError(ctx, error, { verbose, json });
  }
}

/** A stdout stand-in that keeps what is written. */
function holdingStream(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  });
}
