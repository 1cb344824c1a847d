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
 * `MLF_EARLY_START=0` (or `false`) turns it off.
 *
 * Everything here runs before the CLI is loaded, so it uses only Node's own modules, synchronously.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';
import { definedVariables, ENV, readBooleanEnv } from '../config/env-vars.js';
import { MLF_VERSION } from '../version.js';

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

/** Module state: one early start per process (bin/mlf.js calls startEarlyWorker once). */
let recordPath: string | undefined;
let early: EarlyWorker | undefined;

/**
 * Called by bin/mlf.js with the process's own argv, environment and directory, before the CLI is
 * imported. Starts the worker of the last identical successful predict when nothing it depended on
 * changed; otherwise does nothing. Never throws: any surprise just means no early start.
 */
export function startEarlyWorker(argv: string[], env: NodeJS.ProcessEnv, cwd: string, mlfHome: string): void {
  discardEarlyWorker();
  recordPath = undefined;
  try {
    if (!readBooleanEnv(env, ENV.MLF_EARLY_START, true)) return;
    const shape = commandShape(argv.slice(2));
    if (shape === undefined) return;
    recordPath = path.join(bucketDir(mlfHome, 'launch'), `${launchKey(shape.keyArgs, cwd)}.json`);
    // What predict checks before it starts a worker: do not start one early for a run that will
    // stop before that (a missing input file or output directory).
    if (shape.input !== undefined && shape.input !== '-' && !isFile(path.resolve(cwd, shape.input))) return;
    if (shape.output !== undefined && !isDirectory(path.dirname(path.resolve(cwd, shape.output)))) return;
    const record = readRecord(recordPath);
    if (record === undefined || !record.files.every(unchangedSince)) return;
    const launch: WorkerLaunch = { ...record.worker, env: definedVariables(env) };
    const child = spawn(launch.file, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
    early = { child, launch, failed: false };
    const current = early;
    // An interpreter that cannot be started: not adopted, and predict's own start reports it.
    child.once('error', () => {
      current.failed = true;
    });
    child.stdin?.on('error', () => undefined);
    process.once('exit', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  } catch {
    early = undefined;
  }
}

/**
 * Hands predict the early worker if it was started exactly as `launch` says and is still running;
 * otherwise kills it. Either way it is predict's (or nobody's) from now on.
 */
export function takeEarlyWorker(launch: WorkerLaunch): { child?: ChildProcess; outcome: EarlyStartOutcome } {
  const candidate = early;
  early = undefined;
  if (candidate === undefined) return { outcome: 'none' };
  const { child } = candidate;
  const running = !candidate.failed && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  if (running && sameLaunch(candidate.launch, launch)) return { child, outcome: 'adopted' };
  child.kill('SIGKILL');
  return { outcome: 'discarded' };
}

/** Kills an early worker nobody took (the command failed before starting one, or was not predict). */
export function discardEarlyWorker(): void {
  takeEarlyWorker({ file: '', args: [], cwd: '', env: {} });
}

/**
 * After a successful predict: records how its worker was started and the files it depended on,
 * for the next identical command. Does nothing when this process made no early-start lookup (mlf
 * run in-process, or not eligible). A record that cannot be written is simply not written.
 */
export function rememberLaunch(launch: WorkerLaunch, dependsOn: { unchanged: string[]; present: string[] }): void {
  if (recordPath === undefined) return;
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
  const bucket = bucketDir(mlfHome, 'launch');
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

/** The options of `mlf models predict` whose values do not decide how its worker starts. */
const INPUT_OPTIONS = ['-i', '--input-path'];
const OUTPUT_OPTIONS = ['-o', '--output-path'];
const FORMAT_OPTIONS = ['-t', '--content-type'];
/** Switches that change only what mlf prints, not the worker. */
const OUTPUT_SWITCHES = ['--json', '-q', '--quiet', '-v', '--verbose', '--strict-json'];

/**
 * For `mlf models predict ...`: the command line without what does not decide how its worker
 * starts (a worker serves any input, in any format, and mlf prints its answer as asked: predicting
 * a new file, or with `--json`, is still the same command), and the input and output paths.
 * Undefined for any other command, for help, and with `--env` (whose values a record would have
 * to keep on disk).
 */
export function commandShape(args: string[]): { keyArgs: string[]; input?: string; output?: string } | undefined {
  if (args[0] !== 'models' || args[1] !== 'predict') return undefined;
  const keyArgs: string[] = [];
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--env' || arg.startsWith('--env=') || arg === '-h' || arg === '--help') return undefined;
    if (OUTPUT_SWITCHES.includes(arg)) continue;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (![...INPUT_OPTIONS, ...OUTPUT_OPTIONS, ...FORMAT_OPTIONS].includes(name)) {
      keyArgs.push(arg);
      continue;
    }
    const value = inline ?? args[(i += 1)];
    if (value === undefined) return undefined;
    if (INPUT_OPTIONS.includes(name)) input = value;
    else if (OUTPUT_OPTIONS.includes(name)) output = value;
  }
  return { keyArgs, ...(input !== undefined ? { input } : {}), ...(output !== undefined ? { output } : {}) };
}

/** The record's name: mlf's version, the command line's shape and the directory it ran in. */
export function launchKey(args: string[], cwd: string): string {
  return createHash('sha256').update(JSON.stringify([MLF_VERSION, cwd, args])).digest('hex').slice(0, 32);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
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
