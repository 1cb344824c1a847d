/**
 * Leftover state that a killed or hostile mlf leaves in a model directory: a transaction journal
 * (`.mlf-transaction.json`, src/model/transaction.ts) and a write lock (`.mlf-lock/`,
 * src/model/write-lock.ts). Pure: each plant is a list of paths to create, in order, with what
 * each becomes; the workspace writes them.
 *
 * Every journal planted here is one mlf cannot prove is its own (it names files mlf did not
 * write, or is malformed), so recovery must refuse it and change nothing. Every lock planted here
 * is stale (a dead owner on this host, or no readable owner and an old mtime), so taking it over
 * is allowed; a live lock is not planted, because waiting it out (30 s) is the designed behaviour.
 */
import type { Edit } from './mutations.js';
import { HUGE } from './mutations.js';
import type { Rng } from './prng.js';

export const JOURNAL_NAME = '.mlf-transaction.json';
export const LOCK_NAME = '.mlf-lock';

export const JOURNAL_CLASSES = ['foreign-renames', 'wrong-type', 'corrupt', 'huge-line', 'deep-nesting', 'symlink-dev-zero', 'symlink-dangling', 'symlink-loop', 'directory', 'fifo'] as const;
export type JournalClass = (typeof JOURNAL_CLASSES)[number];

export const LOCK_CLASSES = ['dead-owner', 'ownerless', 'garbage-owner', 'owner-directory', 'regular-file', 'symlink-dev-zero', 'symlink-dangling', 'symlink-loop', 'fifo'] as const;
export type LockClass = (typeof LOCK_CLASSES)[number];

export interface Plant {
  /** Relative to the model directory. */
  path: string;
  edit: Edit;
  /** Set the mtime this far in the past (after every plant is made): a lock older than mlf's staleness limit. */
  ageMs?: number;
}

export interface PlantedState {
  plants: Plant[];
  detail: string;
}

/** A pid no process has: above Linux's pid_max (at most 2^22). */
export const DEAD_PID = 2_147_483_646;
const OLD = 3_600_000;
const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);
const file = (path: string, text: string, ageMs?: number): Plant => ({ path, edit: { kind: 'write', bytes: bytes(text) }, ...(ageMs ? { ageMs } : {}) });

/** A journal as src/model/transaction.ts writes it, naming a rename mlf never staged. */
function journalText(renames: unknown, id: unknown = 'fuzz01'): string {
  return JSON.stringify({ version: 1, id, renames });
}

/**
 * `files` are the model directory's files (to aim foreign renames at real ones). Temp files
 * named like mlf's (`<name>.mlf-tmp-<id>`) may be planted beside the journal: garbage whose
 * size and content the journal does not record, so recovery still cannot prove them.
 */
