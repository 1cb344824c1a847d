import { Command, CommanderError } from 'commander';
import { defaultContext, type CliContext } from './context.js';
import { renderError } from './render.js';
import { commandModules } from './commands/index.js';
import { MLF_VERSION } from '../version.js';

/**
 * Builds the command tree. Each command lives in its own file under `commands/` and only
 * parses, calls one core function and renders (style.md, practice 2).
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('mlf')
    .description('A toolchain for MLflow-format model directories.')
    .version(MLF_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();

  const models = program.command('models').description('Work with MLflow model directories.').exitOverride();
  const envs = program.command('envs').description('See and clean the cached Python environments.').exitOverride();
  for (const register of commandModules) register({ program, models, envs }, ctx);
  return program;
}

/** Runs the CLI and returns the exit code; never calls process.exit (tests call it in-process). */
export async function main(argv: string[], ctx: CliContext = defaultContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0; every parse error is bad usage.
      if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      return 2;
    }
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    return renderError(ctx, error, { verbose, json: argv.includes('--json') });
  }
}
