/**
 * Workers go when mlf goes. Should mlf end while a worker runs (an error path that skipped
 * close()), the worker is killed with it. One `exit` listener serves every worker of the process:
 * a listener per worker would trip Node's MaxListenersExceededWarning at eleven, and `serve` runs
 * a pool. (Killed by a signal, mlf runs no handler; the worker then sees its stdin close and exits
 * once its load is done; Ctrl-C reaches it directly, as it is in the same process group.)
 */
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Kills `child` when this process exits; the returned function forgets it (call it once the child has exited). */
export function killOnExit(child: ChildProcess): () => void {
  if (!hooked) {
    process.once('exit', killAll);
    hooked = true;
  }
  running.add(child);
  return () => {
    running.delete(child);
  };
}
