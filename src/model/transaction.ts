import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { inputError } from '../errors.js';
import { fsyncDirectory, writeDurably } from '../fs/durable.js';
import { CONDA_ENV_FILE_NAME, CONSTRAINTS_FILE_NAME, PYTHON_ENV_FILE_NAME, REQUIREMENTS_FILE_NAME } from './file-names.js';

/**
 * Atomic writes of one or more files of a model directory.
 *
 * A single rename is atomic, but requirements.txt and conda.yaml must change together, and
 * POSIX has no multi-file rename. So a change is a small journaled transaction:
 *
 *   1. each new file is written to `<name>.mlf-tmp-<id>` and fsynced;
 *   2. the journal `.mlf-transaction.json` (the list of renames, with each staged file's size and
 *      SHA-256) is written to a temp name, fsynced and renamed into place: the commit point;
 *   3. each temp file is renamed over its target; the directory is fsynced;
 *   4. the journal is removed.
 *
 * A kill before step 2 leaves the old files plus temp files that recovery deletes (roll back).
 * A kill after step 2 leaves a journal that recovery completes (roll forward). Every file is at
 * all times wholly old or wholly new; the pair is consistent once `recoverModelDirectory` has run,
 * which every mlf command that reads a model directory for writing does first.
 *
 * Recovery acts only on what it can prove is mlf's own (transaction-journal.ts): a journal that
 * fails any check is refused with one line and nothing is renamed or deleted, and only temp
 * files of mlf's naming for the files it writes are ever rolled back.
 */
export const JOURNAL_NAME = '.mlf-transaction.json';
// Kept equal to transaction-journal.ts's TEMP_MARKER, which is loaded only when a journal exists.
const TEMP_MARKER = '.mlf-tmp-';
const TEMP_NAME = /^(.+)\.mlf-tmp-([0-9a-f]{12})$/;

/**
 * The files of a model directory mlf rewrites (the env files MLflow writes beside MLmodel). A
 * model whose MLmodel names another conda file adds it through `targets`.
 */
export const DEFAULT_TARGETS: readonly string[] = [REQUIREMENTS_FILE_NAME, CONSTRAINTS_FILE_NAME, CONDA_ENV_FILE_NAME, PYTHON_ENV_FILE_NAME];

export interface RecoveryOptions {
  /** File names beyond DEFAULT_TARGETS that a journal may rename onto (the model's declared env files). */
  targets?: Iterable<string>;
  /** How the directory is named in messages (the user's own words). */
  displayPath?: string;
}

export interface FileWrite {
  /** A file name inside the model directory (no separators). */
  name: string;
  content: string | Uint8Array;
}

interface StagedRename {
  from: string;
  to: string;
  size: number;
  sha256: string;
}

export type RecoveryOutcome = 'clean' | 'rolled-forward' | 'rolled-back';

/** `displayPath` names the directory in messages (the user's own words). */
export async function commitModelFiles(dir: string, files: FileWrite[], options: { displayPath?: string } = {}): Promise<void> {
  if (files.length === 0) return;
  for (const file of files) assertPlainName(file.name);
  await recoverModelDirectory(dir, { targets: files.map((file) => file.name), displayPath: options.displayPath });

  const id = randomBytes(6).toString('hex');
  const renames: StagedRename[] = [];
  try {
    for (const file of files) {
      const temp = `${file.name}${TEMP_MARKER}${id}`;
      const mode = await existingMode(path.join(dir, file.name));
      const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
      await writeDurably(path.join(dir, temp), bytes, mode);
      renames.push({ from: temp, to: file.name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
  } catch (error) {
    await Promise.all(renames.map((r) => fs.rm(path.join(dir, r.from), { force: true })));
    throw error;
  }

  if (renames.length === 1) {
    // One file needs no journal: its rename is the commit point.
    const only = renames[0]!;
    await fs.rename(path.join(dir, only.from), path.join(dir, only.to));
    await fsyncDirectory(dir);
    return;
  }

  const journalTemp = `${JOURNAL_NAME}${TEMP_MARKER}${id}`;
  await writeDurably(path.join(dir, journalTemp), JSON.stringify({ version: 2, id, renames }));
  await fs.rename(path.join(dir, journalTemp), path.join(dir, JOURNAL_NAME));
  await fsyncDirectory(dir);
  await applyRenames(dir, renames);
}

/**
 * Finishes or undoes a transaction that a killed mlf left behind. Safe to call at any time;
 * returns what it did. A journal it cannot prove is mlf's own is refused (CORRUPT_TRANSACTION,
 * exit 2) before anything is renamed or deleted.
 */
export async function recoverModelDirectory(dir: string, options: RecoveryOptions = {}): Promise<RecoveryOutcome> {
  const targets = new Set([...DEFAULT_TARGETS, ...(options.targets ?? [])]);
  let outcome: RecoveryOutcome = 'clean';
  const journalPath = path.join(dir, JOURNAL_NAME);
  const present = await fs.lstat(journalPath).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  if (present) {
    const journal = await import('./transaction-journal.js');
    let pending;
    try {
      pending = await journal.pendingRenames(dir, await journal.readJournal(journalPath), targets);
    } catch (error) {
      if (!(error instanceof journal.JournalRefusal)) throw error;
      const shown = path.join(options.displayPath ?? dir, JOURNAL_NAME);
      throw inputError('CORRUPT_TRANSACTION', `not a transaction journal mlf can finish: ${error.reason}; nothing was renamed or deleted`, {
        file: shown,
        hint: `inspect it and the \`*${TEMP_MARKER}*\` files beside it, then delete \`${shown}\` (and them) and run again`,
      });
    }
    await applyRenames(dir, pending);
    outcome = 'rolled-forward';
  }

  const leftovers: string[] = [];
  for (const name of await fs.readdir(dir)) {
    const match = TEMP_NAME.exec(name);
    if (!match || !(targets.has(match[1]!) || match[1] === JOURNAL_NAME)) continue;
    // Only files: a directory or link of that name is not something mlf staged.
    const stats = await fs.lstat(path.join(dir, name)).catch(() => undefined);
    if (stats?.isFile()) leftovers.push(name);
  }
  if (leftovers.length > 0) {
    await Promise.all(leftovers.map((name) => fs.rm(path.join(dir, name), { force: true })));
    await fsyncDirectory(dir);
    if (outcome === 'clean') outcome = 'rolled-back';
  }
  return outcome;
}

/** Renames each staged file over its target, then removes the journal (a no-op when there is none). */
async function applyRenames(dir: string, renames: readonly { from: string; to: string }[]): Promise<void> {
  for (const { from, to } of renames) {
    await fs.rename(path.join(dir, from), path.join(dir, to));
  }
  await fsyncDirectory(dir);
  await fs.rm(path.join(dir, JOURNAL_NAME), { force: true });
  await fsyncDirectory(dir);
}

/** Keep the permissions of the file being replaced (MLflow writes 0644 under the usual umask). */
async function existingMode(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).mode & 0o777;
  } catch {
    return 0o644;
  }
}

function assertPlainName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new Error(`not a plain file name: ${name}`);
  }
}
