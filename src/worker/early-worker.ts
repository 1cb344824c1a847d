/**
 * Starting the model worker before the rest of mlf has loaded ("early start").
 *
 * Of a warm `mlf models predict` (~1.8 s on the sklearn fixture), ~1.3 s is the worker importing
 * the model's libraries and ~0.2 s comes before it: Node loading mlf's modules, reading the model
 * directory and finding its environment. That part is the same every time the same command runs
 * in the same directory on unchanged files. So after a successful predict, mlf records how it
 * started the worker (a "launch record", keyed by the directory and the command line less the
 * options that do not decide the worker: input, output, format, printing), and the next such
 * command starts that worker first thing (bin/mlf.js), while Node loads.
 *
 * The early worker is a guess and never trusted: predict works out its worker as it always does
 * and adopts the early one only when the interpreter, arguments, working directory and
 * environment variables are exactly those it would start; otherwise it kills it and starts its
 * own. The guess is made only when none of the files the last run depended on (MLmodel, the
 * requirement files) changed since and the input file and output directory exist, so that a
 * command which will stop before starting a worker (an edited MLmodel, a missing input) does not
 * run model code first.
 *
 * cli/early-start.ts decides which command lines qualify and what their key is, from predict's
 * flag table; this module holds the launch record (its location and format, also pruned by `mlf
 * envs prune`), starts the worker a record names, and hands it over. Everything here runs before
 * the CLI is loaded, so it uses only Node's own modules, synchronously, and keeps no state of its
 * own: each early start is the `EarlyStart` handle `openLaunchRecord` returns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { definedVariables } from '../config/env-vars.js';
import { MLF_VERSION } from '../version.js';

/** A versioned bucket under `$MLF_HOME`, like the environments' (env/home.ts). */
export const LAUNCH_BUCKET = 'launch-v1';
const RECORD_VERSION = 1;

/** How a worker is started: what predict compares before adopting an early worker. */
export interface WorkerLaunch {
  file: string;
  args: string[];
  cwd: string;
  /** The worker's complete environment. Compared, never written to disk. */
  env: Record<string, string>;
}

/** What became of the early worker in this run (shown by `--json` and `--verbose`). */
export type EarlyStartOutcome = 'adopted' | 'discarded' | 'none';

interface LaunchRecord {
  version: number;
  worker: Omit<WorkerLaunch, 'env'>;
  /**
   * Files whose change since the record was written stops the next early start; `present` only
   * asks that the path exist (a directory written into, a marker rewritten on every use).
   */
  files: { path: string; signature: string }[];
}

interface EarlyWorker {
  child: ChildProcess;
  launch: WorkerLaunch;
  failed: boolean;
}

/** The handle on one process's early start, made by cli/early-start.ts (`startEarly`). */
export interface EarlyStart {
  /**
   * Hands predict the early worker if it was started exactly as `launch` says and is still
   * running; otherwise kills it. Either way it is predict's (or nobody's) from then on.
   */
  offer(launch: WorkerLaunch): { child?: ChildProcess; outcome: EarlyStartOutcome };
  /**
   * After a successful predict: records how its worker was started and the files it depended on,
   * for the next identical command. A record that cannot be written is simply not written.
   */
  remember(launch: WorkerLaunch, dependsOn: { unchanged: string[]; present: string[] }): void;
  /** Kills an early worker nobody took (the command failed before starting one). */
  discard(): void;
}

/** For a command line that is not eligible: starts nothing, records nothing. */
export const NO_EARLY_START: EarlyStart = {
  offer: () => ({ outcome: 'none' }),
  remember: () => undefined,
  discard: () => undefined,
};

/** Where the launch record of a command line (less what does not decide its worker) run in `cwd` lives. */
export function launchRecordPath(mlfHome: string, keyArgs: string[], cwd: string): string {
  return path.join(mlfHome, LAUNCH_BUCKET, `${launchKey(keyArgs, cwd)}.json`);
}

/**
 * The early start behind one launch record: with `startWorker`, starts the worker the record
 * names when none of the files it depended on changed since; the handle's `remember` rewrites
 * the record. Never throws: any surprise just means no early start.
 */
export function openLaunchRecord(recordPath: string, env: NodeJS.ProcessEnv, options: { startWorker: boolean }): EarlyStart {
  let early = options.startWorker ? startRecordedWorker(recordPath, env) : undefined;
  // The early worker is handed over (or killed) at most once.
  const take = (): EarlyWorker | undefined => {
    const taken = early;
    early = undefined;
    return taken;
  };
  return {
    offer: (launch) => {
      const candidate = take();
      if (candidate === undefined) return { outcome: 'none' };
      const { child } = candidate;
      const running = !candidate.failed && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
      if (running && sameLaunch(candidate.launch, launch)) return { child, outcome: 'adopted' };
      child.kill('SIGKILL');
      return { outcome: 'discarded' };
    },
    remember: (launch, dependsOn) => writeRecord(recordPath, launch, dependsOn),
    discard: () => {
      take()?.child.kill('SIGKILL');
    },
  };
}

