import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

/**
 * The journal of a multi-file commit (transaction.ts), and the proof recovery needs before it
 * acts on one. `.mlf-transaction.json` sits where anyone can plant or damage it, and rolling it
 * forward renames files over the model's own, so recovery finishes only a journal that is
 * provably mlf's: a regular file of bounded size, this exact schema, targets among the names
 * mlf writes, each source the temp file mlf names for that target and journal id, and that temp
 * file (or, once renamed, the target) exactly the recorded size and SHA-256. Anything else is a
 * `JournalRefusal`, and the caller changes nothing.
 *
 * Loaded only when a journal is found, so that zod stays out of the start-up of commands that
 * merely may write.
 */
export const TEMP_MARKER = '.mlf-tmp-';
/** The id is `randomBytes(6)` in hex. */
export const JOURNAL_ID = /^[0-9a-f]{12}$/;
const MAX_JOURNAL_BYTES = 64 * 1024;
/** Far above any requirements.txt or conda.yaml; bounds what recovery reads to check a digest. */
export const MAX_STAGED_BYTES = 64 * 1024 * 1024;

const renameSchema = z
  .object({
    from: z.string().min(1).max(512),
    to: z.string().min(1).max(255),
    size: z.number().int().min(0).max(MAX_STAGED_BYTES),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  })
  .strict();

const journalSchema = z
  .object({
    version: z.literal(2, { error: 'must be 2, the journal format this mlf writes' }),
    id: z.string().regex(JOURNAL_ID, 'must be 12 lowercase hex digits'),
    renames: z.array(renameSchema).min(1).max(16),
  })
  .strict();

export type Journal = z.infer<typeof journalSchema>;
export type JournalRename = Journal['renames'][number];

/** Why a journal is not acted on; the caller turns it into one line naming the journal. */
export class JournalRefusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JournalRefusal';
  }
}

/** The temp name mlf stages `target` under in transaction `id`. */
export function tempNameFor(target: string, id: string): string {
  return `${target}${TEMP_MARKER}${id}`;
}

export function digestOf(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Reads and checks the journal's own file and schema; throws JournalRefusal. */
export async function readJournal(journalPath: string): Promise<Journal> {
  const bytes = await readRegularFile(journalPath, MAX_JOURNAL_BYTES, 'the journal');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new JournalRefusal('it is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JournalRefusal(`it is not valid JSON (${(error as Error).message})`);
  }
  const parsed = journalSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `field \`${issue.path.join('.')}\`` : 'its top level';
    throw new JournalRefusal(`${where}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Checks every rename against the directory before any is done; resolves to the renames still
 * to do (the rest were done by the interrupted run). Throws JournalRefusal.
 */
export async function pendingRenames(dir: string, journal: Journal, targets: ReadonlySet<string>): Promise<JournalRename[]> {
  const seen = new Set<string>();
  const pending: JournalRename[] = [];
  for (const [index, rename] of journal.renames.entries()) {
    const field = `renames.${index}`;
    if (!targets.has(rename.to)) {
      throw new JournalRefusal(`field \`${field}.to\`: \`${rename.to}\` is not a file mlf writes (${[...targets].sort().join(', ')})`);
    }
    if (seen.has(rename.to)) throw new JournalRefusal(`field \`${field}.to\`: \`${rename.to}\` is named twice`);
    seen.add(rename.to);
    const temp = tempNameFor(rename.to, journal.id);
    if (rename.from !== temp) throw new JournalRefusal(`field \`${field}.from\`: \`${rename.from}\` is not mlf's temp name for it (\`${temp}\`)`);

    const staged = await kindOf(path.join(dir, temp));
    if (staged !== undefined) {
      await assertContent(path.join(dir, temp), rename, `\`${temp}\``);
      const target = await kindOf(path.join(dir, rename.to));
      if (target?.isDirectory()) throw new JournalRefusal(`\`${rename.to}\` is a directory`);
      pending.push(rename);
    } else {
      // Renamed already (by the interrupted run): then the target is the staged file.
      if ((await kindOf(path.join(dir, rename.to))) === undefined) {
        throw new JournalRefusal(`neither \`${temp}\` nor \`${rename.to}\` exists`);
      }
      await assertContent(path.join(dir, rename.to), rename, `\`${temp}\` is gone and \`${rename.to}\``);
    }
  }
  return pending;
}

async function assertContent(file: string, rename: JournalRename, label: string): Promise<void> {
  const bytes = await readRegularFile(file, MAX_STAGED_BYTES, label, rename.size);
  if (bytes.length !== rename.size || digestOf(bytes) !== rename.sha256) {
    throw new JournalRefusal(`${label} does not have the size and SHA-256 the journal records`);
  }
}

async function kindOf(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JournalRefusal(`\`${path.basename(file)}\` cannot be examined (${(error as NodeJS.ErrnoException).code})`);
  }
}

/**
 * A regular file's bytes, refusing symlinks, FIFOs (opened without blocking), devices and
 * directories, and anything over `limit` bytes (or not `expectedSize`, checked before reading).
 */
async function readRegularFile(file: string, limit: number, label: string, expectedSize?: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new JournalRefusal(`${label} is a symbolic link`);
    throw new JournalRefusal(`${label} cannot be opened (${code ?? String(error)})`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new JournalRefusal(`${label} is ${describeKind(stats)}, not a regular file`);
    if (stats.size > limit) throw new JournalRefusal(`${label} is larger than ${limit} bytes`);
    if (expectedSize !== undefined && stats.size !== expectedSize) {
      throw new JournalRefusal(`${label} does not have the size and SHA-256 the journal records`);
    }
    const buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      // Grew while being read: not a file mlf staged and left.
      if (length > stats.size) throw new JournalRefusal(`${label} changed while it was read`);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof JournalRefusal) throw error;
    throw new JournalRefusal(`${label} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  } finally {
    await handle.close();
  }
}

function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
