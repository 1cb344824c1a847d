/** Reads a table written by generate.py (expectations produced by packaging 26.4). */
import { readFileSync } from 'node:fs';

export function loadCases<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T;
}

/** The expected packaging-style error: reason, 1-based caret column, and the text with its caret line. */
export interface ExpectedSyntaxError {
  reason: string;
  column: number;
  picture: string;
}
