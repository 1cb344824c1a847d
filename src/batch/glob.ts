/**
 * A glob of input files, as a shell expands it: `*` and `?` within one path segment, `[...]`
 * classes, `**` for any number of directories. A name starting with `.` or `_` (hidden, or
 * Spark's and Hadoop's `_SUCCESS` and `_temporary`) is matched only by a segment that starts with
 * that character itself. Directories matched by the last segment are left out: the result is files.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const MAGIC = /[*?[]/;

export function isGlob(pattern: string): boolean {
  return MAGIC.test(pattern);
}

/** The regular expression of one segment (no `/` in it). */
export function segmentRegExp(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else source += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
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
    const match = segmentRegExp(segment);
    for (const name of names) if (match.test(name) && hiddenAllowed(segment, name)) walk(path.join(dir, name), at + 1);
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
