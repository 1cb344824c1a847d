/**
 * What the `mlf models serve` e2e tests share: plain HTTP requests to 127.0.0.1, `mlf models serve`
 * and MLflow's own `mlflow models serve` started on free ports (and stopped, with every process
 * they started, by `stopServers()`), and the corpus of good and bad /invocations requests built
 * from a model's columns and rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { isProcessAlive as pidExists } from '../../src/process-alive.js';
import { mlfBin, repoRoot } from './cli.js';

/**
 * MLflow writes Python sets into some messages ("exactly one of the input fields {...}"), whose
 * order changes with every process's string hashing: two MLflow servers differ there too. Both
 * servers get the same seed (mlf passes its environment on to its workers).
 */
export const HASH_SEED = '0';

export interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

export function send(base: string, method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${urlPath}`, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Whether a process runs (a zombie, exited but not yet reaped by whoever adopted it, does not). */
export function isProcessAlive(pid: number): boolean {
  if (!pidExists(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

const started: ChildProcess[] = [];

/** SIGTERM (then SIGKILL after 10 s) to one server; resolves once it has exited. */
export function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every server started here, MLflow's whole process groups included. */
export async function stopServers(): Promise<void> {
  await Promise.all(
    started.splice(0).map(async (child) => {
      // MLflow's server runs uvicorn in a child of its own process group.
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // not a group leader (mlf): stopServer() below
        }
      }
      await stopServer(child);
    }),
  );
}

export interface MlfServer {
  child: ChildProcess;
  url: string;
  pids: number[];
  /** Where the model's environment is (the --json line's `environment.envDir`). */
  envDir: string;
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface MlfServeOptions {
  model: string;
  envManager: string;
  mlfHome: string;
  /** PATH for mlf (the interpreter found on it is part of an environment's key). */
  path: string;
  args?: string[];
  detached?: boolean;
  /** How long building the environment and loading the model may take. */
  readyTimeoutMs?: number;
  /** More variables for mlf (MLFLOW_TRACKING_URI for a model URI). */
  env?: Readonly<Record<string, string>>;
}

/** `mlf models serve -p 0 --json`, resolved once it has said where it listens. */
export async function startMlfServe(options: MlfServeOptions): Promise<MlfServer> {
  const child = spawn(process.execPath, [mlfBin, 'models', 'serve', '-m', options.model, '--env-manager', options.envManager, '-p', '0', '--json', ...(options.args ?? [])], {
    cwd: repoRoot,
    // The rest of the environment as the user's (an index's certificates, proxies), as runMlf.
    env: { ...process.env, ...options.env, PATH: options.path, MLF_HOME: options.mlfHome, NO_COLOR: '1', PYTHONHASHSEED: HASH_SEED },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  started.push(child);
  const stderr: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mlf models serve did not say where it listens within ${timeoutMs / 1000} s:\n${stderr.join('\n')}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      clearTimeout(timer);
      resolve(line);
    });
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`mlf models serve exited with ${code}:\n${stderr.join('\n')}`));
    });
  });
  let ready: { ok: boolean; url: string; worker_pids: number[]; environment: { envDir: string } };
  try {
    ready = JSON.parse(first) as typeof ready;
  } catch {
    // Not the one-line ready object: an error object (several lines) follows; show it whole.
    await Promise.race([exit, new Promise((r) => setTimeout(r, 5_000))]);
    throw new Error(`mlf models serve -m ${options.model} --env-manager ${options.envManager} did not start:\n${stdout.join('\n')}\n${stderr.join('\n')}`);
  }
  if (!ready.ok) throw new Error(`mlf models serve said: ${first}`);
  return { child, url: ready.url, pids: ready.worker_pids, envDir: ready.environment.envDir, stderr, exit };
}

export interface MlflowServeOptions {
  python: string;
  model: string;
  envManager: string;
  cwd: string;
  env: Record<string, string>;
  readyTimeoutMs?: number;
}

/** `python -m mlflow models serve` on a free port, resolved with its URL once /ping answers 200. */
export async function startMlflowServe(options: MlflowServeOptions): Promise<{ url: string; stderr: string[] }> {
  const port = await freePort();
  const child = spawn(options.python, ['-m', 'mlflow', 'models', 'serve', '-m', options.model, '--env-manager', options.envManager, '-h', '127.0.0.1', '-p', String(port)], {
    cwd: options.cwd,
    env: { ...process.env, PYTHONHASHSEED: HASH_SEED, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  started.push(child);
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await send(url, 'GET', '/ping', undefined, {}, 2_000)).status === 200) return { url, stderr };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`mlflow models serve exited with ${child.exitCode}:\n${stderr.slice(-30).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${url}/ping did not answer 200 within ${timeoutMs / 1000} s:\n${stderr.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface CorpusRequest {
  name: string;
  contentType?: string;
  body: string;
}

/**
 * Good and bad /invocations requests for a model whose signature is `columns` (doubles, except
 * `integerColumn`, a long), with `rows` that satisfy it: every input shape, CSV, and each way
 * MLflow refuses a request (content types, malformed JSON and CSV, schema mismatches).
 */
export function invocationsCorpus(columns: string[], rows: number[][], options: { integerColumn?: string } = {}): CorpusRequest[] {
  const json = 'application/json';
  const records = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
  const split = { dataframe_split: { columns, data: rows } };
  const withText = [...rows[0]!] as (number | string)[];
  withText[0] = 'x';
  const corpus: CorpusRequest[] = [
    { name: 'dataframe_split', contentType: json, body: JSON.stringify(split) },
    { name: 'dataframe_records', contentType: json, body: JSON.stringify({ dataframe_records: records }) },
    { name: 'instances', contentType: json, body: JSON.stringify({ instances: records }) },
    { name: 'inputs', contentType: json, body: JSON.stringify({ inputs: Object.fromEntries(columns.map((c, i) => [c, rows.map((row) => row[i])])) }) },
    { name: 'params (ignored by this model)', contentType: json, body: JSON.stringify({ ...split, params: { k: 1 } }) },
    { name: 'charset=utf-8 accepted', contentType: 'application/json; charset=utf-8', body: JSON.stringify(split) },
    { name: 'CSV', contentType: 'text/csv', body: `${columns.join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n` },
    { name: 'CSV missing a column', contentType: 'text/csv', body: `${columns.slice(0, -1).join(',')}\n${rows[0]!.slice(0, -1).join(',')}\n` },
    { name: 'CSV with a bad value', contentType: 'text/csv', body: `${columns.join(',')}\n${withText.join(',')}\n` },
    { name: 'bad JSON', contentType: json, body: '{"dataframe_split": ' },
    { name: 'a JSON list', contentType: json, body: '[1, 2]' },
    { name: 'two keys', contentType: json, body: JSON.stringify({ inputs: rows, instances: rows }) },
    { name: 'no key', contentType: json, body: JSON.stringify({ data: rows }) },
    { name: 'wrong content type', contentType: 'application/xml', body: '<a/>' },
    { name: 'charset latin-1', contentType: 'application/json; charset=latin-1', body: '{}' },
    { name: 'a format parameter', contentType: 'application/json; format=pandas-split', body: '{}' },
    { name: 'schema mismatch (a missing column)', contentType: json, body: JSON.stringify({ dataframe_split: { columns: columns.slice(0, -1), data: [rows[0]!.slice(0, -1)] } }) },
    { name: 'schema mismatch (unnamed inputs)', contentType: json, body: JSON.stringify({ inputs: rows }) },
    { name: 'schema mismatch (a string for a double)', contentType: json, body: JSON.stringify({ dataframe_split: { columns, data: [withText] } }) },
    { name: 'dataframe_split with an unknown key', contentType: json, body: JSON.stringify({ dataframe_split: { columns, data: rows, extra: 1 } }) },
    { name: 'no content type', body: '{}' },
  ];
  if (options.integerColumn !== undefined) {
    const at = columns.indexOf(options.integerColumn);
    const fractional = rows.map((row) => row.map((v, i) => (i === at ? v + 0.5 : v)));
    corpus.push({ name: `schema mismatch (a fraction for the long ${options.integerColumn})`, contentType: json, body: JSON.stringify({ dataframe_split: { columns, data: fractional } }) });
  }
  return corpus;
}