export function plantJournal(mutation: JournalClass, files: readonly string[], rng: Rng): PlantedState {
  const top = files.filter((f) => !f.includes('/'));
  const some = () => rng.pick(top.length ? top : ['MLmodel']);
  const journal = (text: string, detail: string, extra: Plant[] = []): PlantedState => ({ plants: [...extra, file(JOURNAL_NAME, text)], detail });
  const node = (edit: Edit, detail: string): PlantedState => ({ plants: [{ path: JOURNAL_NAME, edit }], detail });
  switch (mutation) {
    case 'foreign-renames': {
      const a = some();
      let b = some();
      if (b === a) b = 'requirements.txt';
      const temp = `${a}.mlf-tmp-0badc0de`;
      const variant = rng.pick(['file-over-file', 'parent', 'absolute', 'unproven-temp', 'to-empty', 'to-directory', 'many'] as const);
      switch (variant) {
        case 'file-over-file':
          return journal(journalText([{ from: a, to: b }]), `journal renames ${a} over ${b}`);
        case 'parent':
          return journal(journalText([{ from: '../../x', to: a }]), `journal renames ../../x over ${a}`);
        case 'absolute':
          return journal(journalText([{ from: '/etc/hostname', to: a }]), `journal renames /etc/hostname over ${a}`);
        case 'unproven-temp':
          return journal(journalText([{ from: temp, to: a }]), `journal renames a planted garbage ${temp} over ${a}`, [file(temp, 'garbage not written by mlf\n')]);
        case 'to-empty':
          return journal(journalText([{ from: a, to: '' }]), `journal renames ${a} to ""`);
        case 'to-directory':
          return journal(journalText([{ from: a, to: '.' }]), `journal renames ${a} to "."`);
        case 'many':
          return journal(journalText(top.map((f, i) => ({ from: f, to: top[(i + 1) % top.length] }))), `journal renames every file over the next (${top.length} renames)`);
      }
      throw new Error(`unhandled journal variant ${String(variant)}`);
    }
    case 'wrong-type': {
      const text = rng.pick([
        'null', '[1,2,3]', '"x"', '42', '{}', '{"version":1}', '{"version":1,"renames":"x"}', '{"version":1,"renames":[null]}',
        '{"version":1,"renames":[{"from":5,"to":true}]}', '{"version":2,"id":"x","renames":[{"from":"a","to":"b"}]}',
        `{"version":1,"id":"x","renames":[{"from":["MLmodel"],"to":{"a":1}}]}`,
      ]);
      return journal(text, `journal is ${text}`);
    }
    case 'corrupt': {
      const a = some();
      const full = journalText([{ from: `${a}.mlf-tmp-0badc0de`, to: a }]);
      const at = rng.int(full.length);
      const text = rng.chance(0.5) ? full.slice(0, at) : `${full.slice(0, at)}${String.fromCharCode(rng.between(0, 255))}${full.slice(at + 1)}`;
      return journal(text, `journal for ${a} cut or damaged at character ${at}`, [file(`${a}.mlf-tmp-0badc0de`, 'garbage not written by mlf\n')]);
    }
    case 'huge-line':
      return journal(journalText([{ from: 'x'.repeat(HUGE), to: some() }], 'y'.repeat(HUGE)), `journal with a ${HUGE}-character id and file name`);
    case 'deep-nesting':
      return journal(`{"version":1,"id":"x","renames":${'['.repeat(HUGE)}${']'.repeat(HUGE)}}`, `journal nested ${HUGE} arrays deep`);
    case 'symlink-dev-zero':
      return node({ kind: 'symlink', target: '/dev/zero' }, 'journal is a symlink to /dev/zero');
    case 'symlink-dangling':
      return node({ kind: 'symlink', target: 'missing-dir/journal' }, 'journal is a dangling symlink');
    case 'symlink-loop':
      return node({ kind: 'symlink', target: JOURNAL_NAME }, 'journal is a symlink to itself');
    case 'directory':
      return node({ kind: 'directory' }, 'journal is a directory');
    case 'fifo':
      return node({ kind: 'fifo' }, 'journal is a FIFO');
  }
}

/** `host` is this machine's name (a dead owner is only provably dead on its own host). */
export function plantLock(mutation: LockClass, host: string, rng: Rng): PlantedState {
  const dir: Plant = { path: LOCK_NAME, edit: { kind: 'directory' }, ageMs: OLD };
  const owner = `${LOCK_NAME}/owner.json`;
  const node = (edit: Edit, detail: string): PlantedState => ({ plants: [{ path: LOCK_NAME, edit }], detail });
  switch (mutation) {
    case 'dead-owner':
      return { plants: [dir, file(owner, `${JSON.stringify({ pid: DEAD_PID, host, since: '2020-01-01T00:00:00.000Z' })}\n`)], detail: `lock held by dead pid ${DEAD_PID} on this host` };
    case 'ownerless':
      return { plants: [dir], detail: 'lock directory without owner.json, an hour old' };
    case 'garbage-owner': {
      const text = rng.pick(['', '{', 'null', '[]', '{"pid":"1","host":5}', '\u0000\u0000', `{"pid":${DEAD_PID}}`]);
      return { plants: [dir, file(owner, text)], detail: `lock an hour old, owner.json is ${JSON.stringify(text)}` };
    }
    case 'owner-directory':
      return { plants: [dir, { path: owner, edit: { kind: 'directory' } }], detail: 'lock an hour old, owner.json is a directory' };
    case 'regular-file':
      return { plants: [file(LOCK_NAME, 'not a directory\n', OLD)], detail: '.mlf-lock is a regular file, an hour old' };
    case 'symlink-dev-zero':
      return node({ kind: 'symlink', target: '/dev/zero' }, '.mlf-lock is a symlink to /dev/zero');
    case 'symlink-dangling':
      return node({ kind: 'symlink', target: 'missing-dir/lock' }, '.mlf-lock is a dangling symlink');
    case 'symlink-loop':
      return node({ kind: 'symlink', target: LOCK_NAME }, '.mlf-lock is a symlink to itself');
    case 'fifo':
      return node({ kind: 'fifo' }, '.mlf-lock is a FIFO');
  }
}
