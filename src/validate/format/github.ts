import type { Severity } from '../diagnostic.js';
import { ruleInfo } from '../catalog.js';
import type { ModelReport, ValidationSummary } from '../report.js';
import type { FormatOptions, ReportFormatter } from './formatter.js';
import { displayPath } from './paths.js';

/**
 * GitHub Actions workflow commands, one annotation per diagnostic:
 *
 *   ::error file=models/iris/requirements.txt,line=3,title=MLF204 unpinned-requirement::`numpy` is not pinned ...
 *
 * Values are escaped as the runner unescapes them: in the message `%`, CR and LF; in property
 * values also `:` and `,`. File paths are relative to the working directory (run from the
 * repository root so that annotations land on the files).
 */
const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function githubFormatter(options: FormatOptions): ReportFormatter {
  return {
    begin: () => '',
    model(report: ModelReport) {
      return report.diagnostics
        .map((d) => {
          const properties = [`file=${escapeProperty(displayPath(report, d, options.cwd))}`];
          if (d.line !== undefined) properties.push(`line=${d.line}`);
          if (d.column !== undefined) properties.push(`col=${d.column}`);
          properties.push(`title=${escapeProperty(`${d.code} ${ruleInfo(d.code).name}`)}`);
          const message = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
          return `::${COMMAND[d.severity]} ${properties.join(',')}::${escapeData(message)}\n`;
        })
        .join('');
    },
    end(summary: ValidationSummary) {
      return `mlf models validate: ${summary.errors} error(s), ${summary.warnings} warning(s), ${summary.infos} note(s) in ${summary.models} model(s)\n`;
    },
  };
}
