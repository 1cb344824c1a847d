/**
 * The early start of `mlf models predict`'s worker (worker/early-worker.ts explains the idea):
 * bin/mlf.js calls `startEarly` first thing, before it loads the CLI, and hands the handle to
 * `main`, which gives it to the predict command. A separate bundle entry (scripts/bundle.mjs), so
 * it loads only Node's own modules, env-paths and the flag tables.
 *
 * Which command lines qualify and what their key is come from predict's flag table
 * (predict-flags.ts): the key is the command line less the flags that do not decide the worker
 * (a worker serves any input, in any format, and mlf prints its answer as asked: predicting a new
 * file, or with `--json`, is still the same command).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ENV, readBooleanEnv } from '../config/env-vars.js';
import { resolveMlfHome } from '../env/home.js';
import { launchRecordPath, NO_EARLY_START, openLaunchRecord, type EarlyStart } from '../worker/early-worker.js';
import type { FlagRow } from './flag-table.js';
import { INPUT_PATH, OUTPUT_PATH, PREDICT_FLAGS } from './predict-flags.js';

export type { EarlyStart } from '../worker/early-worker.js';

/**
 * For the process's own argv, environment and directory: starts the worker of the last identical
 * successful predict when nothing it depended on changed, and returns the handle predict offers
 * its launch to and remembers it with. `MLF_EARLY_START=0` (or `false`) turns it off. Never
 * throws: any surprise just means no early start.
 */
export function startEarly(argv: string[], env: NodeJS.ProcessEnv, cwd: string): EarlyStart {
  try {
    if (!readBooleanEnv(env, ENV.MLF_EARLY_START, true)) return NO_EARLY_START;
    const shape = commandShape(argv.slice(2));
    if (shape === undefined) return NO_EARLY_START;
    const recordPath = launchRecordPath(resolveMlfHome({ env, cwd }), shape.keyArgs, cwd);
    // What predict checks before it starts a worker: do not start one early for a run that will
    // stop before that (a missing input file or output directory). It may still remember.
    const stopsFirst =
      (shape.input !== undefined && shape.input !== '-' && kindOf(path.resolve(cwd, shape.input)) !== 'file') ||
      (shape.output !== undefined && kindOf(path.dirname(path.resolve(cwd, shape.output))) !== 'directory');
    return openLaunchRecord(recordPath, env, { startWorker: !stopsFirst });
  } catch {
    return NO_EARLY_START;
  }
}

/** commander's own help flags: help starts no worker. */
const HELP_SPELLINGS = ['-h', '--help'];

/**
 * For `mlf models predict ...`: the command line without the flags (and their values) that do
 * not decide how its worker starts, and the input and output paths. Undefined for any other
 * command, for help, for a flag whose values must stay off disk (`--env`) and for a dropped flag
 * without its value. A `--flag=value` is recognised for long spellings, as commander does.
 */
export function commandShape(args: string[]): { keyArgs: string[]; input?: string; output?: string } | undefined {
  if (args[0] !== 'models' || args[1] !== 'predict') return undefined;
  const keyArgs: string[] = [];
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (HELP_SPELLINGS.includes(arg)) return undefined;
    const { row, inline } = flagOf(arg);
    if (row?.keepOffDisk) return undefined;
    if (row === undefined || row.decidesWorker) {
      keyArgs.push(arg);
      continue;
    }
    if (row.argument === undefined) continue;
    const value = inline ?? args[(i += 1)];
    if (value === undefined) return undefined;
    if (row === INPUT_PATH) input = value;
    else if (row === OUTPUT_PATH) output = value;
  }
  return { keyArgs, ...(input !== undefined ? { input } : {}), ...(output !== undefined ? { output } : {}) };
}

/** The predict flag an argument spells, with its `=value` when it has one. */
function flagOf(arg: string): { row?: FlagRow; inline?: string } {
  const exact = PREDICT_FLAGS.find((row) => row.spellings.includes(arg));
  if (exact !== undefined) return { row: exact };
  const at = arg.indexOf('=');
  if (!arg.startsWith('--') || at < 0) return {};
  const name = arg.slice(0, at);
  const row = PREDICT_FLAGS.find((candidate) => candidate.argument !== undefined && candidate.spellings.includes(name));
  return row === undefined ? {} : { row, inline: arg.slice(at + 1) };
}

/** What is at a path: `file`, `directory`, `other`, or undefined when nothing can be seen there. */
function kindOf(file: string): 'file' | 'directory' | 'other' | undefined {
  try {
    const stats = statSync(file);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}