function startRecordedWorker(recordPath: string, env: NodeJS.ProcessEnv): EarlyWorker | undefined {
  try {
    const record = readRecord(recordPath);
    if (record === undefined || !record.files.every(unchangedSince)) return undefined;
    const launch: WorkerLaunch = { ...record.worker, env: definedVariables(env) };
    const child = spawn(launch.file, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const early: EarlyWorker = { child, launch, failed: false };
    // An interpreter that cannot be started: not adopted, and predict's own start reports it.
    child.once('error', () => {
      early.failed = true;
    });
    child.stdin?.on('error', () => undefined);
    process.once('exit', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return early;
  } catch {
    return undefined;
  }
}

function writeRecord(recordPath: string, launch: WorkerLaunch, dependsOn: { unchanged: string[]; present: string[] }): void {
  const record: LaunchRecord = {
    version: RECORD_VERSION,
    worker: { file: launch.file, args: launch.args, cwd: launch.cwd },
    files: [
      ...dependsOn.unchanged.map((file) => ({ path: file, signature: fileSignature(file) })),
      ...dependsOn.present.map((file) => ({ path: file, signature: PRESENT })),
    ],
  };
  const text = `${JSON.stringify(record)}\n`;
  try {
    if (readFileSync(recordPath, 'utf8') === text) return;
  } catch {
    // No record yet.
  }
  try {
    mkdirSync(path.dirname(recordPath), { recursive: true });
    const temporary = `${recordPath}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, recordPath);
  } catch {
    // A cache: a read-only MLF_HOME costs the next run its early start, nothing else.
  }
}

/**
 * Removes the launch records that can no longer start anything: those naming a path that must be
 * present and is not (an environment `mlf envs prune` removed), and unreadable ones. Returns how
 * many it removed.
 */
export function pruneLaunchRecords(mlfHome: string): number {
  const bucket = path.join(mlfHome, LAUNCH_BUCKET);
  let names: string[];
  try {
    names = readdirSync(bucket);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const file = path.join(bucket, name);
    const record = name.endsWith('.json') ? readRecord(file) : undefined;
    const live = record !== undefined && record.files.every((f) => f.signature !== PRESENT || existsSync(f.path));
    if (live) continue;
    try {
      rmSync(file, { force: true });
      removed += 1;
    } catch {
      // Left for the next prune.
    }
  }
  return removed;
}

/** The record's name: mlf's version, the command line's shape and the directory it ran in. */
function launchKey(args: string[], cwd: string): string {
  return createHash('sha256').update(JSON.stringify([MLF_VERSION, cwd, args])).digest('hex').slice(0, 32);
}

function readRecord(file: string): LaunchRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const record = parsed as Partial<LaunchRecord>;
  const worker = record.worker;
  if (
    record.version !== RECORD_VERSION ||
    !worker ||
    typeof worker.file !== 'string' ||
    typeof worker.cwd !== 'string' ||
    !Array.isArray(worker.args) ||
    !worker.args.every((arg) => typeof arg === 'string') ||
    !Array.isArray(record.files) ||
    !record.files.every((f) => f && typeof f.path === 'string' && typeof f.signature === 'string')
  ) {
    return undefined;
  }
  return record as LaunchRecord;
}

const PRESENT = 'present';

function unchangedSince(file: { path: string; signature: string }): boolean {
  if (file.signature === PRESENT) return existsSync(file.path);
  return fileSignature(file.path) === file.signature;
}

/** Size, modification time and inode, or `absent`: what tells a changed file without reading it. */
export function fileSignature(file: string): string {
  try {
    const stats = statSync(file, { bigint: true });
    return `${stats.size}:${stats.mtimeNs}:${stats.ino}`;
  } catch {
    return 'absent';
  }
}

function sameLaunch(a: WorkerLaunch, b: WorkerLaunch): boolean {
  if (a.file !== b.file || a.cwd !== b.cwd || a.args.length !== b.args.length) return false;
  if (!a.args.every((arg, i) => arg === b.args[i])) return false;
  const aKeys = Object.keys(a.env);
  if (aKeys.length !== Object.keys(b.env).length) return false;
  return aKeys.every((key) => Object.prototype.hasOwnProperty.call(b.env, key) && a.env[key] === b.env[key]);
}
