import { mkdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';

/**
 * Where mlf keeps its caches. Environments live in a versioned bucket (`envs-v1/`, as uv
 * keeps `wheels-v6/`): when the layout or key changes, the bucket name changes and old
 * entries are simply never looked at again (and `mlf envs prune` can remove them).
 */
export const ENV_BUCKET = 'envs-v1';
export const INTERPRETER_BUCKET = 'interpreters-v1';
export const TOOLS_BUCKET = 'tools-v1';

/** https://bford.info/cachedir/ — backup tools skip directories that hold this file. */
const CACHEDIR_TAG =
  'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by mlf.\n# For information about cache directory tags see https://bford.info/cachedir/\n';

export function resolveMlfHome(options: { mlfHome?: string; env: Record<string, string | undefined>; cwd: string }): string {
  const explicit = options.mlfHome ?? options.env.MLF_HOME;
  if (explicit) return path.resolve(options.cwd, explicit);
  return envPaths('mlf', { suffix: '' }).cache;
}

export function envBucketDir(mlfHome: string): string {
  return path.join(mlfHome, ENV_BUCKET);
}

/** Creates `$MLF_HOME` with its CACHEDIR.TAG and the given bucket; returns the bucket's path. */
export async function ensureBucket(mlfHome: string, bucket: string): Promise<string> {
  const dir = path.join(mlfHome, bucket);
  await mkdir(dir, { recursive: true });
  const tag = path.join(mlfHome, 'CACHEDIR.TAG');
  try {
    await access(tag);
  } catch {
    await writeFile(tag, CACHEDIR_TAG);
  }
  return dir;
}
