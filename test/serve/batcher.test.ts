/**
 * serve/batcher.ts with a fake pool: which requests are grouped (by time and by size), what goes
 * alone, that batching is off by default, and that each caller gets its own reply, in order.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatcher, isBatchable, type BatchEvent, type BatchResult, type InvokeItem } from '../../src/serve/batcher.js';

interface Reply {
  status: number;
  contentType: string;
  body: string;
  batchSize?: number;
}

const json = (body: string): InvokeItem => ({ protocol: 'mlflow', path: '/invocations', contentType: 'application/json', body });
const csv = (body: string): InvokeItem => ({ protocol: 'mlflow', path: '/invocations', contentType: 'text/csv; charset=utf-8', body });

/** A pool whose replies echo the body; it records every call. */
function fakePool() {
  const calls: { kind: 'invoke' | 'batch'; bodies: InvokeItem['body'][] }[] = [];
  const answer = (item: InvokeItem): Reply => ({ status: 200, contentType: 'application/json', body: `reply to ${item.body}` });
  return {
    calls,
    invoke: vi.fn(async (item: InvokeItem): Promise<Reply> => {
      calls.push({ kind: 'invoke', bodies: [item.body] });
      return answer(item);
    }),
    invokeBatch: vi.fn(async (items: InvokeItem[]): Promise<BatchResult<Reply>> => {
      calls.push({ kind: 'batch', bodies: items.map((i) => i.body) });
      return { replies: items.map(answer), batchedRows: items.length * 10 };
    }),
  };
}

