/**
 * What every fuzz case must satisfy, whatever the input (issue 9, and the contracts in
 * docs/design): a known exit code, no hang, no stack trace or internal error without --verbose,
 * one JSON object on stdout with --json, a short stderr, and a model directory left exactly as it
 * was by a failed command. Pure: the caller passes the outcome and the directory snapshots.
 */
import type { Outcome } from './runner.js';

export type Rule =
  | 'hang'
  | 'exit-code'
  | 'stack-trace'
  | 'internal-error'
  | 'json-stdout'
  | 'stderr-lines'
  | 'stderr-line-length'
  | 'changed-after-failure'
  | 'changed-other-files'
  | 'left-scratch'
  | 'left-temp'
  | 'accepted-invalid';

export interface Violation {
  rule: Rule;
  message: string;
}

export interface Expectations {
  json: boolean;
  /** The command only reads the model directory (validate, predict): it never changes it. */
  readOnly: boolean;
  /** What the command may change when it succeeds (relative paths). */
  mayChange: (relative: string) => boolean;
  /** A planted stale lock may be taken over: entries under `.mlf-lock` may disappear. */
  lockPlanted: boolean;
  /** An input line the command must report (exit 1 or 2), or undefined. */
  mustReject: string | undefined;
  /** validate's exit 1 means "checked, and found errors": the command did its job (and --fix may have fixed something). */
  exitOneIsFindings: boolean;
  timeoutMs: number;
}

/**
 * stderr holds at most one `error:` line, a short block under it (the offending text and a
 * caret, or predict's "Try, in order" hint), and a few one-line warnings.
 */
export const MAX_ERROR_LINES = 1;
export const MAX_BLOCK_LINES = 5;
export const MAX_WARNING_LINES = 5;
/** Long enough for MLflow's own longest messages (~1,100 characters), short of an echoed payload. */
export const MAX_LINE_LENGTH = 2_000;
export const EXIT_CODES: ReadonlySet<number> = new Set([0, 1, 2, 3]);

const NODE_FRAME = /^ {4}at /m;
const PYTHON_TRACEBACK = /Traceback \(most recent call last\)/;
const PYTHON_FRAME = /^\s*File "[^"]*", line \d+/m;
/** An exception's own line, as Node or Python prints it when nothing caught it: `TypeError: ...`, `Error: ...`. */
const BARE_EXCEPTION = /^(?:[A-Z][A-Za-z0-9_.]*)?(?:Error|Exception):/m;
/** render.ts's wording for an error that is not an MlfError. */
const INTERNAL = /internal error/i;
const SCRATCH = /\.mlf-tmp-|^\.mlf-lock(?:-stale-.*)?(?:\/|$)|^\.mlf-transaction\.json$/;

