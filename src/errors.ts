/**
 * The one error type that core modules throw. The CLI turns it into one line on stderr
 * and an exit code; nothing below `cli/` prints or exits.
 *
 * Exit codes by category (design.md, Contracts):
 *   1  the check ran and found errors, or the model's own prediction failed
 *   2  bad usage or bad input: a missing file, malformed YAML, an invalid requirement
 *   3  an environment could not be built, or a server or the network failed (after retries)
 */
export type ErrorCategory = 'usage' | 'input' | 'model' | 'check' | 'environment' | 'server' | 'internal';

const EXIT_CODE_BY_CATEGORY: Record<ErrorCategory, number> = {
  usage: 2,
  input: 2,
  model: 1,
  check: 1,
  environment: 3,
  server: 3,
  internal: 1,
};

/** Where in a file a problem lies. Lines and columns are 1-based. */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** A dotted field path inside a structured file, e.g. `flavors.python_function.env`. */
  field?: string;
}

export interface MlfErrorOptions extends SourceLocation {
  /** What to do about it, shown after the message. */
  hint?: string;
  /** Extra lines shown under the message (e.g. the offending text and a caret). */
  detail?: string;
  cause?: unknown;
  /** Machine-readable extras kept in `--json` output. */
  data?: Record<string, unknown>;
}

export class MlfError extends Error {
  readonly category: ErrorCategory;
  /** A stable identifier, e.g. `INVALID_REQUIREMENT`, `MLMODEL_NOT_FOUND`. */
  readonly code: string;
  readonly hint?: string;
  readonly detail?: string;
  readonly location: SourceLocation;
  readonly data?: Record<string, unknown>;

  constructor(category: ErrorCategory, code: string, message: string, options: MlfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlfError';
    this.category = category;
    this.code = code;
    this.hint = options.hint;
    this.detail = options.detail;
    this.data = options.data;
    this.location = {
      file: options.file,
      line: options.line,
      column: options.column,
      field: options.field,
    };
  }

  get exitCode(): number {
    return EXIT_CODE_BY_CATEGORY[this.category];
  }

  /** `file:line:column` (as much of it as is known), or undefined. */
  get where(): string | undefined {
    const { file, line, column, field } = this.location;
    if (!file && !field) return undefined;
    let where = file ?? '';
    if (file && line !== undefined) where += `:${line}`;
    if (file && line !== undefined && column !== undefined) where += `:${column}`;
    if (field) where += where ? ` (field \`${field}\`)` : `field \`${field}\``;
    return where;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      category: this.category,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.detail ? { detail: this.detail } : {}),
      ...Object.fromEntries(Object.entries(this.location).filter(([, v]) => v !== undefined)),
      ...(this.data ? { data: this.data } : {}),
      exitCode: this.exitCode,
    };
  }
}

/** Bad input: a file that is missing, malformed, or holds an invalid value. Exit 2. */
export function inputError(code: string, message: string, options?: MlfErrorOptions): MlfError {
  return new MlfError('input', code, message, options);
}

/** Bad usage: flags that do not fit together, a value of the wrong form. Exit 2. */
export function usageError(code: string, message: string, options?: MlfErrorOptions): MlfError {
  return new MlfError('usage', code, message, options);
}

/** An environment could not be built. Exit 3. */
export function environmentError(code: string, message: string, options?: MlfErrorOptions): MlfError {
  return new MlfError('environment', code, message, options);
}

/** The model itself failed (load or predict). Exit 1. */
export function modelError(code: string, message: string, options?: MlfErrorOptions): MlfError {
  return new MlfError('model', code, message, options);
}

export function isMlfError(error: unknown): error is MlfError {
  return error instanceof MlfError;
}
