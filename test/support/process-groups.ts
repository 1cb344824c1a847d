/**
 * Processes a test starts in a group of their own (`spawn(..., { detached: true })`) and kills as
 * a group: a server with children (uvicorn under `mlflow server`, executors and Python workers
 * under a Spark worker) goes whole. Every tracked group still running when the test process
 * exits is killed too, also when a test file dies.
 */
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export function trackGroup(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const leader of running) signalGroup(leader, 'SIGKILL');
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILL to the group at once (nothing of a test server's state is kept), resolved once the leader has exited. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGKILL');
  await exited;
}
