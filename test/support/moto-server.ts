/**
 * A local S3-compatible server for tests: moto's server mode (`moto[server]` from PyPI, in the
 * MLflow test environment), on a free 127.0.0.1 port, killed at the end (and when the test process
 * exits). `env` is what mlf needs to read `s3://` from it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { e2ePython } from './cli.js';
import { freePort } from './mlflow-server.js';

export interface MotoServer {
  url: string;
  /** MLFLOW_S3_ENDPOINT_URL and moto's dummy keys. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Why moto's server cannot run here, or undefined. */
export function motoUnavailableReason(): string | undefined {
  const python = e2ePython();
  if (!python) return 'no MLflow test environment (set MLF_E2E_PYTHON or run .ci/run)';
  if (!existsSync(path.join(path.dirname(python), 'moto_server'))) return 'moto[server] is not installed in the test environment (test/e2e/requirements.lock)';
  return undefined;
}

export async function startMotoServer(): Promise<MotoServer> {
  const python = e2ePython()!;
  const port = await freePort();
  const child: ChildProcess = spawn(path.join(path.dirname(python), 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}):\n${output}`);
    try {
      await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        kill();
        throw new Error(`moto_server did not answer within 30 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    env: { MLFLOW_S3_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' },
    stop: async () => {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      kill();
      await exited;
    },
  };
}

