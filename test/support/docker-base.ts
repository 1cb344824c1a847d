/**
 * The local base images the docker tests (and bench/docker.mjs) build on, since no container
 * registry is reachable here: what a user behind a corporate registry passes as --base-image.
 *
 * - python: a Debian root filesystem made with debootstrap from this machine's configured Debian
 *   mirror (read from the apt sources now; no host name is written anywhere), with Debian's
 *   python3.11 (3.11.2 on bookworm: the image's check is on major.minor, the model's micro version
 *   is only a label) in a virtual environment at /usr/local, so that `python`, `python3` and `pip`
 *   are where python:X.Y-slim has them (MLflow's Dockerfile runs `pip install` there), and this
 *   machine's CA bundle (the package index is reached through a TLS proxy it trusts), named by
 *   SSL_CERT_FILE (uv) and PIP_CERT (pip).
 * - node: one layer holding this machine's own Node binary at /usr/local/bin/node, what the
 *   Dockerfile copies from an official Node image.
 *
 * Debootstrap takes minutes, so each image's tarball is cached under .e2e/docker-base/, keyed by
 * the mirror, the suite, the package list, the CA bundle and the node binary; a second run only
 * imports it (seconds), and an engine that has the tag already does nothing.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BASE_PACKAGES = ['python3.11', 'python3.11-venv', 'python3-distutils', 'python3-lib2to3', 'python3-pip-whl', 'python3-setuptools-whl', 'ca-certificates'];
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface DebianSource {
  uri: string;
  suite: string;
}

/** The first apt source of the main archive for `suite` (not -security, -updates), deb822 or one-line. */
export function debianMirror(suite: string, sourceTexts: readonly string[]): DebianSource | undefined {
  for (const text of sourceTexts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
      const types = field('Types');
      if (types !== undefined) {
        if (!types.split(/\s+/).includes('deb')) continue;
        const suites = (field('Suites') ?? '').split(/\s+/);
        const uri = (field('URIs') ?? '').split(/\s+/)[0];
        if (uri && suites.includes(suite)) return { uri, suite };
        continue;
      }
      for (const line of stanza.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
        if (m && m[2] === suite) return { uri: m[1]!, suite };
      }
    }
  }
  return undefined;
}

function aptSourceTexts(): string[] {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const name of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(name)) files.push(path.join(dir, name));
  return files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
}

