/**
 * A diagnostic: one problem found in one file of a model directory.
 *
 * `code` is stable across releases (documented in the README's rule table); `file` is relative to the
 * model directory, with `/` separators; `line` and `column` are 1-based.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: string;
  severity: Severity;
  file: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

export function countSeverities(diagnostics: readonly Diagnostic[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity] += 1;
  return counts;
}

/** Orders diagnostics by file, then line, then column, then code: the order every format prints. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    compareFiles(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    a.code.localeCompare(b.code) ||
    a.message.localeCompare(b.message)
  );
}

/** MLmodel first (everything else hangs off it), then the rest by name. */
function compareFiles(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'MLmodel') return -1;
  if (b === 'MLmodel') return 1;
  return a < b ? -1 : 1;
}
