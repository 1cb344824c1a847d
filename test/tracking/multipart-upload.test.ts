/**
 * tracking/multipart-upload.ts against a stub of the artifact proxy and of the presigned part
 * URLs (the real server with an S3 store behind it is in test/e2e/log-multipart.test.ts): when it
 * asks the server, the calls and bodies of create/parts/complete, the bound on parts in flight,
 * the abort after a failed part, and the "not supported" answer that makes the caller send the
 * file whole.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTrackingClient, type TrackingClient } from '../../src/tracking/client.js';
import { readTrackingConfig } from '../../src/tracking/config.js';
import { multipartPolicy, PART_CONCURRENCY, UNSUPPORTED_MULTIPART_MESSAGE, uploadInParts, type UploadSource } from '../../src/tracking/multipart-upload.js';
import { sendJson, startHttpStub, stopHttpStubs } from '../support/http-stub.js';
import { tempDir } from '../support/temp.js';

const DIR = '/api/2.0/mlflow-artifacts/artifacts/0/models/m-1/artifacts/data';
const clients: TrackingClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await stopHttpStubs();
});

function client(url: string): TrackingClient {
  const made = createTrackingClient(readTrackingConfig({ MLFLOW_TRACKING_URI: url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' }, tempDir()));
  clients.push(made);
  return made;
}

function bytesSource(bytes: Buffer): UploadSource {
  return { name: 'weights.bin', size: bytes.length, open: (start, end) => Readable.from([bytes.subarray(start, end + 1)]) };
}

/** A proxy whose create hands out part URLs on the same stub; `part` answers each part PUT. */
async function stubProxy(options: { part?: (number: number) => Promise<number> | number; create?: () => [number, unknown] } = {}) {
  const parts = new Map<number, string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const stub = await startHttpStub((req, res, seen) => {
    const url = new URL(seen.url, 'http://stub');
    if (seen.method === 'POST' && url.pathname.startsWith('/api/2.0/mlflow-artifacts/mpu/create/')) {
      const [status, body] = options.create?.() ?? [200, null];
      if (body !== null) return sendJson(res, status, body);
      const { num_parts } = JSON.parse(seen.body) as { num_parts: number };
      const credentials = Array.from({ length: num_parts }, (_, i) => ({ url: `${stub.url}/bucket/key?partNumber=${i + 1}&uploadId=u1`, part_number: i + 1, headers: { 'x-amz-test': 'yes' } }));
      return sendJson(res, 200, { upload_id: 'u1', credentials });
    }
    if (seen.method === 'PUT' && url.pathname === '/bucket/key') {
      const number = Number(url.searchParams.get('partNumber'));
      expect(req.headers['x-amz-test']).toBe('yes');
      // MLflow's part PUT sends no content type of its own (a presigned URL may sign one).
      expect(req.headers['content-type']).toBeUndefined();
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      void Promise.resolve(options.part?.(number) ?? 200).then(async (status) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        if (status === 200) parts.set(number, seen.body);
        res.writeHead(status, { etag: `"etag-${number}"` });
        res.end();
      });
      return;
    }
    sendJson(res, 200, {});
  });
  return { ...stub, parts, maxInFlight: () => maxInFlight };
}

