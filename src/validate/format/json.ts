import { ruleInfo } from '../catalog.js';
import type { ModelReport, ValidationSummary } from '../report.js';
import type { FormatOptions, ReportFormatter } from './formatter.js';

/**
 * One JSON object on stdout (schema in docs/validate.md), written as the models finish:
 *
 *   {"schemaVersion": 1, "tool": {...}, "models": [ <report>, ... ], "summary": {...}}
 *
 * Each model report is `{model, path, ok, counts, fixes, diagnostics}`; each diagnostic is
 * `{code, rule, severity, file, line?, column?, message, hint?}`.
 */
export const JSON_SCHEMA_VERSION = 1;

export function jsonFormatter(options: FormatOptions): ReportFormatter {
  let first = true;
  return {
    begin: () => `{\n  "schemaVersion": ${JSON_SCHEMA_VERSION},\n  "tool": ${JSON.stringify({ name: 'mlf', version: options.version })},\n  "models": [`,
    model(report) {
      const text = indent(JSON.stringify(modelJson(report, options.strict), null, 2), '    ');
      const out = `${first ? '\n' : ',\n'}${text}`;
      first = false;
      return out;
    },
    end(summary: ValidationSummary) {
      return `${first ? '' : '\n  '}],\n  "summary": ${indent(JSON.stringify(summary, null, 2), '  ').trimStart()}\n}\n`;
    },
  };
}

export function modelJson(report: ModelReport, strict: boolean): Record<string, unknown> {
  return {
    model: report.model,
    path: report.path,
    ok: report.readable && report.counts.error === 0 && !(strict && report.counts.warning > 0),
    counts: report.counts,
    fixes: report.fixes,
    diagnostics: report.diagnostics.map((d) => ({
      code: d.code,
      rule: ruleInfo(d.code).name,
      severity: d.severity,
      file: d.file,
      ...(d.line !== undefined ? { line: d.line } : {}),
      ...(d.column !== undefined ? { column: d.column } : {}),
      message: d.message,
      ...(d.hint !== undefined ? { hint: d.hint } : {}),
    })),
  };
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}
