import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { inputError } from '../errors.js';
import { fileKindOf, NOT_A_REGULAR_FILE } from './read-regular-file.js';

/**
 * A model directory is handed to Python loaders that open whatever files the flavor names: a
 * FIFO there blocks the loader forever, and a device (`/dev/zero`) feeds it without end. So before
 * a worker starts, mlf refuses a model directory holding a FIFO, socket or device, or a symlink
 * to one. Symlinked directories are not entered (they may loop); dangling symlinks are left to the
 * loader, whose error is prompt. The walk is bounded so a hostile tree cannot stall it.
 */
const MAX_ENTRIES = 200_000;

export function refuseSpecialFilesSync(dir: string, shownDir: string): void {
  const pending = [''];
  let seen = 0;
  while (pending.length > 0) {
    const relative = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(path.join(dir, relative));
    } catch {
      continue; // unreadable: the reader that needs it reports it
    }
    for (const name of names) {
      if (++seen > MAX_ENTRIES) return;
      const child = relative ? `${relative}/${name}` : name;
      const full = path.join(dir, child);
      let stats: Stats;
      try {
        stats = lstatSync(full);
        if (stats.isSymbolicLink()) stats = statSync(full);
        else if (stats.isDirectory()) {
          pending.push(child);
          continue;
        }
      } catch {
        continue;
      }
      if (stats.isFile() || stats.isDirectory()) continue;
      throw inputError(NOT_A_REGULAR_FILE, `\`${path.join(shownDir, child)}\` is ${fileKindOf(stats)}, not a regular file: a model loader that opens it would block or read forever`, {
        file: path.join(shownDir, child),
        hint: 'put the real file in its place, or remove it from the model directory',
        data: { kind: fileKindOf(stats) },
      });
    }
  }
}
