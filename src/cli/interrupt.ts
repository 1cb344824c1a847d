import { stopRunningTools } from '../env/exec.js';
import type { ProgressEvent } from '../env/types.js';

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP: end the tools mlf started (their whole process groups,
 * env/exec.ts), say what was interrupted, and exit with 128 + the signal's number (130 for
 * Ctrl-C). An environment interrupted mid-build has no completion marker, so the next run
 * removes it and builds it again (env/prepare.ts); the message says so. The entry's lock stays
 * behind with this process's pid as its owner, and the next run takes it over at once because
 * that process is gone (env/lock.ts).
 */

interface Interruptible {
  manager: string;
  envDir: string;
}

let building: Interruptible | undefined;

/** Follows the progress of an environment build, so that an interrupt can name it. */
export function trackBuild(event: ProgressEvent): void {
  if (event.kind === 'creating') building = { manager: event.manager, envDir: event.envDir };
  else if (event.kind === 'built' || event.kind === 'cache-hit') building = undefined;
}

/** The work ended (success or not): nothing is being built any more. */
export function buildEnded(): void {
  building = undefined;
}

/** The line an interrupt prints, or undefined when no build was running. */
export function interruptMessage(): string | undefined {
  if (!building) return undefined;
  return `interrupted while building the ${building.manager} environment at ${building.envDir}; it was left unfinished, and the next run removes it and builds it again`;
}

/** A command that shuts down by itself on a signal (`serve`'s graceful shutdown): while set, the
 * handler calls it instead of exiting (a second signal still exits at once). */
let takeOver: ((signal: NodeJS.Signals) => void) | undefined;

/** Lets a running command handle SIGINT/SIGTERM/SIGHUP itself; returns the function that undoes it. */
export function takeOverSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  takeOver = handler;
  return () => {
    if (takeOver === handler) takeOver = undefined;
  };
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Installed by bin/mlf.js only: in-process tests keep Node's own signal handling. */
export function installInterruptHandler(argv: string[] = process.argv): void {
  const json = argv.includes('--json');
  let handled = false;
  for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) {
    // `on`, not `once`, and each signal stays handled: a second Ctrl-C while the tools are being
    // stopped must not kill mlf with Node's default action, and signal-exit (execa's) re-raises a
    // signal it believes nobody else handles once our listener is gone.
    process.on(signal, () => {
      if (handled) return;
      handled = true;
      if (takeOver) {
        const handler = takeOver;
        takeOver = undefined;
        handled = false;
        handler(signal);
        return;
      }
      const message = interruptMessage();
      stopRunningTools();
      if (message) process.stderr.write(`error: ${message}\n`);
      if (json) {
        const error = { code: 'INTERRUPTED', category: 'interrupted', message: message ?? `interrupted by ${signal}`, exitCode: EXIT_CODES[signal] };
        process.stdout.write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
      }
      process.exit(EXIT_CODES[signal]);
    });
  }
}
