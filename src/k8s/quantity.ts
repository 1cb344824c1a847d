/**
 * Memory quantities as Kubernetes writes them: `--memory` is read in any of the forms the API
 * takes for memory (`512Mi`, `1Gi`, `1G`, `268435456`), and what mlf computes is written in whole
 * mebibytes (`Mi`), rounded up, so that the same measurement always gives the same text.
 */

const SUFFIXES: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

const MIB = 2 ** 20;

/** The bytes of a memory quantity, or undefined when the text is none (or is below 1 MiB, which no model server fits in). */
export function parseMemoryQuantity(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * SUFFIXES[match[2] ?? '']!;
  return Number.isFinite(bytes) && bytes >= MIB ? Math.ceil(bytes) : undefined;
}

/** Bytes as whole mebibytes, rounded up: `1536Mi`. */
export function formatMebibytes(bytes: number): string {
  return `${Math.ceil(bytes / MIB)}Mi`;
}

/** Bytes as MiB with one decimal, for the annotations that say where a number came from. */
export function mebibytesText(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}
