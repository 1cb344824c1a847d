import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { environmentError } from '../../errors.js';
import { MLF_VERSION } from '../../version.js';
import { runTool } from '../exec.js';
import { readMarker } from '../marker.js';
import type { PreparedEnvironment } from '../types.js';
import { collectEntries } from './collect.js';
import { PACK_FORMAT, PACK_FORMAT_VERSION, PACK_WORKER_DIR, requirementsDigest, serializePackManifest, type PackManifest } from './manifest.js';
import { writeTarGz } from './archive.js';

/**
 * Writes a built environment (env/prepare.ts's, left as it is) as a relocatable archive with mlf's
 * worker inside: the facts of its interpreter asked from it, the entries collected (collect.ts),
 * the tar written atomically (archive.ts).
 */
export interface PackEnvironmentInput {
  environment: Pick<PreparedEnvironment, 'manager' | 'envDir' | 'key'>;
  /** The worker's launcher script and package directory (worker/files.ts). */
  worker: { launcher: string; packageDir: string };
  /** An absolute path; its directory exists. */
  output: string;
  extraRequirements: readonly string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface PackedEnvironment {
  archive: string;
  sizeBytes: number;
  manifest: PackManifest;
}

/** What the environment's interpreter says about itself (the platform tag as wheel tags spell it). */
const FACTS_SCRIPT = [
  'import json, os, platform, sys, sysconfig',
  'libc = platform.libc_ver()',
  'print(json.dumps({"implementation": sys.implementation.name, "version": platform.python_version(),',
  '  "minor": "%d.%d" % sys.version_info[:2], "platform": sysconfig.get_platform().replace("-", "_").replace(".", "_"),',
  '  "glibc": libc[1] if libc[0] == "glibc" else None}))',
].join('\n');

interface InterpreterFacts {
  implementation: string;
  version: string;
  minor: string;
  platform: string;
  glibc: string | null;
}

export async function packEnvironment(input: PackEnvironmentInput): Promise<PackedEnvironment> {
  const { environment } = input;
  if (environment.manager !== 'uv' && environment.manager !== 'virtualenv') {
    throw environmentError('PACK_MANAGER', `an environment made by ${environment.manager} cannot be packed`, { hint: 'use `--env-manager uv` or `--env-manager virtualenv`' });
  }
  const envPython = path.join(environment.envDir, 'bin', 'python');
  const basePython = await realpath(envPython);
  if (basePython === envPython || basePython.startsWith(`${environment.envDir}${path.sep}`)) {
    throw environmentError('PACK_NO_BASE', `\`${envPython}\` is not a link to the interpreter the environment was made from, so mlf cannot tell which one it needs`);
  }
  const facts = await interpreterFacts(envPython, input);
  const marker = await readMarker(environment.envDir);
  const requirements = marker?.requirements ?? [];
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    format_version: PACK_FORMAT_VERSION,
    mlf_version: MLF_VERSION,
    env_manager: environment.manager,
    python: 'bin/python',
    worker: PACK_WORKER_DIR,
    worker_launcher: `${PACK_WORKER_DIR}/${path.basename(input.worker.launcher)}`,
    python_version: facts.version,
    platform: facts.platform,
    glibc: facts.glibc,
    base_interpreter: { path: basePython, search: `python${facts.minor}`, implementation: facts.implementation, version: facts.version },
    requirements_digest: requirementsDigest(requirements),
    requirements,
    extra_requirements: [...input.extraRequirements],
    env_key: environment.key,
  };
  const realEnvDir = await realpath(environment.envDir);
  const entries = await collectEntries({
    envDir: environment.envDir,
    envDirAliases: realEnvDir !== environment.envDir ? [realEnvDir] : [],
    launcher: { basePython, pythonMinor: facts.minor, implementation: facts.implementation },
    worker: input.worker,
    manifestText: serializePackManifest(manifest),
  });
  const sizeBytes = await writeTarGz(entries, input.output);
  return { archive: input.output, sizeBytes, manifest };
}

async function interpreterFacts(python: string, input: Pick<PackEnvironmentInput, 'env' | 'cwd'>): Promise<InterpreterFacts> {
  const { stdout } = await runTool('python', python, ['-I', '-c', FACTS_SCRIPT], { cwd: input.cwd, env: input.env, timeoutMs: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as InterpreterFacts;
}
