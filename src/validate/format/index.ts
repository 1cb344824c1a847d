import type { FormatName, FormatOptions, ReportFormatter } from './formatter.js';
import { githubFormatter } from './github.js';
import { jsonFormatter } from './json.js';
import { sarifFormatter } from './sarif.js';
import { textFormatter } from './text.js';

export type { FormatName, FormatOptions, ReportFormatter } from './formatter.js';
export { FORMAT_NAMES } from './formatter.js';

export function createFormatter(name: FormatName, options: FormatOptions): ReportFormatter {
  switch (name) {
    case 'text':
      return textFormatter(options);
    case 'json':
      return jsonFormatter(options);
    case 'github':
      return githubFormatter(options);
    case 'sarif':
      return sarifFormatter(options);
  }
}
