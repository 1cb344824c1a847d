/**
 * What went wrong in a model worker, as data: a `WorkerFailure` says which kind of failure, at
 * which stage, what the worker (or Python) said and where, and carries no advice on what to run
 * about it. Callers decide on that: ops/ adds the facts a missing module needs (which
 * distribution provides it, at which version), cli/fix-commands.ts the commands to suggest, and
 * `serve` will map kinds to HTTP statuses.
 *
 * Every failure the worker layer throws is a `WorkerFailureError`: an `MlfError` of the right
 * category (so that it renders as one line, the worker's text and traceback under --verbose)
 * that also holds its `WorkerFailure`.
 */
import path from 'node:path';
import { distributionForModule } from '../deps/module-provider.js';
import { MlfError, type ErrorCategory, type MlfErrorOptions } from '../errors.js';
import type { ErrorReply } from './protocol.js';

/** Loading the model (from the start of the worker to its `ready`), or answering a predict request. */
export type WorkerStage = 'load' | 'predict';

export type WorkerFailureKind =
  /** Python could not import a module (`module` names it). */
  | 'missing-module'
  /** The model's loader raised. */
  | 'load-failed'
  /** A file of the model is damaged (MLmodel not YAML, a signature not JSON). */
  | 'bad-model-file'
  /** The input could not be read as the content type says. */
  | 'bad-input'
  /** The input does not match the model's signature. */
  | 'schema'
  /** The model raised while predicting. */
  | 'predict-failed'
  /** The worker itself failed, or was sent a request it does not know: a bug. */
  | 'internal'
  /** The worker exited or was killed before answering. */
  | 'crashed'
  /** The worker broke the protocol: a line that is not a message, another protocol version. */
  | 'protocol'
  /** The worker did not say hello in time. */
  | 'timeout'
  /** The environment's interpreter could not be started at all. */
  | 'no-interpreter';

export interface WorkerFailure {
  kind: WorkerFailureKind;
  stage: WorkerStage;
  /** For `missing-module`: the module as Python named it, e.g. `cv2` or `sklearn.ensemble`. */
  module?: string;
  /** The worker's (or Python's) own words, uncut. */
  message: string;
  /** The Python traceback, when the worker sent one. */
  traceback?: string;
  /** The worker's full message when `message` is the cut one it sent. */
  detail?: string;
  /** Where the worker says the problem is (absolute paths, as the worker saw them). */
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  /** The worker's own hint (e.g. for a damaged MLmodel). */
  hint?: string;
  /** For `bad-input`: what the input looks like instead, when the worker could tell. */
  inputLooksLike?: 'csv';
  /** The worker's kind as the protocol spells it, for errors that replied (kept in `--json` data). */
  replyKind?: ErrorReply['kind'];
  /** For `crashed` and the like: the worker's last lines on stderr. */
  stderrTail?: string;
}

export class WorkerFailureError extends MlfError {
  readonly failure: WorkerFailure;

  constructor(failure: WorkerFailure, category: ErrorCategory, code: string, message: string, options: MlfErrorOptions = {}) {
    super(category, code, message, options);
    this.failure = failure;
  }
}

/** Whether `error` is a worker failure (of `kind`, when given). */
export function isWorkerFailure(error: unknown, kind?: WorkerFailureKind): error is WorkerFailureError {
  return error instanceof WorkerFailureError && (kind === undefined || error.failure.kind === kind);
}

const KIND_OF_REPLY: Record<ErrorReply['kind'], WorkerFailureKind> = {
  missing_module: 'missing-module',
  bad_input: 'bad-input',
  schema: 'schema',
  bad_model_file: 'bad-model-file',
  model_error: 'predict-failed',
  load_error: 'load-failed',
  bad_request: 'internal',
  internal: 'internal',
};

