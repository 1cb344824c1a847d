/**
 * A glob of input files, as a shell expands it: `*` and `?` within one path segment, `[...]`
 * classes, `**` for any number of directories. A name starting with `.` or `_` (hidden, or
 * Spark's and Hadoop's `_SUCCESS` and `_temporary`) is matched only by a segment that starts with
 * that character itself. Directories matched by the last segment are left out: the result is files.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

const MAGIC = /[*?[]/;

export function isGlob(pattern: string): boolean {
  return MAGIC.test(pattern);
}

// A shell's glob, from picomatch: no braces, extglobs or leading-`!` negation (a shell expands
// braces before globbing, and takes those characters literally in a name); `(`, `)` and `|`,
// which picomatch passes to the regular expression, are escaped to stay literal. Dot names are
// let through here: hiddenAllowed decides them, with `_` names.
const SEGMENT_OPTIONS = { dot: true, nobrace: true, noextglob: true, nonegate: true, posix: true } as const;

/** Whether a name matches one segment (no `/` in it). */
export function segmentMatcher(segment: string): (name: string) => boolean {
  return picomatch(segment.replace(/[()|]/g, '\\$&'), SEGMENT_OPTIONS);
}

function hiddenAllowed(segment: string, name: string): boolean {
  return !(name.startsWith('.') || name.startsWith('_')) || segment.startsWith(name[0]!);
}

/** The files an absolute glob matches, sorted. */
export function expandGlob(pattern: string): string[] {
  const root = path.parse(pattern).root;
  const segments = pattern.slice(root.length).split(/[\\/]+/).filter((s) => s !== '');
  const found = new Set<string>();
  const walk = (dir: string, at: number): void => {
    if (at === segments.length) {
      if (isFile(dir)) found.add(dir);
      return;
    }
    const segment = segments[at]!;
    if (!isGlob(segment)) {
      walk(path.join(dir, segment), at + 1);
      return;
    }
    const names = listDir(dir);
    if (segment === '**') {
      walk(dir, at + 1);
      for (const name of names) if (!name.startsWith('.') && !name.startsWith('_') && isDir(path.join(dir, name))) walk(path.join(dir, name), at);
      return;
    }
    const matches = segmentMatcher(segment);
    for (const name of names) if (matches(name) && hiddenAllowed(segment, name)) walk(path.join(dir, name), at + 1);
  };
  walk(root, 0);
  return [...found].sort();
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isDir(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
