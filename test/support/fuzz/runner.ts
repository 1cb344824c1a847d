/**
 * Runs one mlf command for the fuzz test: in its own process group, so that a hang is ended by
 * killing mlf together with everything it started (a Python worker, an installer); with its
 * output captured up to a cap, so that a command printing without end cannot exhaust memory.
 */
import { spawn } from 'node:child_process';
import { mlfBin } from '../cli.js';

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes kept of each stream; what is beyond is counted, not kept. */
  captureLimit?: number;
}

export interface Outcome {
  /** null when the process was ended by a signal (or by the timeout). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The full sizes, beyond what was kept, and whether anything was dropped. */
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  ms: number;
}

export function runMlfCase(args: readonly string[], options: RunOptions): Promise<Outcome> {
  const limit = options.captureLimit ?? 4 * 1024 * 1024;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mlfBin, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: -pid reaches every descendant
    });
    const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const sizes = { stdout: 0, stderr: 0 };
    const collect = (name: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const room = limit - sizes[name];
      if (room > 0) streams[name].push(chunk.subarray(0, room));
      sizes[name] += chunk.length;
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));

    let timedOut = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);

    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => {
      // A descendant still holding the pipes would keep 'close' from firing: end the group.
      killGroup();
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: Buffer.concat(streams.stdout).toString('utf8'),
        stderr: Buffer.concat(streams.stderr).toString('utf8'),
        stdoutBytes: sizes.stdout,
        stderrBytes: sizes.stderr,
        stdoutTruncated: sizes.stdout > limit,
        stderrTruncated: sizes.stderr > limit,
        ms: Date.now() - started,
      });
    });
  });
}
