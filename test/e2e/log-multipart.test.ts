/**
 * `mlf models log`'s multipart uploads against real servers: an `mlflow server` whose
 * `--artifacts-destination` is an `s3://` bucket of moto's server (test/support/moto-server.ts),
 * reached through a counting proxy (test/support/counting-proxy.ts) so that the part PUTs to the
 * presigned URLs are seen, and one with local artifacts, which has no multipart upload.
 *
 * - S3 store: the server's `/server-info` offers multipart upload; a 11 MiB file goes up in three
 *   5 MiB parts (and the model's weights, above the lowered threshold, in one), the object in the
 *   bucket has the file's bytes, no upload is left open, and real MLflow loads `models:/N@A` and
 *   predicts what `mlf models predict` predicts on the directory.
 * - Local store: with MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true the server refuses `mpu/create`
 *   and the file goes up in one PUT, as MLflow falls back; unset, the server-info says no and
 *   `mpu/create` is never called.
 * - A part the store refuses: exit 3, and the upload is aborted on the server (`mpu/abort`; the
 *   bucket holds no open upload and no object).
 */
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir, type MlfResult } from '../support/cli.js';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';
import { motoUnavailableReason, startMotoServer, type MotoServer } from '../support/moto-server.js';

const unavailable = e2eUnavailableReason() ?? motoUnavailableReason();
const BUCKET = 'artifacts';
const CHUNK = 5 * 1024 * 1024;
/** Three parts: two whole chunks and a short last one. */
const BLOB_SIZE = 2 * CHUNK + 123_457;
const MULTIPART_ENV = { MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: '4096', MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(CHUNK) };

interface LogJson {
  runId: string;
  modelId: string;
  uris: { model: string; alias?: string };
}