describe('uploadInParts', () => {
  it('creates the upload for the file\'s directory, PUTs every part to its URL with its headers, and completes with the parts in order', async () => {
    const stub = await stubProxy();
    // ASCII: the stub records bodies as text.
    const bytes = Buffer.from(Array.from({ length: 2500 }, (_, i) => 32 + (i % 90)));
    const result = await uploadInParts(client(stub.url), `${stub.url}${DIR}`, bytesSource(bytes), 1000);

    expect(result).toBe('uploaded');
    const calls = stub.seen.map((s) => `${s.method} ${s.url.replace(/\?.*/, '')}`);
    expect(calls[0]).toBe('POST /api/2.0/mlflow-artifacts/mpu/create/0/models/m-1/artifacts/data');
    expect(JSON.parse(stub.seen[0]!.body)).toEqual({ path: 'weights.bin', num_parts: 3 });
    expect(calls.filter((c) => c.startsWith('PUT'))).toHaveLength(3);
    expect(calls.at(-1)).toBe('POST /api/2.0/mlflow-artifacts/mpu/complete/0/models/m-1/artifacts/data');
    expect(JSON.parse(stub.seen.at(-1)!.body)).toEqual({
      path: 'weights.bin',
      upload_id: 'u1',
      parts: [1, 2, 3].map((n) => ({ part_number: n, etag: `"etag-${n}"`, url: `${stub.url}/bucket/key?partNumber=${n}&uploadId=u1` })),
    });
    expect([1, 2, 3].map((n) => stub.parts.get(n)!).join('')).toBe(bytes.toString());
    expect(stub.parts.get(3)!.length).toBe(500);
    expect(stub.seen.some((s) => s.url.includes('mpu/abort'))).toBe(false);
  });

  it(`sends at most ${PART_CONCURRENCY} parts at once`, async () => {
    const stub = await stubProxy({ part: () => new Promise((resolve) => setTimeout(() => resolve(200), 20)) });
    await uploadInParts(client(stub.url), `${stub.url}${DIR}`, bytesSource(Buffer.alloc(12 * 100, 1)), 100);
    expect(stub.parts.size).toBe(12);
    expect(stub.maxInFlight()).toBe(PART_CONCURRENCY);
  });

  it('aborts the upload on the server after a part fails, once the parts in flight are done, and goes on with the error', async () => {
    const stub = await stubProxy({ part: (number) => (number === 2 ? 403 : 200) });
    await expect(uploadInParts(client(stub.url), `${stub.url}${DIR}`, bytesSource(Buffer.alloc(800, 2)), 100)).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/^the artifact store answered 403 \(not allowed\) to PUT http:\/\/\S+/) });
    const last = stub.seen.at(-1)!;
    expect(`${last.method} ${last.url}`).toBe('POST /api/2.0/mlflow-artifacts/mpu/abort/0/models/m-1/artifacts/data');
    expect(JSON.parse(last.body)).toEqual({ path: 'weights.bin', upload_id: 'u1' });
    expect(stub.seen.some((s) => s.url.includes('mpu/complete'))).toBe(false);
    // Parts after the failure are not started.
    expect(stub.seen.filter((s) => s.method === 'PUT').length).toBeLessThan(8);
  });

  it('answers "unsupported" (send it whole) when the server\'s store has no multipart upload, and fails on any other refusal', async () => {
    const unsupported = await stubProxy({ create: () => [501, { error_code: 'NOT_IMPLEMENTED', message: UNSUPPORTED_MULTIPART_MESSAGE }] });
    expect(await uploadInParts(client(unsupported.url), `${unsupported.url}${DIR}`, bytesSource(Buffer.alloc(300)), 100)).toBe('unsupported');
    expect(unsupported.seen).toHaveLength(1);

    const refused = await stubProxy({ create: () => [400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad path' }] });
    await expect(uploadInParts(client(refused.url), `${refused.url}${DIR}`, bytesSource(Buffer.alloc(300)), 100)).rejects.toMatchObject({ kind: 'bad-request' });
  });
});

describe('multipartPolicy', () => {
  const settings = { enabled: undefined, minimumFileSize: 1000, chunkSize: 100 };

  it('asks the server\'s /server-info once, and only for a file of at least the minimum size', async () => {
    const stub = await startHttpStub((_req, res) => sendJson(res, 200, { multipart_uploads_enabled: true }));
    const policy = multipartPolicy(client(stub.url), settings, `${stub.url}${DIR}`);
    expect(await policy(999)).toBe(false);
    expect(stub.seen).toHaveLength(0);
    expect(await policy(1000)).toBe(true);
    expect(await policy(5000)).toBe(true);
    expect(stub.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/3.0/mlflow/server-info']);
  });

  it('takes MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD over the server, and a server that does not answer as "not offered"', async () => {
    const stub = await startHttpStub((_req, res) => sendJson(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no' }));
    expect(await multipartPolicy(client(stub.url), settings, `${stub.url}${DIR}`)(5000)).toBe(false);
    expect(stub.seen).toHaveLength(1);
    expect(await multipartPolicy(client(stub.url), { ...settings, enabled: true }, `${stub.url}${DIR}`)(5000)).toBe(true);
    expect(await multipartPolicy(client(stub.url), { ...settings, enabled: false, minimumFileSize: 0 }, `${stub.url}${DIR}`)(5000)).toBe(false);
    expect(stub.seen).toHaveLength(1);
  });
});