/** `tempLeft`: what the command left in its private TMPDIR. */
export function checkOutcome(outcome: Outcome, expect: Expectations, before: Record<string, string>, after: Record<string, string>, tempLeft: readonly string[] = []): Violation[] {
  const found: Violation[] = [];
  const add = (rule: Rule, message: string) => found.push({ rule, message });

  if (outcome.timedOut) add('hang', `no exit after ${Math.round(expect.timeoutMs / 1000)} s (process group killed)`);
  else if (outcome.exitCode === null) add('exit-code', `ended by signal ${outcome.signal}`);
  else if (!EXIT_CODES.has(outcome.exitCode)) add('exit-code', `exit code ${outcome.exitCode}`);

  const { stderr, stdout } = outcome;
  const trace = [NODE_FRAME, PYTHON_TRACEBACK, PYTHON_FRAME].find((re) => re.test(stderr) || (expect.json && re.test(stdout)) || (re === PYTHON_TRACEBACK && re.test(stdout)));
  if (trace) add('stack-trace', `stack frames in the output: ${firstMatch(trace, stderr) ?? firstMatch(trace, stdout)}`);
  if (INTERNAL.test(stderr)) add('internal-error', `internal error on stderr: ${firstMatch(/^.*internal error.*$/im, stderr)}`);
  else if (BARE_EXCEPTION.test(stderr)) add('internal-error', `a bare exception line on stderr: ${firstMatch(BARE_EXCEPTION, stderr)}`);

  if (expect.json && !outcome.timedOut) {
    const problem = jsonProblem(stdout, outcome.stdoutTruncated);
    if (problem) add('json-stdout', problem);
    else {
      const error = (JSON.parse(stdout) as { error?: { code?: unknown; category?: unknown; message?: unknown } }).error;
      if (error && (error.code === 'INTERNAL_ERROR' || error.category === 'internal')) add('internal-error', `the JSON error is INTERNAL_ERROR: ${cut(String(error.message))}`);
    }
  }

  const lines = stderr === '' ? [] : stderr.replace(/\n$/, '').split('\n');
  const errors = lines.filter((l) => l.startsWith('error:')).length;
  const warnings = lines.filter((l) => l.startsWith('warning:')).length;
  const block = lines.length - errors - warnings;
  if (errors > MAX_ERROR_LINES || block > MAX_BLOCK_LINES || warnings > MAX_WARNING_LINES) {
    add('stderr-lines', `${lines.length} lines on stderr: ${errors} error, ${warnings} warning, ${block} other (at most ${MAX_ERROR_LINES}, ${MAX_WARNING_LINES}, ${MAX_BLOCK_LINES}); the first: ${firstMatch(/^/, stderr)}`);
  }
  const longest = lines.reduce((max, l) => Math.max(max, l.length), 0);
  if (longest > MAX_LINE_LENGTH || outcome.stderrTruncated) {
    add('stderr-line-length', `a ${outcome.stderrTruncated ? `${outcome.stderrBytes}-byte stderr with a` : `${longest}-character`} line (at most ${MAX_LINE_LENGTH})`);
  }

  const changes = diffSnapshots(before, after).filter((change) => !(expect.lockPlanted && change.kind === 'removed' && /^\.mlf-lock(\/|$)/.test(change.path)));
  const failed = outcome.timedOut || (outcome.exitCode !== 0 && !(outcome.exitCode === 1 && expect.exitOneIsFindings));
  if (changes.length > 0 && failed && !outcome.timedOut) {
    add('changed-after-failure', `the model directory changed although the command failed: ${summarize(changes)}`);
  } else if (changes.length > 0 && !failed) {
    const other = changes.filter((change) => expect.readOnly || !expect.mayChange(change.path));
    if (other.length > 0) add('changed-other-files', `${expect.readOnly ? 'a read-only command changed' : 'the command changed files it does not own'}: ${summarize(other)}`);
  }
  const scratch = Object.keys(after).filter((p) => SCRATCH.test(p) && !(p in before));
  if (scratch.length > 0 && !outcome.timedOut) add('left-scratch', `left behind: ${scratch.slice(0, 5).join(', ')}`);
  if (tempLeft.length > 0 && !outcome.timedOut) add('left-temp', `left in TMPDIR: ${tempLeft.slice(0, 5).join(', ')}`);

  if (expect.mustReject !== undefined && outcome.exitCode === 0) add('accepted-invalid', `exit 0 although the input has \`${expect.mustReject}\``);
  return found;
}

export interface Change {
  kind: 'added' | 'removed' | 'changed';
  path: string;
}

export function diffSnapshots(before: Record<string, string>, after: Record<string, string>): Change[] {
  const changes: Change[] = [];
  for (const [p, value] of Object.entries(before)) {
    if (!(p in after)) changes.push({ kind: 'removed', path: p });
    else if (after[p] !== value) changes.push({ kind: 'changed', path: p });
  }
  for (const p of Object.keys(after)) if (!(p in before)) changes.push({ kind: 'added', path: p });
  return changes;
}

function summarize(changes: Change[]): string {
  const shown = changes.slice(0, 5).map((c) => `${c.kind} ${c.path}`);
  return changes.length > 5 ? `${shown.join(', ')} (+${changes.length - 5} more)` : shown.join(', ');
}

function jsonProblem(stdout: string, truncated: boolean): string | undefined {
  if (truncated) return 'stdout is too large to be the one JSON object (capture limit reached)';
  if (stdout.trim() === '') return 'stdout is empty';
  try {
    const value = JSON.parse(stdout) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `stdout is JSON but not an object: ${stdout.slice(0, 80)}`;
    return undefined;
  } catch {
    return `stdout is not exactly one JSON object: ${JSON.stringify(stdout.slice(0, 120))}`;
  }
}

function cut(text: string, max = 160): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

function firstMatch(re: RegExp, text: string): string | undefined {
  const index = text.search(re);
  if (index < 0) return undefined;
  const lineStart = text.lastIndexOf('\n', index) + 1;
  const lineEnd = text.indexOf('\n', index);
  return cut(text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd));
}
