import { countSeverities, type Diagnostic, type SeverityCounts } from './diagnostic.js';

/** What validation found for one model argument. */
export interface ModelReport {
  /** The argument as the user gave it. */
  model: string;
  /** The absolute path it resolved to. */
  path: string;
  /** False when the argument was not a readable directory (the run then exits 2). */
  readable: boolean;
  diagnostics: Diagnostic[];
  /** What `--fix` changed (empty without `--fix`, or when nothing needed fixing). */
  fixes: AppliedFix[];
  counts: SeverityCounts;
}

export interface AppliedFix {
  /** The file changed, relative to the model directory. */
  file: string;
  /** The rule whose finding was fixed. */
  code: string;
  /** What changed, e.g. "channel `defaults` -> `conda-forge`". */
  description: string;
}

export interface ValidationSummary {
  models: number;
  errors: number;
  warnings: number;
  infos: number;
  unreadable: number;
  fixes: number;
  exitCode: 0 | 1 | 2;
}

export function makeReport(model: string, path: string, readable: boolean, diagnostics: Diagnostic[], fixes: AppliedFix[] = []): ModelReport {
  return { model, path, readable, diagnostics, fixes, counts: countSeverities(diagnostics) };
}

/** Adds up reports as they stream by. */
export class SummaryCollector {
  private summary: Omit<ValidationSummary, 'exitCode'> = { models: 0, errors: 0, warnings: 0, infos: 0, unreadable: 0, fixes: 0 };

  constructor(private readonly strict: boolean) {}

  add(report: ModelReport): void {
    this.summary.models += 1;
    this.summary.errors += report.counts.error;
    this.summary.warnings += report.counts.warning;
    this.summary.infos += report.counts.info;
    this.summary.fixes += report.fixes.length;
    if (!report.readable) this.summary.unreadable += 1;
  }

  /**
   * Exit 2 when an argument could not be read at all, else 1 when errors were found (or
   * warnings under `--strict`), else 0.
   */
  result(): ValidationSummary {
    const { unreadable, errors, warnings } = this.summary;
    const exitCode = unreadable > 0 ? 2 : errors > 0 || (this.strict && warnings > 0) ? 1 : 0;
    return { ...this.summary, exitCode };
  }
}

/** Does this report fail the run? */
export function reportFails(report: ModelReport, strict: boolean): boolean {
  return !report.readable || report.counts.error > 0 || (strict && report.counts.warning > 0);
}
