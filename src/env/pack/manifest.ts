import { createHash } from 'node:crypto';
import { z } from 'zod';
import { normalizeRequirementLine } from '../cache-key.js';

/**
 * mlf-pack.json, at the root of an archive made by `mlf envs pack`: what the environment is and
 * what it needs from the machine it is unpacked on. Snake case: Python reads it too (Spark's job,
 * MLServer users).
 */
export const PACK_MANIFEST_FILE = 'mlf-pack.json';
export const PACK_FORMAT = 'mlf-pack';
export const PACK_FORMAT_VERSION = 1;
/** Where mlf's worker sits in the archive: `PYTHONPATH=<root>/mlf-worker` imports `mlf_worker`. */
export const PACK_WORKER_DIR = 'mlf-worker';

const baseInterpreterSchema = z.object({
  /** The real file the environment was built from; bin/python runs it when it exists. */
  path: z.string(),
  /** The name bin/python looks for on PATH when `path` is absent (same implementation and X.Y). */
  search: z.string(),
  implementation: z.string(),
  version: z.string(),
});

export const packManifestSchema = z.object({
  format: z.literal(PACK_FORMAT),
  format_version: z.literal(PACK_FORMAT_VERSION),
  mlf_version: z.string(),
  env_manager: z.enum(['uv', 'virtualenv']),
  /** Relative to the archive's root. */
  python: z.string(),
  worker: z.string(),
  /** The worker's launcher script (`python <root>/<worker_launcher>` runs the framed protocol). */
  worker_launcher: z.string(),
  python_version: z.string(),
  /** The wheel platform tag of the interpreter (`linux_x86_64`), from `sysconfig.get_platform()`. */
  platform: z.string(),
  /** glibc of the machine that packed it: wheels that ran there need at least this one. */
  glibc: z.string().nullable(),
  base_interpreter: baseInterpreterSchema,
  /** sha256 of the requirement lines the environment was built from (sorted, normalised). */
  requirements_digest: z.string(),
  requirements: z.array(z.string()),
  extra_requirements: z.array(z.string()),
  /** The environment's key in mlf's cache (env/cache-key.ts). */
  env_key: z.string(),
});

export type PackManifest = z.infer<typeof packManifestSchema>;

/** `sha256:<hex>` of the lines, sorted and normalised as the cache key normalises them. */
export function requirementsDigest(lines: readonly string[]): string {
  const normalized = [...new Set(lines.map(normalizeRequirementLine))].sort();
  return `sha256:${createHash('sha256').update(normalized.join('\n')).digest('hex')}`;
}

/** The manifest's bytes: two-space JSON with a final newline, keys in the schema's order. */
export function serializePackManifest(manifest: PackManifest): string {
  return `${JSON.stringify(packManifestSchema.parse(manifest), null, 2)}\n`;
}

/** A manifest read back (an unpacked archive's), or the reason it is not one. */
export function parsePackManifest(text: string): PackManifest {
  return packManifestSchema.parse(JSON.parse(text));
}