if (unavailable) {
  describe('mlf models log, multipart (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const localPath = `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
  const mlfHome = tempDir('mlf-log-mpu-home-');
  let moto: MotoServer;
  let s3Proxy: CountingProxy;
  let s3Server: MlflowServer;
  let localServer: MlflowServer;
  let s3: S3Client;

  // The sklearn fixture with an 11 MiB file beside it (MLflow ignores files its flavor does not name).
  const model = path.join(tempDir('mlf-log-mpu-model-'), 'model');
  cpSync(path.join(fixturesDir, 'models', 'sklearn-iris'), model, { recursive: true });
  mkdirSync(path.join(model, 'extra'));
  const blob = Buffer.alloc(BLOB_SIZE);
  for (let i = 0; i + 4 <= BLOB_SIZE; i += 4) blob.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(path.join(model, 'extra', 'blob.bin'), blob);
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

  const mlf = (args: string[], env: Record<string, string>): Promise<MlfResult> =>
    runMlf(args, { mlfHome, env: { PATH: localPath, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...env } });

  const openUploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? [];
  const keysUnder = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  const artifactsKey = (modelId: string) => async () => (await keysUnder('mlflow/')).find((key) => key.includes(`/models/${modelId}/artifacts/`))?.replace(/artifacts\/.*$/, 'artifacts/');

  beforeAll(async () => {
    moto = await startMotoServer();
    s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3Proxy = await startCountingProxy(moto.url);
    [s3Server, localServer] = await Promise.all([
      startMlflowServer({ artifactsDestination: `s3://${BUCKET}/mlflow`, env: { ...moto.env, MLFLOW_S3_ENDPOINT_URL: s3Proxy.url } }),
      startMlflowServer(),
    ]);
  }, 600_000);
  afterAll(async () => {
    await Promise.all([s3Server?.stop(), localServer?.stop()]);
    await s3Proxy?.close();
    s3?.destroy();
    await moto?.stop();
  });

  describe('mlf models log, multipart (e2e)', () => {
    it('uploads large files in parts through an S3-backed server, and real MLflow loads and predicts the model', async () => {
      const result = await mlf(['models', 'log', '-m', model, '--registered-model-name', 'big', '--alias', 'champion', '--json'], { MLFLOW_TRACKING_URI: s3Server.url, ...MULTIPART_ENV });
      expect(result.exitCode, result.stderr).toBe(0);
      const logged = JSON.parse(result.stdout) as LogJson;

      const serverCalls = s3Server.accessLog().map((e) => `${e.method} ${e.path} ${e.status}`);
      expect(serverCalls.filter((c) => c.startsWith('GET /api/3.0/mlflow/server-info'))).toHaveLength(1);
      const mpu = (action: string) => serverCalls.filter((c) => c.startsWith(`POST /api/2.0/mlflow-artifacts/mpu/${action}/`));
      // model.skops (11 KB, one part) and extra/blob.bin; the others are under the 4096-byte threshold.
      expect(mpu('create')).toHaveLength(2);
      expect(mpu('complete').every((c) => c.endsWith(' 200'))).toBe(true);
      expect(mpu('complete')).toHaveLength(2);
      expect(mpu('create').some((c) => c.includes(`/models/${logged.modelId}/artifacts/extra `))).toBe(true);
      expect(serverCalls.some((c) => /^PUT \S+\/(blob\.bin|model\.skops) /.test(c))).toBe(false);
      expect(serverCalls.filter((c) => c.startsWith('PUT /api/2.0/mlflow-artifacts/artifacts/')).length).toBeGreaterThan(0);

      const blobParts = s3Proxy.requests.filter((r) => /^PUT \/artifacts\/mlflow\/\S+\/extra\/blob\.bin\?/.test(r));
      expect(blobParts.map((r) => new URL(r.slice(4), 'http://x').searchParams.get('partNumber')).sort()).toEqual(['1', '2', '3']);
      const prefix = await artifactsKey(logged.modelId)();
      expect(prefix).toBeDefined();
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}extra/blob.bin` }));
      expect(sha(await object.Body!.transformToByteArray())).toBe(sha(blob));
      expect(await openUploads()).toEqual([]);

      const input = path.join(fixturesDir, 'inputs', 'sklearn-iris', 'dataframe_split.json');
      const script = path.join(tempDir('mlf-log-mpu-script-'), 'mlflow_log_reference.py');
      cpSync(path.join(import.meta.dirname, 'py', 'mlflow_log_reference.py'), script);
      const reference = await execa(python, [script, s3Server.url, JSON.stringify({ predict: [{ uri: logged.uris.alias, input }] })], {
        reject: false,
        env: { MLFLOW_TRACKING_URI: s3Server.url, TMPDIR: tempDir('mlf-log-mpu-mlflow-') },
      });
      expect(reference.exitCode, reference.stderr).toBe(0);
      const answer = JSON.parse(reference.stdout.trim().split('\n').pop()!) as { predictions: unknown[][] };
      const predicted = await mlf(['models', 'predict', '-m', model, '-i', input, '--env-manager', 'local'], {});
      expect(predicted.exitCode, predicted.stderr).toBe(0);
      expect(JSON.parse(predicted.stdout)).toEqual({ predictions: answer.predictions[0] });
    });

    it('falls back to one PUT on a server whose local store has no multipart upload, as MLflow does', async () => {
      const forced = await mlf(['models', 'log', '-m', model, '--json'], { MLFLOW_TRACKING_URI: localServer.url, MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'true', ...MULTIPART_ENV });
      expect(forced.exitCode, forced.stderr).toBe(0);
      const forcedId = (JSON.parse(forced.stdout) as LogJson).modelId;
      let calls = localServer.accessLog().map((e) => `${e.method} ${e.path} ${e.status}`);
      // Asked to, mlf tries; the server says the store cannot (501), and the file goes whole.
      expect(calls.filter((c) => c.startsWith('POST /api/2.0/mlflow-artifacts/mpu/create/')).every((c) => c.endsWith(' 501'))).toBe(true);
      expect(calls.filter((c) => c.startsWith('POST /api/2.0/mlflow-artifacts/mpu/create/'))).toHaveLength(2);
      expect(calls.filter((c) => c.startsWith(`PUT /api/2.0/mlflow-artifacts/artifacts/0/models/${forcedId}/artifacts/extra/blob.bin `))).toEqual([
        `PUT /api/2.0/mlflow-artifacts/artifacts/0/models/${forcedId}/artifacts/extra/blob.bin 200`,
      ]);
      const listing = await fetch(`${localServer.url}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`0/models/${forcedId}/artifacts/extra`)}`).then((r) => r.json() as Promise<{ files: { path: string; file_size: number }[] }>);
      expect(listing.files).toEqual([{ path: 'blob.bin', is_dir: false, file_size: BLOB_SIZE }]);

      const before = calls.length;
      const asked = await mlf(['models', 'log', '-m', model], { MLFLOW_TRACKING_URI: localServer.url, ...MULTIPART_ENV });
      expect(asked.exitCode, asked.stderr).toBe(0);
      calls = localServer.accessLog().map((e) => `${e.method} ${e.path} ${e.status}`).slice(before);
      expect(calls.filter((c) => c.startsWith('GET /api/3.0/mlflow/server-info'))).toHaveLength(1);
      expect(calls.some((c) => c.includes('/mpu/'))).toBe(false);
      expect(calls.filter((c) => /^PUT \S+\/extra\/blob\.bin 200$/.test(c))).toHaveLength(1);
    });

    it('aborts the upload on the server when the store refuses a part, and exits 3', async () => {
      s3Proxy.refuse = /^PUT \/artifacts\/\S+\/extra\/blob\.bin\?\S*partNumber=2/;
      try {
        const result = await mlf(['models', 'log', '-m', model], { MLFLOW_TRACKING_URI: s3Server.url, ...MULTIPART_ENV });
        expect(result.exitCode, result.stderr).toBe(3);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(/the artifact store failed PUT \S+blob\.bin \(500\)/);
        expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      } finally {
        s3Proxy.refuse = undefined;
      }
      const calls = s3Server.accessLog().map((e) => `${e.method} ${e.path} ${e.status}`);
      const aborts = calls.filter((c) => c.startsWith('POST /api/2.0/mlflow-artifacts/mpu/abort/'));
      expect(aborts).toHaveLength(1);
      expect(aborts[0]).toMatch(/\/artifacts\/extra 200$/);
      expect(await openUploads()).toEqual([]);
      const failed = calls.filter((c) => c.startsWith('POST /api/2.0/mlflow-artifacts/mpu/create/')).at(-1)!;
      const modelId = /\/models\/(m-[0-9a-f]+)\//.exec(failed)![1]!;
      expect((await keysUnder('mlflow/')).filter((key) => key.includes(`${modelId}/artifacts/extra/`))).toEqual([]);
    });
  });
}
