import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canonicalizeName } from '../deps/pep508.js';
import { isToolError, runTool } from './exec.js';
import { removeTree } from './remove-tree.js';
import { bootstrappedUvPath } from './select-manager.js';
import { findExecutable } from './which.js';

/**
 * Questions to the configured package index, asked through uv: does a distribution of this
 * name exist there, and which top-level modules do its files install? A missing-module hint
 * asks this before it names a distribution no table knows, so that it never sends a user to
 * install a package named after their own local module (dependency confusion).
 */

/** uv on PATH, else the one mlf bootstrapped under MLF_HOME; undefined when neither exists. */
export function findUv(env: Record<string, string | undefined>, mlfHome: string): string | undefined {
  const onPath = findExecutable('uv', env);
  if (onPath) return onPath;
  const bootstrapped = bootstrappedUvPath(mlfHome);
  return existsSync(bootstrapped) ? bootstrapped : undefined;
}

/**
 * The environment for a uv command that should see the index pip would see: uv reads
 * `UV_INDEX_URL`/`UV_EXTRA_INDEX_URL` but not pip's `PIP_INDEX_URL`/`PIP_EXTRA_INDEX_URL`, so
 * pip's are passed on under uv's names where uv's own are unset.
 */
export function uvIndexEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  if (!out.UV_INDEX_URL && !out.UV_DEFAULT_INDEX && out.PIP_INDEX_URL) out.UV_INDEX_URL = out.PIP_INDEX_URL;
  if (!out.UV_EXTRA_INDEX_URL && !out.UV_INDEX && out.PIP_EXTRA_INDEX_URL) out.UV_EXTRA_INDEX_URL = out.PIP_EXTRA_INDEX_URL;
  return out;
}

/** Requirements-file options that choose where packages come from; the probe repeats the model's. */
const INDEX_OPTION = /^(-i|--index-url|--extra-index-url|-f|--find-links|--no-index)(\s|=|$)/;

export function indexOptionLines(lines: readonly string[]): string[] {
  return lines.filter((line) => INDEX_OPTION.test(line.trim()));
}

export type IndexProbe =
  | { status: 'found'; distribution: string; version: string; modules: string[] }
  | { status: 'absent'; distribution: string }
  | { status: 'unknown'; distribution: string; reason: string };

export interface ProbeOptions {
  /** The distribution to look up, e.g. `textfeat`. */
  distribution: string;
  /** An interpreter of the model's environment: wheels are chosen for its version and platform. */
  pythonPath: string;
  /** The model's index options (`--index-url ...`), so that the probe asks the index the install asks. */
  indexOptions?: readonly string[];
  mlfHome: string;
  env: Record<string, string | undefined>;
  cwd: string;
  timeoutMs?: number;
}

/**
 * Installs the distribution's wheel, without its dependencies, into a temporary directory
 * (`uv pip install --target --no-deps --only-binary :all:`: no build, no code of it runs) and
 * reads the top-level modules its RECORD and top_level.txt list. `absent` when the index has
 * no such distribution; `unknown` when the question could not be answered (no uv, offline, only
 * a source distribution, a timeout), which a hint must treat as "not verified".
 */
export async function probeIndexDistribution(options: ProbeOptions): Promise<IndexProbe> {
  const distribution = canonicalizeName(options.distribution);
  const uv = findUv(options.env, options.mlfHome);
  if (!uv) return { status: 'unknown', distribution, reason: 'uv was not found' };
  const target = await mkdtemp(path.join(os.tmpdir(), 'mlf-index-probe-'));
  try {
    const input = [...(options.indexOptions ?? []), distribution].join('\n') + '\n';
    const args = ['pip', 'install', '--quiet', '--color', 'never', '--python', options.pythonPath, '--target', target, '--no-deps', '--only-binary', ':all:', '-r', '-'];
    try {
      await runTool('uv', uv, args, { cwd: options.cwd, env: uvIndexEnvironment(options.env), input, timeoutMs: options.timeoutMs ?? 60_000 });
    } catch (error) {
      if (!isToolError(error)) throw error;
      if (isNotOnIndex(error.output, distribution)) return { status: 'absent', distribution };
      return { status: 'unknown', distribution, reason: error.timedOut ? 'uv timed out' : error.stderrTail.split('\n').pop() ?? 'uv failed' };
    }
    const installed = await installedDistribution(target, distribution);
    if (!installed) return { status: 'unknown', distribution, reason: 'uv installed no distribution metadata' };
    return { status: 'found', distribution, ...installed };
  } finally {
    await removeTree(target).catch(() => undefined);
  }
}

/** uv's words (0.13) for "the index has no distribution of that name". */
export function isNotOnIndex(output: string, distribution: string): boolean {
  const match = /Because ([A-Za-z0-9][\w.-]*) was not found in the package registry/.exec(output);
  return match !== null && canonicalizeName(match[1]!) === distribution;
}

/** The version and top-level modules of the one `<name>-<version>.dist-info` under `target`. */
async function installedDistribution(target: string, distribution: string): Promise<{ version: string; modules: string[] } | undefined> {
  const entries = await readdir(target);
  const stem = (entry: string) => entry.slice(0, -'.dist-info'.length);
  const distInfo = entries.find((e) => e.endsWith('.dist-info') && canonicalizeName(stem(e).slice(0, stem(e).lastIndexOf('-'))) === distribution);
  if (!distInfo) return undefined;
  const version = stem(distInfo).slice(stem(distInfo).lastIndexOf('-') + 1);
  const record = await readFile(path.join(target, distInfo, 'RECORD'), 'utf8').catch(() => '');
  const topLevel = await readFile(path.join(target, distInfo, 'top_level.txt'), 'utf8').catch(() => '');
  return { version, modules: topLevelModulesOf(record, topLevel) };
}

/**
 * The importable top-level names a wheel installs: the first component of each RECORD path
 * (a package directory, a `name.py` module or a `name.<tag>.so` extension), skipping its
 * metadata, scripts and data, plus what top_level.txt lists.
 */
export function topLevelModulesOf(record: string, topLevel = ''): string[] {
  const modules = new Set<string>();
  for (const line of record.split(/\r?\n/)) {
    const file = recordPath(line);
    if (!file || file.startsWith('..') || file.startsWith('/')) continue;
    const parts = file.split('/');
    const first = parts[0]!;
    if (first.endsWith('.dist-info') || first.endsWith('.data') || first === '__pycache__' || first === 'bin') continue;
    if (parts.length > 1) {
      if (/^[A-Za-z_]\w*$/.test(first)) modules.add(first);
    } else {
      const module = /^([A-Za-z_]\w*)(\.py|\.[^/]*\.(so|pyd)|\.(so|pyd))$/.exec(first)?.[1];
      if (module) modules.add(module);
    }
  }
  for (const name of topLevel.split(/\r?\n/)) if (/^[A-Za-z_]\w*$/.test(name.trim())) modules.add(name.trim());
  return [...modules].sort();
}

/** The path field of a RECORD line (CSV: quoted when it holds a comma). */
function recordPath(line: string): string | undefined {
  if (line === '') return undefined;
  if (line.startsWith('"')) {
    const end = line.indexOf('",');
    return end < 0 ? undefined : line.slice(1, end).replace(/""/g, '"');
  }
  const comma = line.indexOf(',');
  return comma < 0 ? line : line.slice(0, comma);
}
