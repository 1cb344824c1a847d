/**
 * A live Seldon MLServer 1.7.1 (its MLflow runtime) on 127.0.0.1, serving one fixture model whose
 * libraries come from `mlf envs pack`'s archive as the model's `environment_tarball`: MLServer's
 * own venv (.e2e/mlserver, made by .ci/run from test/e2e/mlserver.lock) never gets the model's
 * libraries. Used by test/e2e/pack.test.ts and test/e2e/serve-v2-live.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';
import { freePort } from './serve.js';

/** Seldon MLServer 1.7.1 with its MLflow runtime, in a venv of its own. */
export const MLSERVER = path.join(repoRoot, '.e2e', 'mlserver', 'bin', 'mlserver');
/** The name MLServer serves the model under (as `mlflow models serve --enable-mlserver` and mlf name it). */
export const MLSERVER_MODEL_NAME = 'mlflow-model';

export interface Mlserver {
  child: ChildProcess;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Where MLServer unpacks the environment tarball. */
  environments: string;
  log: string;
}

/** SIGTERM to the server's process group, SIGKILL after 15 s (MLServer 1.7.1 can hang in its shutdown). */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 15_000));
  if ((await Promise.race([exited, timer])) === 'late') {
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
  // Its multiprocessing helpers are in the group too.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/**
 * `mlserver start` on a model repository made in `work` for `model` with `tarball` as its
 * environment, resolved once the model is ready (at most `readyTimeoutMs`). The caller stops it
 * with stopGroup(), also when this throws after the spawn (the child is stopped here then).
 */
export async function startMlserver(options: { model: string; tarball: string; work: string; readyTimeoutMs?: number }): Promise<Mlserver> {
  const repo = path.join(options.work, 'mlserver-repo');
  const environments = path.join(options.work, 'mlserver-envs');
  mkdirSync(repo, { recursive: true });
  const port = await freePort();
  writeFileSync(path.join(repo, 'settings.json'), JSON.stringify({
    host: '127.0.0.1', http_port: port, grpc_port: await freePort(), metrics_port: await freePort(),
    // environment_tarball is honoured by the parallel inference pools only.
    parallel_workers: 1, environments_dir: environments, debug: false,
  }));
  writeFileSync(path.join(repo, 'model-settings.json'), JSON.stringify({
    name: MLSERVER_MODEL_NAME, implementation: 'mlserver_mlflow.MLflowRuntime',
    parameters: { uri: options.model, environment_tarball: options.tarball },
  }));
  const log = path.join(options.work, 'mlserver.log');
  const out = openSync(log, 'w');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MLSERVER')));
  const child = spawn(MLSERVER, ['start', repo], { cwd: repo, env, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? 240_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mlserver exited: ${readFileSync(log, 'utf8').slice(-2000)}`);
      const ready = await fetch(`${url}/v2/models/${MLSERVER_MODEL_NAME}/ready`).then((r) => r.status, () => 0);
      if (ready === 200) break;
      if (Date.now() > deadline) throw new Error(`mlserver was not ready in ${timeoutMs / 1000} s: ${readFileSync(log, 'utf8').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return { child, url, environments, log };
}
