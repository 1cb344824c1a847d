import type { ModelReport, ValidationSummary } from '../report.js';

/**
 * A report format. Output is produced piece by piece so that a run over many models streams:
 * `begin` once, `model` as each model finishes, `end` with the totals. Every method returns the
 * text to write on stdout (possibly empty); none writes anything itself.
 */
export interface ReportFormatter {
  begin(): string;
  model(report: ModelReport): string;
  end(summary: ValidationSummary): string;
}

export type FormatName = 'text' | 'json' | 'github' | 'sarif';

export const FORMAT_NAMES: readonly FormatName[] = ['text', 'json', 'github', 'sarif'];

export interface FormatOptions {
  /** Directory that file paths in github and sarif output are relative to (the repository root in CI). */
  cwd: string;
  /** ANSI colours in text output. */
  color: boolean;
  /** The mlf version, recorded in json and sarif. */
  version: string;
  strict: boolean;
}
