import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, type HttpResult, type PoolEvent, type PoolOptions } from '../../src/serve/pool.js';
import { isProcessAlive as processAlive } from '../../src/process-alive.js';
import { WorkerClient } from '../../src/worker/worker-client.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'fake', 'fake-worker.mjs');

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close(0)));
});

async function startPool(options: Partial<PoolOptions> = {}, events: PoolEvent[] = []): Promise<Pool> {
  const pool = await Pool.start({
    workers: 1,
    maxQueue: 4,
    timeoutMs: 10_000,
    backoff: { initialMs: 20, maxMs: 200 },
    startWorker: () =>
      WorkerClient.start({
        pythonPath: 'unused',
        modelDir: '/models/m',
        env: { PATH: process.env.PATH, FAKE_MODE: 'ok' },
        cwd: process.cwd(),
        command: { file: process.execPath, args: [FAKE] },
        helloTimeoutMs: 10_000,
      }),
    onEvent: (event) => events.push(event),
    ...options,
  });
  pools.push(pool);
  return pool;
}

const call = (pool: Pool, order: Record<string, unknown> = {}) => pool.invoke({ protocol: 'mlflow', path: '/invocations', contentType: 'application/json', body: JSON.stringify(order) });
const bodyOf = (result: HttpResult) => JSON.parse(String(result.body)) as Record<string, unknown>;

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not come true in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Pool', () => {
  it('answers with the worker’s HTTP reply and spreads concurrent requests over idle workers', async () => {
    const pool = await startPool({ workers: 2 });
    expect(pool.ready).toBe(true);
    expect(pool.liveWorkers).toBe(2);
    const results = await Promise.all([call(pool, { sleep_ms: 150 }), call(pool, { sleep_ms: 150 })]);
    expect(results.map((r) => [r.status, r.contentType])).toEqual([
      [200, 'application/json'],
      [200, 'application/json'],
    ]);
    const pids = results.map((r) => bodyOf(r).pid);
    expect(new Set(pids).size).toBe(2);
    expect(new Set(pids)).toEqual(new Set(pool.pids));
    const echoed = bodyOf(results[0]!).request as Record<string, unknown>;
    expect(echoed).toMatchObject({ type: 'invoke', protocol: 'mlflow', path: '/invocations', content_type: 'application/json', body: '{"sleep_ms":150}' });
  });

  it('sends a body that is not UTF-8 as base64', async () => {
    const pool = await startPool();
    const result = await pool.invoke({ protocol: 'mlflow', path: '/invocations', contentType: 'text/csv', body: Buffer.from([0x61, 0xff, 0x0a]) });
    expect((bodyOf(result).request as Record<string, unknown>).body_base64).toBe(Buffer.from([0x61, 0xff, 0x0a]).toString('base64'));
  });

  it('queues up to maxQueue, then answers 503 with Retry-After', async () => {
    const events: PoolEvent[] = [];
    const pool = await startPool({ maxQueue: 2 }, events);
    const held = call(pool, { sleep_ms: 300 });
    const queued = [call(pool), call(pool)];
    await until(() => pool.queueDepth === 2);
    const refused = await call(pool);
    expect(refused.status).toBe(503);
    expect(refused.headers).toEqual({ 'Retry-After': '1' });
    expect(bodyOf(refused)).toEqual({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The server is at capacity: 2 requests are waiting for a worker; retry later' });
    expect(events.filter((e) => e.type === 'queue-full')).toHaveLength(1);
    expect((await held).status).toBe(200);
    expect((await Promise.all(queued)).map((r) => r.status)).toEqual([200, 200]);
    expect(pool.queueDepth).toBe(0);
  });

  it('answers 504 for a request over the timeout, kills its worker and replaces it; the next request is served', async () => {
    const events: PoolEvent[] = [];
    const pool = await startPool({ timeoutMs: 300 }, events);
    const [before] = pool.pids;
    const started = Date.now();
    const result = await call(pool, { hang: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.status).toBe(504);
    expect(bodyOf(result)).toEqual({
      error_code: 'DEADLINE_EXCEEDED',
      message: 'Request processing time exceeded limit (0.3 s); the worker that held it was stopped and is being replaced',
    });
    await until(() => pool.pids[0] !== undefined && pool.pids[0] !== before);
    expect(processAlive(before!)).toBe(false);
    expect(pool.restarts).toBe(1);
    const next = await call(pool);
    expect(next.status).toBe(200);
    expect(bodyOf(next).pid).toBe(pool.pids[0]);
    expect(events.map((e) => e.type)).toEqual(['worker-started', 'timeout', 'worker-exited', 'worker-started']);
  });

  it('a worker that dies fails only the request it held (500); the other worker’s requests and the queue go on', async () => {
    const events: PoolEvent[] = [];
    const pool = await startPool({ workers: 2 }, events);
    const slow = call(pool, { sleep_ms: 400 });
    const dying = call(pool, { die: true });
    const queued = [call(pool), call(pool)];
    const died = await dying;
    expect(died.status).toBe(500);
    expect(bodyOf(died).error_code).toBe('INTERNAL_ERROR');
    expect(String(bodyOf(died).message)).toMatch(/^The model worker \(pid \d+\) exited with code 9 before answering this request; it is being replaced$/);
    expect((await slow).status).toBe(200);
    expect((await Promise.all(queued)).map((r) => r.status)).toEqual([200, 200]);
    await until(() => pool.liveWorkers === 2);
    expect(pool.restarts).toBe(1);
    expect(events.filter((e) => e.type === 'worker-exited')).toEqual([expect.objectContaining({ expected: false, inFlight: true })]);
  });

  it('replaces a dead worker at once; only restarts that fail or die young wait, longer each time', async () => {
    const fake = () => WorkerClient.start({ pythonPath: 'unused', modelDir: '/m', env: { PATH: process.env.PATH, FAKE_MODE: 'ok' }, cwd: process.cwd(), command: { file: process.execPath, args: [FAKE] } });
    const attempts: number[] = [];
    const events: PoolEvent[] = [];
    // Start 1 (the pool's) works, the first restart fails, the second works.
    const pool = await startPool(
      {
        backoff: { initialMs: 500, maxMs: 5_000 },
        startWorker: async () => {
          attempts.push(Date.now());
          if (attempts.length === 2) throw new Error('the model did not load');
          return fake();
        },
      },
      events,
    );
    const firstDeath = Date.now();
    expect((await call(pool, { die: true })).status).toBe(500);
    await until(() => pool.liveWorkers === 1);
    // Immediate, not after the 500 ms of the backoff.
    expect(attempts[1]! - firstDeath).toBeLessThan(450);
    expect(events.filter((e) => e.type === 'worker-start-failed').map((e) => (e as { retryInMs: number }).retryInMs)).toEqual([500]);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(490);
    // The replacement dies young: the next restart waits twice as long.
    const secondDeath = Date.now();
    expect((await call(pool, { die: true })).status).toBe(500);
    await until(() => pool.liveWorkers === 1);
    expect(attempts).toHaveLength(4);
    expect(attempts[3]! - secondDeath).toBeGreaterThanOrEqual(990);
    expect(pool.restarts).toBe(2);
  });

  it('is not ready while no worker is up, and queued requests wait for the replacement', async () => {
    let starts = 0;
    const pool = await startPool({
      backoff: { initialMs: 300, maxMs: 300 },
      startWorker: async () => {
        starts += 1;
        return WorkerClient.start({ pythonPath: 'unused', modelDir: '/m', env: { PATH: process.env.PATH, FAKE_MODE: 'ok' }, cwd: process.cwd(), command: { file: process.execPath, args: [FAKE] } });
      },
    });
    const died = call(pool, { die: true });
    expect((await died).status).toBe(500);
    expect(pool.ready).toBe(false);
    const waiting = call(pool);
    expect(pool.queueDepth).toBe(1);
    const served = await waiting;
    expect(served.status).toBe(200);
    expect(pool.ready).toBe(true);
    expect(starts).toBe(2);
  });

  it('close() lets requests in flight finish, answers 503 to new ones, and stops every worker', async () => {
    const pool = await startPool({ workers: 2 });
    const pids = pool.pids as number[];
    const inFlight = [call(pool, { sleep_ms: 200 }), call(pool, { sleep_ms: 200 })];
    const closing = pool.close(5_000);
    const late = await call(pool);
    expect(late.status).toBe(503);
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
    await closing;
    expect(pids.map((pid) => processAlive(pid))).toEqual([false, false]);
  });

  it('a failing first start stops the workers that did start and throws', async () => {
    let n = 0;
    await expect(
      Pool.start({
        workers: 2,
        maxQueue: 1,
        timeoutMs: 1_000,
        startWorker: async () => {
          n += 1;
          if (n === 2) throw new Error('load failed');
          return WorkerClient.start({ pythonPath: 'unused', modelDir: '/m', env: { PATH: process.env.PATH, FAKE_MODE: 'ok' }, cwd: process.cwd(), command: { file: process.execPath, args: [FAKE] } });
        },
      }),
    ).rejects.toThrow('load failed');
  });
});
