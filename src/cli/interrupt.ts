import { stopRunningTools } from '../env/exec.js';
import type { ProgressEvent } from '../env/types.js';

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP: end the tools mlf started (their whole process groups,
 * env/exec.ts), say what was interrupted, and exit with 128 + the signal's number (130 for
 * Ctrl-C). An environment interrupted mid-build has no completion marker, so the next run
 * removes it and builds it again (env/prepare.ts); the message says so. The entry's lock is
 * released on the way out by proper-lockfile's own exit hook.
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

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Installed by bin/mlf.js only: in-process tests keep Node's own signal handling. */
export function installInterruptHandler(argv: string[] = process.argv): void {
  const json = argv.includes('--json');
  for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) {
    process.once(signal, () => {
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
