import { existsSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { inputError } from '../errors.js';

/** The absolute path of a file the user named; a symlink that leads nowhere is left to the reader, which names it so. */
export function requireFile(cwd: string, given: string, what: string, code: string): string {
  const absolute = path.resolve(cwd, given);
  if (!existsSync(absolute) && !lstatSync(absolute, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw inputError(code, `${what} \`${given}\` does not exist`);
  }
  return absolute;
}

export function isDirectorySync(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
