import { usageError } from '../errors.js';

/**
 * Durations as `mlf envs prune --older-than` takes them: one or more `<number><unit>` parts,
 * units `s`, `m`, `h`, `d`, `w` (`7d`, `12h`, `1d12h`, `1.5h`). Returns milliseconds.
 */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  const part = /(\d+(?:\.\d+)?)\s*([smhdw])/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(trimmed)) !== null) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = part.lastIndex;
    while (trimmed[consumed] === ' ') consumed++;
    part.lastIndex = consumed;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw usageError('INVALID_DURATION', `invalid duration \`${text}\``, {
      hint: 'give a number followed by s, m, h, d or w, e.g. `7d`, `12h` or `1d12h`',
    });
  }
  return Math.round(total);
}

/** A short human form: `3d 4h`, `12m`, `45s`. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, u]) => `${n}${u}`).join(' ') : '0s';
}
