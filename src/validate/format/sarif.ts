import { RULE_CATALOG } from '../catalog.js';
import type { Severity } from '../diagnostic.js';
import type { ModelReport, ValidationSummary } from '../report.js';
import type { FormatOptions, ReportFormatter } from './formatter.js';
import { displayPath } from './paths.js';

/**
 * SARIF 2.1.0 (for GitHub code scanning and other SARIF viewers): one run whose driver lists
 * every rule, and one result per diagnostic. Artifact URIs are relative to `%SRCROOT%` (the
 * working directory). Written as the models finish: the results array is streamed.
 */
const LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };
const RULE_INDEX = new Map(RULE_CATALOG.map((rule, index) => [rule.code, index]));

export function sarifFormatter(options: FormatOptions): ReportFormatter {
  let first = true;
  const unreadable: { model: string; message: string }[] = [];
  return {
    begin() {
      const driver = {
        name: 'mlf',
        version: options.version,
        rules: RULE_CATALOG.map((rule) => ({
          id: rule.code,
          name: rule.name,
          shortDescription: { text: rule.summary },
          help: { text: rule.fix },
          defaultConfiguration: { level: LEVEL[rule.severity] },
          properties: { group: rule.group, fixable: rule.fixable === true },
        })),
      };
      const header = {
        $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
        version: '2.1.0',
      };
      const run = JSON.stringify({ tool: { driver }, originalUriBaseIds: { SRCROOT: { uri: directoryUri(options.cwd) } } });
      // Open the run object and its results array; the rest is streamed.
      return `${JSON.stringify(header).slice(0, -1)},"runs":[${run.slice(0, -1)},"results":[`;
    },
    model(report: ModelReport) {
      if (!report.readable) {
        unreadable.push({ model: report.model, message: report.diagnostics[0]?.message ?? 'unreadable' });
      }
      let out = '';
      for (const d of report.diagnostics) {
        const region: Record<string, number> = {};
        if (d.line !== undefined) region.startLine = d.line;
        if (d.line !== undefined && d.column !== undefined) region.startColumn = d.column;
        const result = {
          ruleId: d.code,
          ruleIndex: RULE_INDEX.get(d.code),
          level: LEVEL[d.severity],
          message: { text: d.hint ? `${d.message}. Hint: ${d.hint}` : d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(displayPath(report, d, options.cwd)), uriBaseId: 'SRCROOT' },
                ...(d.line !== undefined ? { region } : {}),
              },
            },
          ],
          properties: { model: report.model },
        };
        out += `${first ? '' : ','}\n${JSON.stringify(result)}`;
        first = false;
      }
      return out;
    },
    end(summary: ValidationSummary) {
      const invocation = {
        executionSuccessful: summary.unreadable === 0,
        exitCode: summary.exitCode,
        ...(unreadable.length > 0
          ? {
              toolExecutionNotifications: unreadable.map((u) => ({
                level: 'error',
                message: { text: u.message },
                descriptor: { id: 'MLF100' },
              })),
            }
          : {}),
      };
      return `\n],"invocations":[${JSON.stringify(invocation)}]}]}\n`;
    },
  };
}

function directoryUri(dir: string): string {
  const withSlash = dir.endsWith('/') ? dir : `${dir}/`;
  return `file://${encodeURI(withSlash.split('\\').join('/'))}`;
}
