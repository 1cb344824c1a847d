import path from 'node:path';
import type { Diagnostic } from '../diagnostic.js';
import type { ModelReport } from '../report.js';

/** The diagnostic's file as a path relative to `cwd`, with `/` separators (`models/iris/conda.yaml`). */
export function displayPath(report: ModelReport, diagnostic: Diagnostic, cwd: string): string {
  const absolute = report.readable ? path.resolve(report.path, diagnostic.file) : path.resolve(cwd, report.model);
  const relative = path.relative(cwd, absolute);
  return (relative === '' ? '.' : relative).split(path.sep).join('/');
}
