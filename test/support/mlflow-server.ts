/**
 * A real `mlflow server` for e2e tests, as MLflow's own tests start one
 * (tests/tracking/test_mlflow_artifacts.py): the MLflow of MLF_E2E_PYTHON, a sqlite backend and a
 * local artifact destination served through the artifact proxy (`--serve-artifacts`), in a temp
 * directory, on a free 127.0.0.1 port, one uvicorn worker.
 *
 * Fast: the server's job executor is off (it is for GenAI jobs and starts more processes), and
 * the sqlite database of a test file's second and later servers is a copy of its first one's,
 * migrated and still empty (creating MLflow's tables is much of a cold start). Robust: it waits for `GET /health`, and a server that exits
 * or does not come up in time is killed with its process group and reported with its output;
 * every server still running when the test process exits is killed too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { e2ePython } from './cli.js';
import { killGroup, trackGroup } from './process-groups.js';
import { tempDir } from './temp.js';

export interface AccessLogEntry {
  method: string;
  /** The path and query as the server logged them. */
  path: string;
  status: number;
}

export interface MlflowServer {
  /** `http://127.0.0.1:<port>`: what MLFLOW_TRACKING_URI is set to. */
  url: string;
  /** The server's working directory (its database `mlflow.db`, its artifacts under `mlartifacts/`). */
  dir: string;
  /** With `basicAuth`: the admin's credentials (the variables MLflow's client reads). */
  admin?: { username: string; password: string };
  /** The requests the server has logged so far (uvicorn's access log), oldest first. */
  accessLog(): AccessLogEntry[];
  /** The server's output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
  /** Starts the server again (after `stop`) on the same port, database and artifact directory. */
  restart(): Promise<void>;
}

export interface MlflowServerOptions {
  /** `--app-name basic-auth`, with a fresh admin password and its user store in the temp dir. */
  basicAuth?: boolean;
  /** `--artifacts-destination` instead of `mlartifacts/` in the temp dir (an `s3://` bucket of a moto server). */
  artifactsDestination?: string;
  /** More variables for the server (`MLFLOW_S3_ENDPOINT_URL` and keys for an S3 destination). */
  env?: Readonly<Record<string, string>>;
}

// Generous: a cold start is ~10 s on an idle 2-core machine, over a minute when it is saturated.
const HEALTH_TIMEOUT_MS = 240_000;
const ADMIN_USERNAME = 'admin';

export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<MlflowServer> {
  const python = e2ePython();
  if (!python) throw new Error('startMlflowServer needs MLF_E2E_PYTHON (the MLflow test environment)');
  const dir = tempDir('mlf-mlflow-server-');
  const database = path.join(dir, 'mlflow.db');
  const template = templatePath();
  if (existsSync(template)) copyFileSync(template, database);

  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PYTHONUNBUFFERED: '1',
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    ...options.env,
  };
  // The server's own client side must not see a tracking URI or credentials from the test's environment.
  for (const name of ['MLFLOW_TRACKING_URI', 'MLFLOW_REGISTRY_URI', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN']) delete env[name];
  let admin: MlflowServer['admin'];
  const appArgs: string[] = [];
  if (options.basicAuth) {
    admin = { username: ADMIN_USERNAME, password: randomBytes(12).toString('hex') };
    const ini = path.join(dir, 'basic_auth.ini');
    writeFileSync(
      ini,
      ['[mlflow]', 'default_permission = READ', `database_uri = sqlite:///${path.join(dir, 'basic_auth.db')}`, `admin_username = ${admin.username}`,
        'authorization_function = mlflow.server.auth:authenticate_request_basic_auth', ''].join('\n'),
    );
    env.MLFLOW_AUTH_CONFIG_PATH = ini;
    env.MLFLOW_AUTH_ADMIN_PASSWORD = admin.password;
    env.MLFLOW_FLASK_SERVER_SECRET_KEY = randomBytes(16).toString('hex');
    appArgs.push('--app-name', 'basic-auth');
  }

  const spawnServer = async (port: number) => {
    const args = ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1',
      '--backend-store-uri', `sqlite:///${database}`, '--artifacts-destination', options.artifactsDestination ?? path.join(dir, 'mlartifacts'), '--serve-artifacts', ...appArgs];
    const child = spawn(python, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackGroup(child);
    const run = { child, output: '' };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (run.output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (run.output += chunk));
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, child, () => run.output);
    } catch (error) {
      await killGroup(child);
      return { failure: error as Error, output: run.output };
    }
    return { run };
  };

  // A port taken between the probe and the server's bind (another test file's server) is tried again.
  let lastFailure: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const started = await spawnServer(port);
    if (!started.run) {
      lastFailure = started.failure;
      if (/address already in use/i.test(started.output)) continue;
      throw started.failure;
    }
    let current = started.run;
    // Output of earlier runs (before a restart) is kept, so the access log covers them all.
    let earlierOutput = '';
    if (!existsSync(template)) saveTemplate(database, template);
    return {
      url: `http://127.0.0.1:${port}`,
      dir,
      admin,
      accessLog: () => parseAccessLog(earlierOutput + current.output),
      output: () => earlierOutput + current.output,
      stop: () => killGroup(current.child),
      restart: async () => {
        await killGroup(current.child);
        earlierOutput += current.output;
        const again = await spawnServer(port);
        if (!again.run) throw again.failure;
        current = again.run;
      },
    };
  }
  throw lastFailure ?? new Error('mlflow server did not start');
}

/** uvicorn's access lines: `127.0.0.1:port - "GET /path HTTP/1.1" 200 OK`. */
export function parseAccessLog(output: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const match of output.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3})/g)) {
    entries.push({ method: match[1]!, path: match[2]!, status: Number(match[3]) });
  }
  return entries;
}

let templateDir: string | undefined;

/** One migrated database per test file, in a temp directory removed with the file's others. */
function templatePath(): string {
  templateDir ??= tempDir('mlf-mlflow-template-');
  return path.join(templateDir, 'mlflow.db');
}

function saveTemplate(database: string, template: string): void {
  // Copied right after /health, before any test writes: the migrated, empty store. Written whole
  // (a rename), so a server started meanwhile never copies half of it.
  const partial = `${template}.${process.pid}.partial`;
  copyFileSync(database, partial);
  renameSync(partial, template);
}

/** A port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mlflow server exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${tail(output())}`);
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok && (await response.text()).trim() === 'OK') return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mlflow server was not healthy within ${HEALTH_TIMEOUT_MS / 1000} s:\n${tail(output())}`);
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}

/** The admin credentials as the tracking variables. */
export function credentialsEnv(user: { username: string; password: string }): Record<string, string> {
  return { MLFLOW_TRACKING_USERNAME: user.username, MLFLOW_TRACKING_PASSWORD: user.password };
}