function hostSuite(): string {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const codename = /^VERSION_CODENAME=(.+)$/m.exec(osRelease)?.[1]?.replace(/"/g, '');
  if (!codename) throw new Error('/etc/os-release names no VERSION_CODENAME');
  return codename;
}

export interface LocalBaseImages {
  python: string;
  node: string;
  /** Seconds each image took, and whether it came from the tarball cache or the engine. */
  timings: Record<'python' | 'node', { seconds: number; source: 'engine' | 'tarball' | 'debootstrap' }>;
}

export interface DockerCall {
  (args: string[], options?: { input?: string }): Promise<string>;
}

/** Builds (or finds) both images; `docker` runs the client against the test's engine. */
export async function ensureLocalBaseImages(cacheRoot: string, docker: DockerCall): Promise<LocalBaseImages> {
  const suite = hostSuite();
  const mirror = debianMirror(suite, aptSourceTexts());
  if (!mirror) throw new Error(`no apt source of the Debian archive for \`${suite}\` in /etc/apt/sources.list*`);
  const nodeBinary = realpathSync(process.execPath);
  const digest = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
  const pythonKey = digest([mirror, BASE_PACKAGES, fileDigest(CA_BUNDLE), 'usr-local-venv-1']);
  const nodeKey = digest([fileDigest(nodeBinary), process.version]);
  const images = {
    python: `mlf-local/python:3.11-${pythonKey}`,
    node: `mlf-local/node:${process.versions.node}-${nodeKey}`,
  };
  mkdirSync(cacheRoot, { recursive: true });
  const timings = {} as LocalBaseImages['timings'];
  timings.python = await ensureImage(images.python, path.join(cacheRoot, `python-${pythonKey}.tar`), docker, pythonImportChanges(), (tar) => debootstrapRootfs(mirror, tar, cacheRoot));
  timings.node = await ensureImage(images.node, path.join(cacheRoot, `node-${nodeKey}.tar`), docker, [], (tar) => nodeLayer(nodeBinary, tar, cacheRoot));
  return { ...images, timings };
}

function pythonImportChanges(): string[] {
  return [
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV LANG=C.UTF-8',
    `ENV SSL_CERT_FILE=${CA_BUNDLE}`,
    `ENV PIP_CERT=${CA_BUNDLE}`,
    'CMD ["python3"]',
  ];
}

async function ensureImage(tag: string, tarball: string, docker: DockerCall, changes: string[], make: (tar: string) => Promise<void>): Promise<{ seconds: number; source: 'engine' | 'tarball' | 'debootstrap' }> {
  const started = performance.now();
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
    return { seconds: (performance.now() - started) / 1000, source: 'engine' };
  } catch {
    // not in this engine yet
  }
  let source: 'tarball' | 'debootstrap' = 'tarball';
  if (!existsSync(tarball)) {
    source = 'debootstrap';
    const partial = `${tarball}.partial-${process.pid}`;
    try {
      await make(partial);
      renameSync(partial, tarball);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  await docker(['import', ...changes.flatMap((c) => ['--change', c]), tarball, tag]);
  return { seconds: (performance.now() - started) / 1000, source };
}

async function debootstrapRootfs(mirror: DebianSource, tarball: string, cacheRoot: string): Promise<void> {
  const rootfs = path.join(cacheRoot, `rootfs-${process.pid}`);
  rmSync(rootfs, { recursive: true, force: true });
  try {
    await run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, mirror.suite, rootfs, mirror.uri], { maxBuffer: 64 * 1024 * 1024 });
    // python:X.Y-slim keeps its Python in /usr/local with pip beside it; a venv there gives the
    // same paths without touching Debian's externally managed system Python.
    await run('/usr/sbin/chroot', [rootfs, '/usr/bin/python3.11', '-m', 'venv', '/usr/local'], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    copyFileSync(CA_BUNDLE, path.join(rootfs, CA_BUNDLE));
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'debootstrap']) rmSync(path.join(rootfs, dir), { recursive: true, force: true });
    mkdirSync(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    mkdirSync(path.join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.'], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

async function nodeLayer(nodeBinary: string, tarball: string, cacheRoot: string): Promise<void> {
  const root = path.join(cacheRoot, `node-root-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  try {
    mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
    copyFileSync(nodeBinary, path.join(root, 'usr/local/bin/node'));
    await run('tar', ['--numeric-owner', '-C', root, '-cf', tarball, 'usr']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function fileDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The stand-in for conda (test/e2e/py/conda_stand_in.py says what it does and why). */
const CONDA_STAND_IN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'e2e', 'py', 'conda_stand_in.py');

/**
 * `python` with the stand-in conda at /usr/local/bin/conda: the base image a user of `--env-manager
 * conda` passes (theirs has a real conda). One COPY on top of `python`, built from `contextDir`
 * (an empty temp directory), reused while the script and the base are the same.
 */
export async function ensureCondaStandInImage(python: string, contextDir: string, docker: DockerCall): Promise<string> {
  const tag = `mlf-local/conda-stand-in:${createHash('sha256').update(JSON.stringify([python, fileDigest(CONDA_STAND_IN)])).digest('hex').slice(0, 12)}`;
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
    return tag;
  } catch {
    // not in this engine yet
  }
  copyFileSync(CONDA_STAND_IN, path.join(contextDir, 'conda'));
  chmodSync(path.join(contextDir, 'conda'), 0o755);
  writeFileSync(path.join(contextDir, 'Dockerfile'), `FROM ${python}\nCOPY conda /usr/local/bin/conda\n`);
  await docker(['build', '--quiet', '--tag', tag, contextDir]);
  return tag;
}
