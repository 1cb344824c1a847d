/**
 * The Docker engine, through the `docker` command on PATH (its DOCKER_HOST, contexts and
 * credentials are the user's: mlf passes its environment through unchanged).
 */
import { spawn } from 'node:child_process';
import { ENV } from '../config/env-vars.js';
import { environmentError } from '../errors.js';

export interface DockerRunOptions {
  env: Record<string, string | undefined>;
  cwd: string;
}

interface Completed {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command could not be started at all (ENOENT: no `docker` on PATH). */
  spawnError?: NodeJS.ErrnoException;
}

function runDocker(args: string[], options: DockerRunOptions, onLine?: (line: string) => void): Promise<Completed> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lines = (chunk: string, pending: { text: string }) => {
      if (!onLine) return;
      pending.text += chunk;
      const parts = pending.text.split('\n');
      pending.text = parts.pop() ?? '';
      for (const part of parts) onLine(part);
    };
    const pendingOut = { text: '' };
    const pendingErr = { text: '' };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      lines(chunk, pendingOut);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      lines(chunk, pendingErr);
    });
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, spawnError: error }));
    child.on('close', (code) => {
      if (onLine && pendingOut.text) onLine(pendingOut.text);
      if (onLine && pendingErr.text) onLine(pendingErr.text);
      resolve({ code, stdout, stderr });
    });
  });
}

function notFound(error: NodeJS.ErrnoException): never {
  throw environmentError('DOCKER_NOT_FOUND', error.code === 'ENOENT' ? 'the `docker` command is not on PATH' : `\`docker\` could not be started: ${error.message}`, {
    hint: 'install Docker (the engine and its `docker` client), or use `mlf models generate-dockerfile` and build the directory elsewhere',
  });
}

export interface EngineFacts {
  serverVersion: string;
  clientVersion: string;
  /**
   * Which builder `docker build` uses: BuildKit through the buildx plugin; the BuildKit that
   * Docker 20.10–22.x clients carry themselves (DOCKER_BUILDKIT=1, no plugin: Debian bookworm's
   * docker.io); or the legacy builder (no cache mounts, no build secrets).
   */
  builder: 'buildx' | 'builtin-buildkit' | 'legacy';
}

/** Asks the engine for its version (the cheapest call that needs a running engine) and the client for buildx. */
export async function probeEngine(options: DockerRunOptions): Promise<EngineFacts> {
  const version = await runDocker(['version', '--format', '{{.Server.Version}}|{{.Client.Version}}'], options);
  if (version.spawnError) notFound(version.spawnError);
  const [serverVersion = '', clientVersion = ''] = version.stdout.trim().split('|');
  if (version.code !== 0 || !serverVersion) {
    const reason = firstMeaningfulLine(version.stderr) ?? 'no answer';
    throw environmentError('DOCKER_UNREACHABLE', `no Docker engine is reachable: ${reason}`, {
      hint: 'start Docker (or point DOCKER_HOST at a running engine), then run the command again',
    });
  }
  return { serverVersion, clientVersion, builder: await chooseBuilder(serverVersion, clientVersion, options) };
}

/** Docker's own switch: DOCKER_BUILDKIT=0 asks for the legacy builder, whatever is installed. */
async function chooseBuilder(serverVersion: string, clientVersion: string, options: DockerRunOptions): Promise<EngineFacts['builder']> {
  if (options.env[ENV.DOCKER_BUILDKIT] === '0') return 'legacy';
  if ((await runDocker(['buildx', 'version'], options)).code === 0) return 'buildx';
  // Clients 20.10–22.x build with BuildKit themselves; from 23.0 on, BuildKit needs the buildx
  // plugin. The 20.10 engine's built-in Dockerfile frontend (1.2) takes RUN --mount without a
  // `# syntax=` line, which would pull the frontend from a registry.
  return versionAtLeast(clientVersion, [20, 10]) && !versionAtLeast(clientVersion, [23, 0]) && versionAtLeast(serverVersion, [20, 10]) ? 'builtin-buildkit' : 'legacy';
}

function versionAtLeast(version: string, [major, minor]: [number, number]): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

export interface BuildRequest {
  contextDir: string;
  tag: string;
  platform?: string;
  /** docker build's --network (`host` where the engine has no bridge network). */
  network?: string;
  /** Names of build args whose values `docker build` takes from its environment (never written into a layer). */
  passBuildArgs: readonly string[];
  buildkit: boolean;
  /** BuildKit secrets: `id` to the file holding it (outside the build context). */
  secrets: ReadonlyArray<{ id: string; file: string }>;
}

export interface BuildResult {
  /** Every line `docker build` wrote, in order (stdout and stderr interleaved as they came). */
  output: string[];
  imageId?: string;
}

export async function dockerBuild(request: BuildRequest, options: DockerRunOptions, onLine: (line: string) => void): Promise<BuildResult> {
  const args = ['build', '--tag', request.tag, '--file', 'Dockerfile'];
  if (request.platform) args.push('--platform', request.platform);
  if (request.network) args.push('--network', request.network);
  for (const name of request.passBuildArgs) args.push('--build-arg', name);
  for (const secret of request.secrets) args.push('--secret', `id=${secret.id},src=${secret.file}`);
  if (request.buildkit) args.push('--progress', 'plain');
  args.push('.');
  const env = { ...options.env, [ENV.DOCKER_BUILDKIT]: request.buildkit ? '1' : '0' };
  const output: string[] = [];
  const done = await runDocker(args, { env, cwd: request.contextDir }, (line) => {
    output.push(line);
    onLine(line);
  });
  if (done.spawnError) notFound(done.spawnError);
  if (done.code !== 0) {
    const tail = output.filter((l) => l.trim()).slice(-15);
    throw environmentError('DOCKER_BUILD_FAILED', `\`docker build\` failed (exit ${done.code ?? 'signal'}): ${firstMeaningfulLine([...tail].reverse().join('\n')) ?? 'no output'}`, {
      detail: tail.join('\n'),
      hint: 'run again with -v to see the whole build output',
    });
  }
  const inspected = await runDocker(['image', 'inspect', '--format', '{{.Id}}', request.tag], options);
  const imageId = inspected.code === 0 ? inspected.stdout.trim() : undefined;
  return { output, ...(imageId ? { imageId } : {}) };
}

function firstMeaningfulLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
}
