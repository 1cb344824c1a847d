import type { Diagnostic, Severity } from '../diagnostic.js';
import type { ModelReport, ValidationSummary } from '../report.js';
import type { FormatOptions, ReportFormatter } from './formatter.js';

/**
 * Human text, grouped by model and then by file:
 *
 *   models/iris
 *     conda.yaml
 *       2      warning  the channel `defaults` is ... [MLF401]
 *              hint: use `conda-forge`; `--fix` rewrites the channel
 *
 *   2 problems (0 errors, 2 warnings, 0 notes) in 1 of 1 model(s)
 */
export function textFormatter(options: FormatOptions): ReportFormatter {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const severityText = (severity: Severity) => {
    const label = severity === 'info' ? 'info' : severity;
    const padded = label.padEnd(7);
    return severity === 'error' ? paint('31', padded) : severity === 'warning' ? paint('33', padded) : paint('36', padded);
  };
  let modelsWithProblems = 0;
  return {
    begin: () => '',
    model(report) {
      const lines: string[] = [];
      if (report.diagnostics.length === 0 && report.fixes.length === 0) {
        return `${paint('1', report.model)}: ${paint('32', 'ok')}\n`;
      }
      if (report.diagnostics.length > 0) modelsWithProblems += 1;
      lines.push(paint('1', report.model));
      for (const fix of report.fixes) lines.push(`  ${paint('32', 'fixed')} ${fix.file}: ${fix.description} [${fix.code}]`);
      for (const [file, diagnostics] of groupByFile(report.diagnostics)) {
        lines.push(`  ${paint('4', file)}`);
        for (const d of diagnostics) {
          const where = d.line === undefined ? '' : d.column === undefined ? `${d.line}` : `${d.line}:${d.column}`;
          lines.push(`    ${where.padEnd(6)} ${severityText(d.severity)}  ${d.message} ${paint('2', `[${d.code}]`)}`);
          if (d.hint) lines.push(`    ${''.padEnd(6)} ${paint('2', `hint: ${d.hint}`)}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
    end(summary: ValidationSummary) {
      const problems = summary.errors + summary.warnings + summary.infos;
      const counts = `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}, ${plural(summary.infos, 'note')}`;
      let line =
        problems === 0
          ? `${plural(summary.models, 'model')} checked: no problems`
          : `${plural(problems, 'problem')} (${counts}) in ${modelsWithProblems} of ${plural(summary.models, 'model')}`;
      if (summary.fixes > 0) line += `; ${plural(summary.fixes, 'fix', 'fixes')} applied`;
      if (summary.unreadable > 0) line += `; ${summary.unreadable} argument(s) could not be read`;
      const colored = summary.exitCode === 0 ? paint('32', line) : paint('31', line);
      return `\n${colored}\n`;
    },
  };
}

function groupByFile(diagnostics: Diagnostic[]): Map<string, Diagnostic[]> {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (!groups.has(d.file)) groups.set(d.file, []);
    groups.get(d.file)!.push(d);
  }
  return groups;
}

function plural(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}
