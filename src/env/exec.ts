import { readdirSync, readFileSync } from 'node:fs';
import { definedVariables } from '../config/env-vars.js';

/**
 * The one seam through which env/ starts subprocesses (style.md, practice 7): argument
 * arrays (never a shell string), an explicit environment (nothing inherited implicitly),
 * a timeout, and a `ToolError` that carries what a user needs to understand a failure.
 */

export interface RunToolOptions {
  cwd: string;
  /** The child's complete environment: nothing of process.env leaks in beyond this. */
  env: Record<string, string | undefined>;
  /** Kill the child after this long. Default 30 minutes. */
  timeoutMs?: number;
  /** Each line of the child's stdout and stderr as it arrives (for --verbose streaming). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  input?: string;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** How many trailing lines of stderr a ToolError keeps. */
const STDERR_TAIL_LINES = 30;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;

export class ToolError extends Error {
  /** A short name of the tool (`uv`, `pip`, `conda`), used in messages. */
  readonly tool: string;
  /** The executable and its arguments, credentials redacted. */
  readonly argv: string[];
  /** Undefined when the child did not exit by itself (signal, timeout, spawn failure). */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  /** The executable could not be started at all (ENOENT, EACCES). */
  readonly notFound: boolean;
  /** The last lines of stderr (or stdout when stderr is empty), credentials redacted. */
  readonly stderrTail: string;
  /** The full output, redacted, for failure analysis (which requirement failed). */
  readonly output: string;

  constructor(fields: {
    tool: string;
    argv: string[];
    exitCode?: number;
    signal?: string;
    timedOut?: boolean;
    notFound?: boolean;
    stderr: string;
    stdout: string;
    timeoutMs?: number;
  }) {
    const argv = fields.argv.map(redactCredentials);
    const stderr = redactCredentials(fields.stderr);
    const stdout = redactCredentials(fields.stdout);
    const tail = tailLines(stderr.trim() ? stderr : stdout, STDERR_TAIL_LINES);
    let how: string;
    if (fields.notFound) how = 'could not be started';
    else if (fields.timedOut) how = `timed out after ${Math.round((fields.timeoutMs ?? 0) / 1000)}s`;
    else if (fields.signal) how = `was killed by ${fields.signal}`;
    else how = `failed with exit code ${fields.exitCode}`;
    super(`\`${argv.join(' ')}\` ${how}`);
    this.name = 'ToolError';
    this.tool = fields.tool;
    this.argv = argv;
    this.exitCode = fields.exitCode;
    this.signal = fields.signal;
    this.timedOut = fields.timedOut ?? false;
    this.notFound = fields.notFound ?? false;
    this.stderrTail = tail;
    this.output = `${stdout}\n${stderr}`;
  }
}

export function isToolError(error: unknown): error is ToolError {
  return error instanceof ToolError;
}

/**
 * Runs `file args...` and resolves with its output, or rejects with a ToolError. `tool` is the
 * short name shown to users.
 */
export async function runTool(tool: string, file: string, args: string[], options: RunToolOptions): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Loaded here, not at the top: a warm `mlf models predict` runs no tool at all, and execa's
  // module graph costs ~80 ms of Node's start.
  const { execa } = await import('execa');
  const child = execa(file, args, {
    // Its own process group, so that stopRunningTools() reaches what the tool starts in turn
    // (uv's and pip's build backends) and an interrupted mlf leaves nothing running.
    detached: true,
    cwd: options.cwd,
    env: definedVariables(options.env),
    extendEnv: false,
    timeout: timeoutMs,
    reject: false,
    stripFinalNewline: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  });
  if (options.onLine) {
    const onLine = options.onLine;
    forwardLines(child.stdout, (line) => onLine(line, 'stdout'));
    forwardLines(child.stderr, (line) => onLine(line, 'stderr'));
  }
  const pid = child.pid;
  if (pid !== undefined) runningGroups.add(pid);
  const result = await child.finally(() => {
    if (pid !== undefined) runningGroups.delete(pid);
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (!result.failed) return { stdout, stderr };
  const code = (result as { code?: string }).code;
  throw new ToolError({
    tool,
    argv: [file, ...args],
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    notFound: code === 'ENOENT' || code === 'EACCES',
    stderr: stderr || (result.exitCode === undefined && !result.timedOut && !result.signal ? (result.message ?? '') : ''),
    stdout,
    timeoutMs,
  });
}

/** The process groups of the tools running now (each led by the tool runTool started). */
const runningGroups = new Set<number>();

/**
 * Ends every running tool and whatever it started: SIGTERM to each process group, up to
 * `graceMs` for them to go, then SIGKILL. Synchronous, for a signal handler that exits next.
 */
export function stopRunningTools(graceMs = 2000): void {
  const groups = [...runningGroups];
  for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (groups.some(groupAlive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
  for (const pgid of groups) if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * Whether a process of the group still runs. On Linux, /proc tells a zombie (exited, not yet
 * reaped: Node reaps in its event loop, which does not run here) from a live process.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    try {
      // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid && fields[0] !== 'Z';
    } catch {
      return false;
    }
  });
}

/**
 * Replaces the password (or token) in URLs such as `https://user:secret@host/simple` with
 * `****`, and a lone token user (`https://token@host`) too: index URLs in requirements files
 * and pip arguments often carry them.
 */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(:[^\s/@]*)?@/gi, (_match, scheme: string, user: string, password?: string) =>
    password ? `${scheme}${user}:****@` : `${scheme}****@`,
  );
}

export function tailLines(text: string, count: number): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  return lines.slice(-count).join('\n');
}

function forwardLines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    const parts = pending.split(/\r?\n|\r/);
    pending = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) onLine(redactCredentials(part));
  });
  stream.on('end', () => {
    if (pending.trim()) onLine(redactCredentials(pending));
    pending = '';
  });
}