/** A worker's error reply as a failure. */
export function failureOfReply(reply: ErrorReply, stage: WorkerStage): WorkerFailure {
  return {
    kind: KIND_OF_REPLY[reply.kind],
    stage,
    replyKind: reply.kind,
    message: reply.message,
    ...(reply.module != null ? { module: reply.module } : {}),
    ...(reply.traceback ? { traceback: reply.traceback } : {}),
    ...(reply.detail !== undefined ? { detail: reply.detail } : {}),
    ...(reply.file !== undefined ? { file: reply.file } : {}),
    ...(reply.line !== undefined ? { line: reply.line } : {}),
    ...(reply.column !== undefined ? { column: reply.column } : {}),
    ...(reply.field !== undefined ? { field: reply.field } : {}),
    ...(reply.hint ? { hint: reply.hint } : {}),
    ...(reply.input_looks_like === 'csv' ? { inputLooksLike: 'csv' as const } : {}),
  };
}

/**
 * The worker's full message (when its line was cut) and its Python traceback, as the `cause` of
 * the MlfError: the CLI shows a cause under --verbose only, so the error itself stays one line.
 */
export class WorkerErrorDetails extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'WorkerErrorDetails';
    // What --verbose prints is the stack: the worker's text, not Node's frames.
    this.stack = text;
  }

  static of(failure: Pick<WorkerFailure, 'detail' | 'traceback'>): WorkerErrorDetails | undefined {
    const parts: string[] = [];
    if (failure.detail !== undefined) parts.push(`the worker's full message:\n${failure.detail.trimEnd()}`);
    if (failure.traceback) parts.push(`the Python traceback:\n${failure.traceback.trimEnd()}`);
    return parts.length > 0 ? new WorkerErrorDetails(parts.join('\n\n')) : undefined;
  }
}

/** At most this many characters of a worker's text reach the error line (the worker cuts too). */
const MAX_LINE = 300;
const CUT_MARKER = /… \(\d+ more characters; --verbose shows all\)$/;

/**
 * One line of readable length: line breaks and runs of blanks become one space, and anything past
 * MAX_LINE characters is cut with a marker. The worker already does this (mlf_worker/errors.py, cut_message);
 * this covers text from elsewhere (a worker's stderr, an older or foreign worker).
 */
export function oneLine(text: string, limit = MAX_LINE): string {
  const flat = text.split(/\s+/).filter(Boolean).join(' ');
  // Already cut by the worker: its marker counts what it left out.
  const uncut = flat.replace(CUT_MARKER, '');
  if (uncut.length <= limit) return flat;
  const shown = flat.slice(0, limit).trimEnd();
  return `${shown}… (${flat.length - shown.length} more characters; --verbose shows all)`;
}

/** How the files a worker error names are shown: as the user typed them where mlf knows that. */
export interface WorkerFileNames {
  /** Absolute path of the model directory, and how the user named it. */
  modelDir?: string;
  modelLabel?: string;
  /** Absolute path of the input file the worker was given, and how the user named it. */
  inputPath?: string;
  inputLabel?: string;
  outputPath?: string;
  outputLabel?: string;
}

function shownFile(file: string | undefined, names: WorkerFileNames): string | undefined {
  if (file === undefined) return undefined;
  if (names.inputPath !== undefined && file === names.inputPath) return names.inputLabel ?? file;
  if (names.outputPath !== undefined && file === names.outputPath) return names.outputLabel ?? file;
  if (names.modelDir !== undefined) {
    const relative = path.relative(names.modelDir, file);
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) return path.join(names.modelLabel ?? names.modelDir, relative);
  }
  return file;
}

/** A problem of the input names the input file (as the user typed it) when the worker named none. */
function withInputFile(location: MlfErrorOptions, names: WorkerFileNames): MlfErrorOptions {
  if (location.file !== undefined || names.inputPath === undefined) return location;
  return { ...location, file: names.inputLabel ?? names.inputPath };
}

const TRACEBACK_HINT = '--verbose shows the Python traceback';

/**
 * A failure the worker replied with, as the user sees it: one line (the worker's message, the
 * file it names, a hint), and the worker's full text and traceback as the cause, for --verbose.
 * Exit codes follow the categories: malformed input, a signature mismatch or a damaged model file
 * is 2 (input); the model's own exception or a missing module is 1 (model); a failure of the
 * worker itself is 1.
 */