describe('createBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['no options', {}],
    ['maxBatchSize 1', { maxBatchSize: 1, maxDelayMs: 5 }],
    ['maxBatchSize 0', { maxBatchSize: 0 }],
  ])('is off with %s: the invoke comes back unchanged', (_name, options) => {
    const pool = fakePool();
    expect(createBatcher(pool.invoke, { ...options, invokeBatch: pool.invokeBatch })).toBe(pool.invoke);
  });

  it('is off without an invokeBatch', () => {
    const pool = fakePool();
    expect(createBatcher(pool.invoke, { maxBatchSize: 8, maxDelayMs: 5 })).toBe(pool.invoke);
  });

  it('groups the requests that arrive within maxDelayMs into one invoke_batch; each caller gets its own reply, in order', async () => {
    const pool = fakePool();
    const events: BatchEvent[] = [];
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 8, maxDelayMs: 10, invokeBatch: pool.invokeBatch, onBatch: (e) => events.push(e) });
    const a = invoke(json('a'));
    await vi.advanceTimersByTimeAsync(4);
    const b = invoke(csv('b'));
    const c = invoke(json('c'));
    expect(pool.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(6);
    expect(pool.calls).toEqual([{ kind: 'batch', bodies: ['a', 'b', 'c'] }]);
    expect((await Promise.all([a, b, c])).map((r) => r.body)).toEqual(['reply to a', 'reply to b', 'reply to c']);
    expect(events).toEqual([{ requests: 3, batchedRows: 30 }]);
    // A request after the batch left starts the next one.
    const d = invoke(json('d'));
    const e = invoke(json('e'));
    await vi.advanceTimersByTimeAsync(10);
    expect(await Promise.all([d, e])).toEqual([
      { status: 200, contentType: 'application/json', body: 'reply to d', batchSize: 2 },
      { status: 200, contentType: 'application/json', body: 'reply to e', batchSize: 2 },
    ]);
    expect(pool.calls.slice(1)).toEqual([{ kind: 'batch', bodies: ['d', 'e'] }]);
  });

  it('sends a batch at once when it holds maxBatchSize requests, without waiting for the delay', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 3, maxDelayMs: 1000, invokeBatch: pool.invokeBatch });
    const replies = ['1', '2', '3', '4', '5'].map((body) => invoke(json(body)));
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.calls).toEqual([{ kind: 'batch', bodies: ['1', '2', '3'] }]);
    await vi.advanceTimersByTimeAsync(999);
    expect(pool.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pool.calls).toEqual([
      { kind: 'batch', bodies: ['1', '2', '3'] },
      { kind: 'batch', bodies: ['4', '5'] },
    ]);
    expect((await Promise.all(replies)).map((r) => r.body)).toEqual(['1', '2', '3', '4', '5'].map((b) => `reply to ${b}`));
  });

  it('sends a lone request as a plain invoke after the delay', async () => {
    const pool = fakePool();
    const events: BatchEvent[] = [];
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 4, maxDelayMs: 10, invokeBatch: pool.invokeBatch, onBatch: (e) => events.push(e) });
    const only = invoke(json('only'));
    await vi.advanceTimersByTimeAsync(9);
    expect(pool.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await only).toEqual({ status: 200, contentType: 'application/json', body: 'reply to only', batchSize: 1 });
    expect(pool.calls).toEqual([{ kind: 'invoke', bodies: ['only'] }]);
    expect(events).toEqual([{ requests: 1, batchedRows: 0 }]);
  });

  it('with maxDelayMs 0 groups the requests of one event-loop turn', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 4, maxDelayMs: 0, invokeBatch: pool.invokeBatch });
    const replies = [invoke(json('x')), invoke(json('y'))];
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all(replies);
    expect(pool.calls).toEqual([{ kind: 'batch', bodies: ['x', 'y'] }]);
  });

  it('sends what cannot be batched straight to invoke, without delay or company', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 4, maxDelayMs: 50, invokeBatch: pool.invokeBatch });
    const items: InvokeItem[] = [
      { protocol: 'v2', path: '/v2/models/m/infer', contentType: 'application/json', body: 'v2' },
      { protocol: 'mlflow', path: '/invocations', contentType: 'application/x-parquet', body: 'parquet' },
      { protocol: 'mlflow', path: '/invocations', contentType: null, body: 'none' },
      { protocol: 'mlflow', path: '/ping', contentType: null, body: 'ping' },
    ];
    const replies = await Promise.all(items.map((i) => invoke(i)));
    expect(replies.map((r) => r.body)).toEqual(['reply to v2', 'reply to parquet', 'reply to none', 'reply to ping']);
    expect(pool.calls.map((c) => c.kind)).toEqual(['invoke', 'invoke', 'invoke', 'invoke']);
  });

  it('weighs requests with sizeOf: a request that would overflow sends the waiting batch first', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 5, maxDelayMs: 10, invokeBatch: pool.invokeBatch, sizeOf: (i) => Number(i.body) });
    const replies = ['2', '2', '3', '1'].map((b) => invoke(json(b)));
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.calls).toEqual([{ kind: 'batch', bodies: ['2', '2'] }]);
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(replies);
    expect(pool.calls.slice(1)).toEqual([{ kind: 'batch', bodies: ['3', '1'] }]);
  });

  it('fails every request of a batch that fails as a whole, and only those', async () => {
    const pool = fakePool();
    const died = new Error('the worker died');
    let fail = true;
    const invoke = createBatcher(pool.invoke, {
      maxBatchSize: 2,
      maxDelayMs: 10,
      invokeBatch: async (items) => {
        if (fail) throw died;
        return pool.invokeBatch(items);
      },
    });
    const lost = [invoke(json('a')), invoke(json('b'))];
    const settled = await Promise.allSettled(lost);
    expect(settled).toEqual([
      { status: 'rejected', reason: died },
      { status: 'rejected', reason: died },
    ]);
    fail = false;
    const kept = await Promise.all([invoke(json('c')), invoke(json('d'))]);
    expect(kept.map((r) => r.body)).toEqual(['reply to c', 'reply to d']);
  });

  it("gives every request of a batch the pool's own answer when invokeBatch resolves with one reply", async () => {
    const pool = fakePool();
    const events: BatchEvent[] = [];
    const busy: Reply = { status: 503, contentType: 'application/json', body: '{"error_code": "TEMPORARILY_UNAVAILABLE"}' };
    const invoke = createBatcher<InvokeItem, Reply>(pool.invoke, { maxBatchSize: 2, maxDelayMs: 10, invokeBatch: async () => busy, onBatch: (e) => events.push(e) });
    const replies = await Promise.all([invoke(json('a')), invoke(json('b'))]);
    expect(replies).toEqual([
      { ...busy, batchSize: 2 },
      { ...busy, batchSize: 2 },
    ]);
    expect(events).toEqual([{ requests: 2, batchedRows: 0 }]);
  });

  it('lets withBatchSize shape the reply', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, {
      maxBatchSize: 2,
      maxDelayMs: 10,
      invokeBatch: pool.invokeBatch,
      withBatchSize: (reply, requests) => ({ ...reply, body: `${reply.body} (${requests})` }),
    });
    const replies = await Promise.all([invoke(json('a')), invoke(json('b'))]);
    expect(replies.map((r) => r.body)).toEqual(['reply to a (2)', 'reply to b (2)']);
  });

  it('rejects a batch whose reply count does not match', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, {
      maxBatchSize: 2,
      maxDelayMs: 10,
      invokeBatch: async (items) => ({ replies: (await pool.invokeBatch(items)).replies.slice(1), batchedRows: 0 }),
    });
    const settled = await Promise.allSettled([invoke(json('a')), invoke(json('b'))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason.message).toBe('invoke_batch answered 1 replies for 2 requests');
  });

  it('flush() sends what is waiting now', async () => {
    const pool = fakePool();
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 8, maxDelayMs: 60_000, invokeBatch: pool.invokeBatch });
    const replies = [invoke(json('a')), invoke(json('b'))];
    invoke.flush!();
    expect((await Promise.all(replies)).map((r) => r.body)).toEqual(['reply to a', 'reply to b']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with every worker busy (concurrency) a batch gathers past its delay until a dispatch is answered, or it is full', async () => {
    const pool = fakePool();
    // The first batch holds the only worker until `release` is called.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const invokeBatch = vi.fn(async (items: InvokeItem[]) => {
      const result = await pool.invokeBatch(items);
      if (pool.calls.length === 1) await held;
      return result;
    });
    const invoke = createBatcher(pool.invoke, { maxBatchSize: 4, maxDelayMs: 10, concurrency: 1, invokeBatch });
    const first = [invoke(json('1')), invoke(json('2'))];
    await vi.advanceTimersByTimeAsync(10);
    expect(pool.calls).toEqual([{ kind: 'batch', bodies: ['1', '2'] }]);
    const second = [invoke(json('3')), invoke(json('4'))];
    await vi.advanceTimersByTimeAsync(500);
    // The delay ran out long ago, but the worker is busy: '3' and '4' wait for company.
    expect(pool.calls).toHaveLength(1);
    const third = [invoke(json('5')), invoke(json('6')), invoke(json('7'))];
    await vi.advanceTimersByTimeAsync(0);
    // Full at four: sent at once even so; '7' starts the next batch.
    expect(pool.calls.map((c) => c.bodies)).toEqual([
      ['1', '2'],
      ['3', '4', '5', '6'],
    ]);
    // '7' came before its delay ran out: it waits for it, then goes, the worker being free.
    release();
    await vi.advanceTimersByTimeAsync(9);
    expect(pool.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(pool.calls).toEqual([
      { kind: 'batch', bodies: ['1', '2'] },
      { kind: 'batch', bodies: ['3', '4', '5', '6'] },
      { kind: 'invoke', bodies: ['7'] },
    ]);
    expect((await Promise.all([...first, ...second, ...third])).map((r) => r.body)).toEqual(['1', '2', '3', '4', '5', '6', '7'].map((b) => `reply to ${b}`));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a batch held past its delay as soon as the busy worker answers', async () => {
    const pool = fakePool();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const invoke = createBatcher(pool.invoke, {
      maxBatchSize: 8,
      maxDelayMs: 10,
      concurrency: 1,
      invokeBatch: async (items: InvokeItem[]) => {
        const result = await pool.invokeBatch(items);
        if (pool.calls.length === 1) await held;
        return result;
      },
    });
    const first = [invoke(json('1')), invoke(json('2'))];
    await vi.advanceTimersByTimeAsync(10);
    const second = [invoke(json('3')), invoke(json('4'))];
    await vi.advanceTimersByTimeAsync(100);
    expect(pool.calls).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.calls.map((c) => c.bodies)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect((await Promise.all([...first, ...second])).map((r) => r.body)).toEqual(['1', '2', '3', '4'].map((b) => `reply to ${b}`));
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('isBatchable', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    [' text/csv ', true],
    ['text/csv;charset=latin-1', true], // the worker answers it with MLflow's 415, per item
    ['application/x-parquet', false],
    ['Application/JSON', false], // MLflow compares exactly: a 415 the single path gives
    [null, false],
  ])('%s: %s', (contentType, expected) => {
    expect(isBatchable({ protocol: 'mlflow', path: '/invocations', contentType, body: '' })).toBe(expected);
  });
});
