import type { Diagnostic } from '../diagnostic.js';
import { ruleInfo } from '../catalog.js';

/**
 * Builds a diagnostic with the rule's default severity and, unless one is given, the rule's
 * fix as the hint. The engine applies `--rule` overrides afterwards.
 */
export function diagnostic(
  code: string,
  file: string,
  line: number | undefined,
  message: string,
  extra: { column?: number; hint?: string } = {},
): Diagnostic {
  const info = ruleInfo(code);
  return {
    code,
    severity: info.severity,
    file,
    ...(line !== undefined ? { line } : {}),
    ...(extra.column !== undefined ? { column: extra.column } : {}),
    message,
    hint: extra.hint ?? info.fix,
  };
}

/** A value in backticks, for messages. */
export function tick(value: unknown): string {
  return `\`${String(value)}\``;
}
