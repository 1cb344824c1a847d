/**
 * The package index settings of `build-docker` (`--index-url`, `--extra-index-url`, `--netrc`), as
 * BuildKit secrets: files outside the build context that `docker build --secret` mounts at
 * /run/secrets/<id> for the install's RUN only (dockerfile.ts's BUILD_SECRETS), so that no layer,
 * ARG, ENV or history entry of the image holds an index URL or its credentials.
 */
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import { BUILD_SECRETS } from './dockerfile.js';

export interface IndexSettings {
  /** Replaces PyPI for every package (pip's --index-url; uv's default index). */
  indexUrl?: string;
  /** Asked before the default index (uv) or beside it (pip): pip's --extra-index-url. */
  extraIndexUrls: readonly string[];
  /** A netrc file with the indexes' credentials. */
  netrc?: string;
}

export function hasIndexSettings(settings: IndexSettings): boolean {
  return settings.indexUrl !== undefined || settings.extraIndexUrls.length > 0 || settings.netrc !== undefined;
}

/** Refuses what is not an http(s) URL, naming the flag (and never the URL's credentials). */
export function checkIndexUrl(flag: string, value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw usageError('INVALID_OPTION_VALUE', `invalid value \`${value.replace(/\/\/[^/@]*@/, '//***@')}\` for ${flag}: give an http:// or https:// URL of a package index (PEP 503)`);
  }
}

/**
 * Writes the secret files into `dir` (created 0700, files 0600) and returns what `docker build
 * --secret` takes. The index file is sourced by the install's shell: each value single-quoted.
 */
export async function writeIndexSecrets(dir: string, settings: IndexSettings): Promise<{ id: string; file: string }[]> {
  const secrets: { id: string; file: string }[] = [];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const exports: [string, string][] = [];
  if (settings.indexUrl !== undefined) exports.push(['UV_DEFAULT_INDEX', settings.indexUrl], ['PIP_INDEX_URL', settings.indexUrl]);
  if (settings.extraIndexUrls.length > 0) {
    const joined = settings.extraIndexUrls.join(' ');
    exports.push(['UV_INDEX', joined], ['PIP_EXTRA_INDEX_URL', joined]);
  }
  if (exports.length > 0) {
    const file = path.join(dir, BUILD_SECRETS.index);
    await writeFile(file, exports.map(([name, value]) => `export ${name}=${shellSingleQuote(value)}\n`).join(''), { mode: 0o600 });
    secrets.push({ id: BUILD_SECRETS.index, file });
  }
  if (settings.netrc !== undefined) {
    const file = path.join(dir, BUILD_SECRETS.netrc);
    try {
      await copyFile(settings.netrc, file);
    } catch (error) {
      throw usageError('NETRC_UNREADABLE', `cannot read the --netrc file \`${settings.netrc}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    await chmod(file, 0o600);
    secrets.push({ id: BUILD_SECRETS.netrc, file });
  }
  return secrets;
}

function shellSingleQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
