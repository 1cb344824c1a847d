/**
 * A Docker engine for the docker tests: the one .ci/run started (its socket in
 * MLF_E2E_DOCKER_HOST), else one this test file starts itself and stops at the end:
 * `dockerd --bridge=none --iptables=false` with its data, exec root and socket in a temp
 * directory, so that it collides with no other engine. Without a bridge every container runs
 * with `--network host`, and the tests bind 127.0.0.1 only.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DOCKER_HOST_VARIABLE = 'MLF_E2E_DOCKER_HOST';

export interface DockerEngine {
  /** DOCKER_HOST for the client. */
  host: string;
  /** The client's environment: this process's, with DOCKER_HOST set. */
  env: Record<string, string | undefined>;
  docker(args: string[], options?: { timeoutMs?: number }): Promise<string>;
  stop(): Promise<void>;
}

export type EngineOutcome = { ok: true; engine: DockerEngine } | { ok: false; reason: string };

function client(host: string) {
  const env = { ...process.env, DOCKER_HOST: host };
  return {
    env,
    docker: async (args: string[], options: { timeoutMs?: number } = {}) => {
      const { stdout } = await run('docker', args, { env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 600_000 });
      return stdout;
    },
  };
}

async function reachable(docker: DockerEngine['docker']): Promise<boolean> {
  try {
    return (await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 })).trim().length > 0;
  } catch {
    return false;
  }
}

/** Mount points under `dir`, deepest first (from /proc/self/mounts; octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  const mounts = existsSync('/proc/self/mounts') ? readFileSync('/proc/self/mounts', 'utf8') : '';
  return mounts
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function startDockerEngine(): Promise<EngineOutcome> {
  const given = process.env[DOCKER_HOST_VARIABLE];
  if (given) {
    const { env, docker } = client(given);
    // .ci/run said there is an engine: not reaching it is a failure, not a reason to skip.
    if (!(await reachable(docker))) throw new Error(`${DOCKER_HOST_VARIABLE}=${given}: no Docker engine answers there`);
    return { ok: true, engine: { host: given, env, docker, stop: async () => {} } };
  }
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!dockerd) return { ok: false, reason: 'no dockerd installed (apt-get install docker.io)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'dockerd needs root' };
  // Short paths: a unix socket's path is limited to 108 bytes.
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlf-dockerd-'));
  const socket = path.join(root, 'docker.sock');
  const host = `unix://${socket}`;
  const log = path.join(root, 'dockerd.log');
  mkdirSync(path.join(root, 'exec'));
  const child: ChildProcess = spawn(
    dockerd,
    ['--bridge=none', '--iptables=false', '--ip6tables=false', '--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'exec'), '--pidfile', path.join(root, 'dockerd.pid'), '-H', host],
    { stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')], detached: false },
  );
  const { env, docker } = client(host);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    // dockerd leaves its default network namespace mounted in the exec root (exec/netns/default).
    for (const mountPoint of mountsUnder(root)) await run('umount', ['-l', mountPoint]).catch(() => undefined);
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (existsSync(socket) && (await reachable(docker))) return { ok: true, engine: { host, env, docker, stop } };
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-1)[0] ?? '' : '';
  await stop();
  return { ok: false, reason: `dockerd did not start: ${tail.replace(/^time="[^"]*"\s*/, '').slice(0, 160)}` };
}

/**
 * A PATH that puts a BuildKit-capable `docker` client first, for the tests that build with
 * BuildKit: the PATH's own client when it has buildx; else Debian's docker.io client
 * (/usr/bin/docker, 20.10: BuildKit built in, no plugin needed) through a symlink in `shimDir`
 * when another client (a Docker 23+ one without buildx) comes first on PATH. The reason when
 * neither exists.
 */
export async function buildkitClientPath(engine: DockerEngine, shimDir: string): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  const basePath = process.env.PATH ?? '';
  try {
    await run('docker', ['buildx', 'version'], { env: engine.env, timeout: 30_000 });
    return { ok: true, path: basePath };
  } catch {
    // no buildx plugin for the PATH's client
  }
  const debian = '/usr/bin/docker';
  if (!existsSync(debian)) return { ok: false, reason: 'no BuildKit: no docker buildx and no /usr/bin/docker client' };
  const { stdout } = await run(debian, ['version', '--format', '{{.Client.Version}}'], { env: engine.env, timeout: 30_000 });
  const [major = 0, minor = 0] = stdout.trim().split('.').map(Number);
  if (!(major > 20 || (major === 20 && minor >= 10)) || major >= 23) return { ok: false, reason: `no BuildKit: no docker buildx, and /usr/bin/docker is client ${stdout.trim()} (BuildKit without buildx: 20.10 to 22.x)` };
  mkdirSync(shimDir, { recursive: true });
  symlinkSync(debian, path.join(shimDir, 'docker'));
  return { ok: true, path: `${shimDir}${path.delimiter}${basePath}` };
}
