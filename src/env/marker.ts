import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnvManagerName } from './types.js';

/**
 * The completion marker: a file written last, atomically, inside a finished environment.
 * An entry directory without it is a build that was interrupted (or is running, under the
 * entry's lock) and is never used. It also holds what `mlf envs list` shows.
 */
export const MARKER_FILE = 'mlf-env.json';
const MARKER_SCHEMA = 1;

export interface EnvMarker {
  schema: number;
  key: string;
  manager: EnvManagerName;
  /** The interpreter inside the environment. */
  pythonPath: string;
  pythonVersion: string;
  /** The interpreter it was created from. */
  basePython: string;
  created: string;
  lastUsed: string;
  /** The model it was first built for (others with the same requirements share it). */
  modelDir: string;
  /** The requirement lines installed (credentials redacted), override included. */
  requirements: string[];
  override: string[];
  installMlflow: boolean;
  mlfVersion: string;
}

export function markerPath(envDir: string): string {
  return path.join(envDir, MARKER_FILE);
}

/** The marker, or undefined when it is absent or unreadable (both mean: not a finished entry). */
export async function readMarker(envDir: string): Promise<EnvMarker | undefined> {
  try {
    const parsed = JSON.parse(await readFile(markerPath(envDir), 'utf8')) as Partial<EnvMarker>;
    if (parsed.schema !== MARKER_SCHEMA || typeof parsed.key !== 'string' || typeof parsed.pythonPath !== 'string') return undefined;
    return parsed as EnvMarker;
  } catch {
    return undefined;
  }
}

/** Writes the marker through a temp file and a rename: it appears whole or not at all. */
export async function writeMarker(envDir: string, marker: Omit<EnvMarker, 'schema'>): Promise<void> {
  const file = markerPath(envDir);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ schema: MARKER_SCHEMA, ...marker }, null, 2)}\n`);
  await rename(tmp, file);
}

/** Records a use (for `mlf envs prune --older-than`). Best effort: a failure only loses the date. */
export async function touchMarker(envDir: string, marker: EnvMarker, now: Date): Promise<void> {
  try {
    await writeMarker(envDir, { ...marker, lastUsed: now.toISOString() });
  } catch {
    // read-only cache, or the entry was pruned meanwhile
  }
}
