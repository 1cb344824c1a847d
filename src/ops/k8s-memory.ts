/**
 * The memory a model's server needs, measured: one worker started exactly as `mlf models serve`
 * starts each of its workers (the model's environment, the model loaded, the warm-up request),
 * then its peak resident set read from /proc (VmHWM), and this Node process's own peak beside it
 * (the server's process runs the same bundle). A measurement is cached by the model's content
 * digest and the environment's key (and mlf's version, whose worker is measured), so generating
 * manifests again starts no worker; a changed model file or requirement measures anew.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bucketDir } from '../config/cache-layout.js';
import { resolveMlfHome, type EnvRequest } from '../env/index.js';
import { environmentError } from '../errors.js';
import { removeAgedFiles, type AgedFilesRemoved } from '../fs/aged-files.js';
import type { ModelDirectory } from '../model/directory/strict.js';
import { MLF_VERSION } from '../version.js';
import type { RuntimeChoice } from '../worker/protocol.js';
import { startSessionWorker } from '../worker/session.js';
import { prepareModelRun } from './model-run.js';

export interface ServingMemory {
  /** One worker's peak RSS after loading the model and answering the warm-up request. */
  workerPeakBytes: number;
  /** The peak RSS of the Node process that measured (the server runs the same bundle). */
  serverPeakBytes: number;
  /** What the cache entry is keyed on. */
  modelDigest: string;
  environmentKey: string;
  /** Whether this came from the cache (no worker started). */
  cached: boolean;
}

/** Files of a model directory that are mlf's own bookkeeping, not the model. */
const BOOKKEEPING = new Set(['.mlf-lock', '.mlf-transaction.json']);

export async function measureServingMemory(
  model: ModelDirectory,
  modelUri: string,
  envRequest: Omit<EnvRequest, 'model'>,
  loader: RuntimeChoice | undefined,
): Promise<ServingMemory> {
  const run = await prepareModelRun(model, modelUri, envRequest, loader);
  try {
    const modelDigest = await modelContentDigest(model.dir);
    const environmentKey = `${run.environment.manager}-${run.environment.key}`;
    const recordKey = createHash('sha256').update(JSON.stringify([modelDigest, environmentKey, loader ?? 'auto', MLF_VERSION, process.arch])).digest('hex').slice(0, 32);
    const recordFile = path.join(bucketDir(resolveMlfHome(envRequest), 'servingMemory'), `${recordKey}.json`);
    const cached = await readRecord(recordFile);
    if (cached) return { ...cached, modelDigest, environmentKey, cached: true };
    const worker = await startSessionWorker({ ...run.worker, ignoreSigint: true, warmUp: true }).catch(run.explain);
    let workerPeakBytes: number;
    try {
      workerPeakBytes = await peakRssBytes(worker.pid);
    } finally {
      await worker.close();
    }
    const measured = { workerPeakBytes, serverPeakBytes: process.resourceUsage().maxRSS * 1024 };
    await writeRecord(recordFile, measured);
    return { ...measured, modelDigest, environmentKey, cached: false };
  } finally {
    await run.release();
  }
}

/** VmHWM of a live process: the kernel's high-water mark of its resident set. */
async function peakRssBytes(pid: number): Promise<number> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    throw environmentError('MEMORY_NOT_MEASURABLE', `cannot read the worker's memory from /proc/${pid}/status (${(error as NodeJS.ErrnoException).code ?? String(error)}): measuring needs Linux's /proc`, {
      hint: 'give the memory request with --memory (e.g. --memory 1Gi)',
    });
  }
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw environmentError('MEMORY_NOT_MEASURABLE', `/proc/${pid}/status has no VmHWM line`, { hint: 'give the memory request with --memory (e.g. --memory 1Gi)' });
  return Number(match[1]) * 1024;
}

/** sha256 over every file of the model (relative path and bytes, in path order), mlf's bookkeeping left out. */
export async function modelContentDigest(dir: string): Promise<string> {
  const files: string[] = [];
  const links: string[] = [];
  const walk = async (relative: string) => {
    const entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      if (relative === '' && BOOKKEEPING.has(entry.name)) continue;
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      // A symlink is hashed as what it points at when that is a file, and as its target's name otherwise (no loops followed).
      else if (entry.isSymbolicLink() && !(await stat(path.join(dir, child)).then((s) => s.isFile(), () => false))) links.push(`${child} -> ${await readlink(path.join(dir, child))}`);
      else files.push(child);
    }
  };
  await walk('');
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) {
    const content = createHash('sha256');
    for await (const chunk of createReadStream(path.join(dir, file))) content.update(chunk as Buffer);
    hash.update(`${file}\0${content.digest('hex')}\n`);
  }
  for (const link of links.sort()) hash.update(`${link}\n`);
  return `sha256:${hash.digest('hex')}`;
}

async function readRecord(file: string): Promise<{ workerPeakBytes: number; serverPeakBytes: number } | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const { workerPeakBytes, serverPeakBytes } = value;
    if (typeof workerPeakBytes === 'number' && workerPeakBytes > 0 && typeof serverPeakBytes === 'number' && serverPeakBytes > 0) {
      // Its mtime is its last use, which `mlf envs prune --older-than` ages it by.
      await utimes(file, new Date(), new Date()).catch(() => undefined);
      return { workerPeakBytes, serverPeakBytes };
    }
  } catch {
    // Absent or unreadable: measured again (and rewritten).
  }
  return undefined;
}

async function writeRecord(file: string, record: { workerPeakBytes: number; serverPeakBytes: number }): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const staging = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(staging, `${JSON.stringify({ ...record, measuredAt: new Date().toISOString() })}\n`);
    await rename(staging, file);
  } catch {
    // A cache that cannot be written costs a measurement next time, nothing more.
    await rm(staging, { force: true });
  }
}

/** `mlf envs prune`: measurements not used within `olderThanMs` (all without it); a lost one costs one measurement. */
export async function pruneServingMemory(mlfHome: string, options: { olderThanMs?: number; now?: Date } = {}): Promise<AgedFilesRemoved> {
  return removeAgedFiles(bucketDir(mlfHome, 'servingMemory'), {
    ...options,
    isEntry: (name) => /^[0-9a-f]{32}\.json$/.test(name),
    isStaging: (name) => /^[0-9a-f]{32}\.json\.tmp-\d+$/.test(name),
  });
}