export function replyFailureError(failure: WorkerFailure, names: WorkerFileNames = {}): WorkerFailureError {
  const { stage } = failure;
  const message = oneLine(failure.message);
  // Cut here rather than by the worker: the worker's text itself is the full message.
  const details = WorkerErrorDetails.of({ ...failure, detail: failure.detail ?? (message === failure.message ? undefined : failure.message) });
  const cause = details ? { cause: details } : {};
  const file = shownFile(failure.file, names);
  const location: MlfErrorOptions = {
    ...(file !== undefined ? { file } : {}),
    ...(failure.line !== undefined ? { line: failure.line } : {}),
    ...(failure.column !== undefined ? { column: failure.column } : {}),
    ...(failure.field !== undefined ? { field: failure.field } : {}),
  };
  const data = { workerKind: failure.replyKind, stage };
  const error = (category: ErrorCategory, code: string, text: string, options: MlfErrorOptions) => new WorkerFailureError(failure, category, code, text, options);
  switch (failure.kind) {
    case 'missing-module': {
      const module = failure.module ?? 'unknown';
      // A distribution is named only when a table vouches for it: a guess from the module name is
      // how dependency confusion starts (ops/missing-module-hint.ts asks the index before naming one).
      const missing = distributionForModule(module);
      return error('model', 'MISSING_MODULE', `the model ${stage === 'load' ? 'could not be loaded' : 'failed while predicting'}: ${message}`, {
        hint: missing.known
          ? `\`${module}\` is provided by the distribution \`${missing.distribution}\`, which is not installed in the model's environment`
          : `\`${module}\` is not installed in the model's environment, and no table of mlf's says which distribution provides it: if it is the model's own code, re-save the model with it as a code path`,
        data: { module, distribution: missing.distribution, known: missing.known, pythonMessage: failure.message, stage },
        ...cause,
      });
    }
    case 'bad-input':
      return error('input', 'BAD_INPUT', message, {
        ...withInputFile(location, names),
        ...(failure.inputLooksLike === 'csv' ? { hint: 'the input looks like CSV: pass `-t csv`' } : failure.hint ? { hint: failure.hint } : {}),
        data,
        ...cause,
      });
    case 'schema':
      return error('input', 'SCHEMA_MISMATCH', `the input does not match the model signature: ${message}`, {
        ...withInputFile(location, names),
        hint: 'MLmodel `signature.inputs` lists the columns and types the model takes; --verbose shows MLflow\'s full message',
        data,
        ...cause,
      });
    case 'bad-model-file':
      return error('input', 'BAD_MODEL_FILE', message, { ...location, ...(failure.hint ? { hint: failure.hint } : {}), data, ...cause });
    case 'predict-failed':
      return error('model', 'MODEL_PREDICT_FAILED', `the model raised an exception while predicting: ${message}`, { ...location, hint: TRACEBACK_HINT, data, ...cause });
    case 'load-failed':
      return error('model', 'MODEL_LOAD_FAILED', `the model could not be loaded: ${message}`, { ...location, hint: failure.hint ?? TRACEBACK_HINT, data, ...cause });
    default:
      return error('internal', 'WORKER_INTERNAL', `the model worker failed: ${message}`, {
        ...location,
        hint: `this is a bug in mlf: ${TRACEBACK_HINT}; please report it`,
        data,
        ...cause,
      });
  }
}

/** A worker that could not even be started (no such interpreter): an environment problem. */
export function interpreterMissingError(pythonPath: string, cause: unknown, stage: WorkerStage = 'load'): WorkerFailureError {
  const message = `cannot start the environment's interpreter \`${pythonPath}\``;
  return new WorkerFailureError({ kind: 'no-interpreter', stage, message }, 'environment', 'PYTHON_NOT_FOUND', message, {
    cause,
    hint: 'the environment may have been removed while in use; run again to rebuild it',
  });
}
