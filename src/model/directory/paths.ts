/**
 * The one rule for a path a model's files give to another of its files (MLmodel's env file
 * names, `code`, `pickled_model`, an input example, a `-r` include): model-relative, and never
 * out of the directory. Strings only, no file system: validate's rules and the reader agree.
 */

/** A relative path that stays inside the model directory (no absolute path, no `..`). */
export function isInsideModel(relative: string): boolean {
  if (relative.startsWith('/') || /^[A-Za-z]:[\\/]/.test(relative)) return false;
  return !relative.split(/[\\/]+/).includes('..');
}

/** `./a//b/` -> `a/b/`; `..` segments are kept (they point outside and never match). */
export function normalizeRelative(relative: string): string {
  const trailing = relative.endsWith('/') ? '/' : '';
  const parts = relative.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  return parts.join('/') + (parts.length > 0 ? trailing : '');
}
