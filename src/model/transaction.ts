import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inputError } from '../errors.js';

/**
 * Atomic writes of one or more files of a model directory.
 *
 * A single rename is atomic, but requirements.txt and conda.yaml must change together, and
 * POSIX has no multi-file rename. So a change is a small journaled transaction:
 *
 *   1. each new file is written to `<name>.mlf-tmp-<id>` and fsynced;
 *   2. the journal `.mlf-transaction.json` (the list of renames) is written to a temp name,
 *      fsynced and renamed into place: this rename is the commit point;
 *   3. each temp file is renamed over its target; the directory is fsynced;
 *   4. the journal is removed.
 *
 * A kill before step 2 leaves the old files plus temp files that recovery deletes (roll back).
 * A kill after step 2 leaves a journal that recovery completes (roll forward). Every file is at
 * all times wholly old or wholly new; the pair is consistent once `recoverModelDirectory` has run,
 * which every mlf command that reads a model directory for writing does first.
 */
export const JOURNAL_NAME = '.mlf-transaction.json';
const TEMP_MARKER = '.mlf-tmp-';

export interface FileWrite {
  /** A file name inside the model directory (no separators). */
  name: string;
  content: string | Uint8Array;
}

interface Journal {
  version: 1;
  id: string;
  renames: { from: string; to: string }[];
}

export type RecoveryOutcome = 'clean' | 'rolled-forward' | 'rolled-back';

export async function commitModelFiles(dir: string, files: FileWrite[]): Promise<void> {
  if (files.length === 0) return;
  for (const file of files) assertPlainName(file.name);
  await recoverModelDirectory(dir);

  const id = randomBytes(6).toString('hex');
  const renames: Journal['renames'] = [];
  try {
    for (const file of files) {
      const temp = `${file.name}${TEMP_MARKER}${id}`;
      const mode = await existingMode(path.join(dir, file.name));
      await writeDurably(path.join(dir, temp), file.content, mode);
      renames.push({ from: temp, to: file.name });
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

  const journal: Journal = { version: 1, id, renames };
  const journalTemp = `${JOURNAL_NAME}${TEMP_MARKER}${id}`;
  await writeDurably(path.join(dir, journalTemp), JSON.stringify(journal));
  await fs.rename(path.join(dir, journalTemp), path.join(dir, JOURNAL_NAME));
  await fsyncDirectory(dir);
  await applyJournal(dir, journal);
}

/**
 * Finishes or undoes a transaction that a killed mlf left behind. Safe to call at any time;
 * returns what it did.
 */
export async function recoverModelDirectory(dir: string): Promise<RecoveryOutcome> {
  let outcome: RecoveryOutcome = 'clean';
  const journalPath = path.join(dir, JOURNAL_NAME);
  const journalText = await fs.readFile(journalPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (journalText !== undefined) {
    let journal: Journal;
    try {
      journal = JSON.parse(journalText) as Journal;
    } catch {
      // The journal is renamed into place whole, so this means someone edited it by hand.
      throw inputError('CORRUPT_TRANSACTION', `an unreadable mlf transaction journal was found`, {
        file: journalPath,
        hint: 'inspect the *.mlf-tmp-* files beside it, then delete the journal',
      });
    }
    await applyJournal(dir, journal);
    outcome = 'rolled-forward';
  }

  const leftovers = (await fs.readdir(dir)).filter((name) => name.includes(TEMP_MARKER));
  if (leftovers.length > 0) {
    await Promise.all(leftovers.map((name) => fs.rm(path.join(dir, name), { force: true })));
    await fsyncDirectory(dir);
    if (outcome === 'clean') outcome = 'rolled-back';
  }
  return outcome;
}

async function applyJournal(dir: string, journal: Journal): Promise<void> {
  for (const { from, to } of journal.renames) {
    assertPlainName(from);
    assertPlainName(to);
    try {
      await fs.rename(path.join(dir, from), path.join(dir, to));
    } catch (error) {
      // Already renamed by an earlier, interrupted recovery.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
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

async function writeDurably(file: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const handle = await fs.open(file, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function assertPlainName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new Error(`not a plain file name: ${name}`);
  }
}
