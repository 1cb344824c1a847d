/**
 * The build context of a model's image: the directory `docker build` is given. Written into a
 * sibling temporary directory and renamed into place whole, so that an interrupted run leaves
 * either no directory or a complete one.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import { CONDA_FILE, CONTEXT_PATHS } from './dockerfile.js';

export interface BuildContextFiles {
  dockerfile: string;
  /** The flattened requirement lines (every -r expanded), or undefined when there are none. */
  requirementsText?: string;
  constraintsText?: string;
  /** With `--env-manager conda`: the environment file `conda env create` reads. */
  condaText?: string;
  /** The model directory, copied whole under CONTEXT_PATHS.model. */
  modelDir: string;
  /** mlf's package root and the files of it the image needs (mlfImageFiles). */
  mlfRoot: string;
  mlfFiles: readonly string[];
}

/** Files of a model directory that are mlf's own bookkeeping, never part of the image. */
const MODEL_BOOKKEEPING = new Set(['.mlf-lock', '.mlf-transaction.json']);

export async function writeBuildContext(target: string, files: BuildContextFiles): Promise<void> {
  await refuseNonEmpty(target);
  const staging = `${target}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(path.join(staging, CONTEXT_PATHS.requirements), { recursive: true });
    await writeFile(path.join(staging, CONTEXT_PATHS.dockerfile), files.dockerfile);
    // Only the Python environment's inputs are in this directory: its COPY layer (and the
    // install after it) changes when they change, not when the model does.
    if (files.requirementsText !== undefined) await writeFile(path.join(staging, CONTEXT_PATHS.requirements, 'requirements.txt'), files.requirementsText);
    if (files.constraintsText !== undefined) await writeFile(path.join(staging, CONTEXT_PATHS.requirements, 'constraints.txt'), files.constraintsText);
    if (files.condaText !== undefined) await writeFile(path.join(staging, CONTEXT_PATHS.requirements, CONDA_FILE), files.condaText);
    for (const file of files.mlfFiles) {
      const destination = path.join(staging, CONTEXT_PATHS.mlf, file);
      await mkdir(path.dirname(destination), { recursive: true });
      await cp(path.join(files.mlfRoot, file), destination);
    }
    await cp(files.modelDir, path.join(staging, CONTEXT_PATHS.model), {
      recursive: true,
      filter: (source) => !MODEL_BOOKKEEPING.has(path.basename(source)),
    });
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function refuseNonEmpty(target: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(target)).isDirectory()) throw usageError('OUTPUT_DIRECTORY_EXISTS', `\`${target}\` exists and is not a directory`, { hint: 'choose another -d/--output-directory' });
    entries = await readdir(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) {
    throw usageError('OUTPUT_DIRECTORY_EXISTS', `\`${target}\` already exists and is not empty`, { hint: 'remove it, or choose another -d/--output-directory' });
  }
}

/** The requirements digest the image is labelled with: the environment's inputs, as installed. */
export function requirementsDigest(parts: { buildDependencies: readonly string[]; requirementsText?: string; constraintsText?: string }): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([parts.buildDependencies, parts.requirementsText ?? '', parts.constraintsText ?? '']));
  return `sha256:${hash.digest('hex')}`;
}
