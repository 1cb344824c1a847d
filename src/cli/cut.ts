/**
 * Keeping an error readable: a message that echoes the user's input (a 10 MB payload, a
 * 30,000-character requirement line, a pandas frame) is cut to one line of a readable length,
 * with a marker saying how much was left out; a caret block (the offending text with `^` under
 * a column) is narrowed to a window around the caret. `--verbose` shows everything.
 */

/**
 * Characters of a message (or hint) shown on the error line: MLflow's own longest messages
 * (the scoring protocol's, ~800) are cut too, but keep their point within the first 300.
 */
export const MESSAGE_LIMIT = 500;
/** Of those, the characters kept from the start; the rest come from the end. */
export const MESSAGE_HEAD = 300;
/** Characters of the text line of a caret block (a window around the caret). */
export const DETAIL_LINE_LIMIT = 160;
/** Lines of a detail block shown without --verbose (a caret block is two). */
export const DETAIL_LINES_LIMIT = 6;

/** The marker that replaces what was cut. */
export function cutMarker(count: number, unit: 'characters' | 'lines'): string {
  return `… (${count} more ${count === 1 ? unit.slice(0, -1) : unit}; --verbose shows all)`;
}

/**
 * `text` as one line of at most about `limit` characters. Line breaks become spaces (a message
 * never prints a multi-line dump). A longer text keeps its start and its end, where Python and
 * pandas put the actual error (`... Error: Model is missing inputs ['n'].`), and the marker in
 * between counts what was left out. Control characters other than tab are shown as `\xNN`
 * escapes, so that a message never moves the cursor or clears the terminal.
 */
export function cutToOneLine(text: string, limit = MESSAGE_LIMIT, headLength = Math.min(MESSAGE_HEAD, Math.ceil(limit * 0.6))): string {
  const flat = text
    .split(/\r\n|[\n\r\u0085\u2028\u2029]/)
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
  const chars = [...flat];
  if (chars.length <= limit) return escapeControls(flat);
  const head = headLength;
  const tail = limit - head;
  const omitted = chars.length - head - tail;
  return `${escapeControls(chars.slice(0, head).join('').trimEnd())} ${cutMarker(omitted, 'characters')} ${escapeControls(chars.slice(-tail).join('').trimStart())}`;
}

/**
 * A detail block as shown without --verbose: a caret block is kept, narrowed around its caret;
 * another short block is kept with long lines cut; a longer one is left out with a marker.
 */
export function cutDetail(detail: string): string {
  const lines = detail.replace(/\s+$/, '').split(/\r?\n/);
  const caretAt = lines.findIndex((line, i) => i > 0 && /^\s*[~^]*\^[~^]*\s*$/.test(line));
  if (caretAt > 0) {
    const block = narrowCaretBlock(lines[caretAt - 1]!, lines[caretAt]!);
    const rest = lines.length - 2;
    return rest > 0 ? [...block, cutMarker(rest, 'lines')].join('\n') : block.join('\n');
  }
  if (lines.length > DETAIL_LINES_LIMIT) return cutMarker(lines.length, 'lines');
  // Each line keeps its indentation (commands under "Try, in order:"), and is cut only where a
  // message would be: a suggested command with long paths must stay whole to be copied.
  return lines.map((line) => `${/^[ \t]*/.exec(line)![0]}${cutToOneLine(line, MESSAGE_LIMIT)}`).join('\n');
}

/**
 * The text line of a caret block cut to a window around the caret, and the mark line (`^`,
 * `~~~^`) cut to match, so that it still points at the same character.
 */
export function narrowCaretBlock(text: string, markLine: string, width = DETAIL_LINE_LIMIT): [string, string] {
  const anchor = markLine.indexOf('^');
  const markStart = markLine.search(/\S/);
  const markEnd = markLine.replace(/\s+$/, '').length;
  // Keep about a third of the window before the caret, so the reader sees what led to it.
  const start = text.length <= width ? 0 : Math.max(0, Math.min(anchor - Math.floor(width / 3), text.length - width));
  const end = Math.min(text.length, start + width);
  const before = start > 0 ? '…' : '';
  const after = end < text.length ? '…' : '';
  const from = Math.max(markStart, start);
  const to = Math.min(markEnd, Math.max(end, anchor + 1));
  const pad = before.length + escapeControls(text.slice(start, from)).length;
  return [`${before}${escapeControls(text.slice(start, end))}${after}`, `${' '.repeat(pad)}${markLine.slice(from, to)}`];
}

function sliceCodePoints(text: string, count: number): string {
  return [...text].slice(0, count).join('');
}

/** C0 controls (but tab), DEL and C1 controls as `\xNN`. */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
