import type { Writable } from 'node:stream';
import type { EarlyStart } from '../worker/early-worker.js';

/**
 * What a command needs from the outside world, passed in rather than read from globals,
 * so that tests can run the CLI in-process with captured streams.
 */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal: decides spinners and colour. */
  stderrIsTTY: boolean;
  /** Set by a command whose work ran but whose result is a failure (e.g. validate found errors). */
  exitCode: number;
  /** With `--json`, `stdout` holds what is written until the command returns; this is the real
   * stdout, for a command that runs until stopped (`serve`: its one object says where it listens). */
  liveStdout?: Writable;
  /** The early start bin/mlf.js made for this process (cli/early-start.ts), for predict; absent in-process. */
  earlyStart?: EarlyStart;
}

/** Options every command accepts. */
export interface CommonOptions {
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

export function defaultContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    exitCode: 0,
  };
}
