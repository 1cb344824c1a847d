import { mkdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';
import { bucketDir, type CacheBucket } from '../config/cache-layout.js';
import { ENV, type EnvRecord } from '../config/env-vars.js';

/** https://bford.info/cachedir/ — backup tools skip directories that hold this file. */
const CACHEDIR_TAG =
  'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by mlf.\n# For information about cache directory tags see https://bford.info/cachedir/\n';

/** Where mlf keeps its caches (`$MLF_HOME`, whose buckets config/cache-layout.ts names). */
export function resolveMlfHome(options: { mlfHome?: string; env: EnvRecord; cwd: string }): string {
  const explicit = options.mlfHome ?? options.env[ENV.MLF_HOME];
  if (explicit) return path.resolve(options.cwd, explicit);
  return envPaths('mlf', { suffix: '' }).cache;
}

/** Creates `$MLF_HOME` with its CACHEDIR.TAG and the given bucket; returns the bucket's path. */
export async function ensureBucket(mlfHome: string, bucket: CacheBucket): Promise<string> {
  const dir = bucketDir(mlfHome, bucket);
  await mkdir(dir, { recursive: true });
  const tag = path.join(mlfHome, 'CACHEDIR.TAG');
  try {
    await access(tag);
  } catch {
    await writeFile(tag, CACHEDIR_TAG);
  }
  return dir;
}
