/**
 * Adaptive batching through the real worker (worker.py with $MLF_E2E_PYTHON, default
 * <repo>/.e2e/venv/bin/python) on the fixture models: for each model and runtime, a corpus of good
 * and bad /invocations requests is sent as one `invoke_batch` and then one request at a time (a
 * batch of one: the single path), and every reply must be the same bytes: status, content type and
 * body. The corpus includes a request whose rows fail schema enforcement: it alone gets the 400.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { IRIS_COLUMNS, IRIS_ROWS } from '../support/iris.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = process.env.MLF_E2E_PYTHON ?? path.join(REPO, '.e2e', 'venv', 'bin', 'python');
const FIXTURES = path.join(REPO, 'fixtures');
const SLOW = 120_000;

interface Item {
  protocol: 'mlflow';
  path: '/invocations';
  content_type: string | null;
  body: string;
}
interface HttpReply {
  status: number;
  content_type: string;
  body: string;
}
interface BatchReply {
  id: number;
  ok: boolean;
  type: string;
  replies: HttpReply[];
  batched_rows: number;
}

const item = (body: string, contentType: string | null = 'application/json'): Item => ({
  protocol: 'mlflow',
  path: '/invocations',
  content_type: contentType,
  body,
});
const split = (columns: string[], data: unknown[][]) => item(JSON.stringify({ dataframe_split: { columns, data } }));

/** A worker process speaking the protocol's JSON lines; `request` sends one and waits for its reply. */
class RawWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: BatchReply) => void>();
  private readonly lines: AsyncIterator<string>;
  readonly stderr: string[] = [];
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    createInterface({ input: child.stderr }).on('line', (line) => this.stderr.push(line));
  }

  static async start(modelDir: string, runtime: 'auto' | 'mlflow'): Promise<RawWorker> {
    const dir = tempDir('mlf-invoke-batch-');
    const child = spawn(
      PYTHON,
      [path.join(REPO, 'src', 'worker', 'worker.py'), '--model-dir', modelDir, '--runtime', runtime, '--pycache-prefix', path.join(dir, 'pycache')],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    const worker = new RawWorker(child);
    const hello = JSON.parse(await worker.line());
    expect(hello.type).toBe('hello');
    const ready = JSON.parse(await worker.line());
    if (ready.type !== 'ready') throw new Error(`the worker did not load ${modelDir}: ${JSON.stringify(ready)}\n${worker.stderr.join('\n')}`);
    void worker.pump();
    return worker;
  }

  private async line(): Promise<string> {
    for (;;) {
      const next = await this.lines.next();
      if (next.done) throw new Error(`the worker's stdout ended:\n${this.stderr.join('\n')}`);
      const message = JSON.parse(next.value);
      if (message.type !== 'log') return next.value;
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const reply = JSON.parse(await this.line()) as BatchReply;
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    } catch {
      // stdout closed: close() is under way
    }
  }

  request(items: Item[]): Promise<BatchReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, type: 'invoke_batch', items })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end(`${JSON.stringify({ id: 0, type: 'shutdown' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The requests of fixtures/inputs/<model>/ and the malformed ones, plus the cases batching must keep apart. */
function corpus(inputs: string, columns: string[], rows: unknown[][]): Item[] {
  const items: Item[] = [];
  if (inputs) {
    for (const name of readdirSync(inputs).sort()) {
      if (name === 'expected-response.json') continue;
      const text = readFileSync(path.join(inputs, name), 'utf8');
      items.push(item(text, name.endsWith('.csv') ? 'text/csv' : 'application/json'));
    }
  }
  const malformed = path.join(FIXTURES, 'inputs', 'malformed');
  for (const name of readdirSync(malformed).sort()) {
    if (name === 'mlflow-errors.json') continue;
    items.push(item(readFileSync(path.join(malformed, name), 'utf8'), name.endsWith('.csv') ? 'text/csv' : 'application/json'));
  }
  const csvOf = (r: unknown[][]) => `${columns.join(',')}\n${r.map((row) => row.join(',')).join('\n')}\n`;
  items.push(
    split(columns, rows.slice(0, 1)),
    // One column short: schema enforcement fails for this request alone.
    split(columns.slice(0, -1), rows.map((r) => r.slice(0, -1))),
    item(JSON.stringify({ dataframe_records: rows.slice(1).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) })),
    item(csvOf(rows.slice(2)), 'text/csv; charset=utf-8'),
    item(JSON.stringify({ dataframe_split: { columns, data: rows } }), 'application/json; charset=latin-1'),
    item(JSON.stringify({ dataframe_split: { columns, data: rows } }), 'application/xml'),
    item(JSON.stringify({ dataframe_split: { columns, data: rows }, params: { unused: 1 } })),
    split(columns, [...rows].reverse()),
  );
  return items;
}

const CASES: { model: string; runtimes: ('auto' | 'mlflow')[]; items: () => Item[]; expected?: string }[] = [
  {
    model: 'sklearn-iris',
    runtimes: ['auto', 'mlflow'],
    items: () => corpus(path.join(FIXTURES, 'inputs', 'sklearn-iris'), IRIS_COLUMNS, IRIS_ROWS),
    expected: readFileSync(path.join(FIXTURES, 'inputs', 'sklearn-iris', 'expected-response.json'), 'utf8'),
  },
  {
    model: 'pyfunc-code',
    runtimes: ['auto'],
    items: () =>
      corpus(path.join(FIXTURES, 'inputs', 'pyfunc-code'), ['x', 'y', 'n'], [
        [1.5, 0.5, 1],
        [-2.25, 4.0, 2],
        [0.0, 3.125, 3],
        [10.0, -1.0, 4],
      ]),
    expected: readFileSync(path.join(FIXTURES, 'inputs', 'pyfunc-code', 'expected-response.json'), 'utf8'),
  },
  {
    model: 'models-from-code',
    runtimes: ['auto', 'mlflow'],
    items: () => [
      item(readFileSync(path.join(FIXTURES, 'models', 'models-from-code', 'serving_input_example.json'), 'utf8')),
      ...corpus('', ['a', 'b'], [
        [1.0, 0.25],
        [2.5, 0.0],
        [-4.0, 8.0],
      ]),
    ],
  },
];

if (!existsSync(PYTHON)) {
  describe('invoke_batch through the real worker', () => {
    it.skip(`skipped: no Python with MLflow at \`${PYTHON}\` (set MLF_E2E_PYTHON or create .e2e/venv)`, () => undefined);
  });
} else {
  describe('invoke_batch through the real worker: batched replies equal the one-by-one replies byte for byte', () => {
    const started: RawWorker[] = [];
    afterAll(async () => {
      await Promise.all(started.map((w) => w.close()));
    }, SLOW);

    for (const { model, runtimes, items: makeItems, expected } of CASES) {
      for (const runtime of runtimes) {
        it(
          `${model} (--runtime ${runtime})`,
          async () => {
            // A copy, so that MLflow's loader cannot write into the fixture.
            const modelDir = path.join(tempDir('mlf-invoke-batch-model-'), model);
            cpSync(path.join(FIXTURES, 'models', model), modelDir, { recursive: true });
            const worker = await RawWorker.start(modelDir, runtime);
            started.push(worker);
            const items = makeItems();
            const batched = await worker.request(items);
            expect(batched.ok).toBe(true);
            expect(batched.type).toBe('http_batch');
            const singles: HttpReply[] = [];
            for (const one of items) {
              const reply = await worker.request([one]);
              expect(reply.batched_rows).toBe(0);
              singles.push(reply.replies[0]!);
            }
            expect(batched.replies).toHaveLength(items.length);
            items.forEach((_, i) => expect(batched.replies[i], `item ${i}`).toStrictEqual(singles[i]));
            // The good frames went through one predict; the bad requests got their own answers.
            expect(batched.batched_rows).toBeGreaterThanOrEqual(8);
            const schemaFailure = singles[items.length - 7]!;
            expect(schemaFailure.status).toBe(400);
            expect(JSON.parse(schemaFailure.body)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
            expect(JSON.parse(schemaFailure.body).message).toMatch(/^Failed to predict data '/);
            expect(singles.slice(-8).map((r) => r.status)).toEqual([200, 400, 200, 200, 415, 415, 200, 200]);
            if (expected !== undefined) {
              const fromFiles = singles.slice(0, 4);
              expect(fromFiles.map((r) => r.status)).toEqual([200, 200, 200, 200]);
              for (const reply of fromFiles) expect(JSON.parse(reply.body)).toEqual(JSON.parse(expected));
            }
          },
          SLOW,
        );
      }
    }
  });
}
