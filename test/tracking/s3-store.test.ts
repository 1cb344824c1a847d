/**
 * The S3 store against moto's server mode (a real S3 API on 127.0.0.1), through the AWS SDK:
 * listing with pagination-free prefixes, downloads into the model cache, and the errors mlf
 * turns the SDK's into (a missing bucket exits 2, wrong keys 2 naming the variables, no server 3).
 */
import { PutObjectCommand, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchModel } from '../../src/tracking/model-cache.js';
import { createS3Store } from '../../src/tracking/s3-store.js';
import { motoUnavailableReason, startMotoServer, type MotoServer } from '../support/moto-server.js';
import { rejectedMlfError } from '../support/errors.js';
import { tempDir } from '../support/temp.js';

const unavailable = motoUnavailableReason();

if (unavailable) {
  describe('S3 store', () => it.skip(`skipped: ${unavailable}`, () => undefined));
} else {
  describe('S3 store (moto server)', () => {
    let moto: MotoServer;
    beforeAll(async () => {
      moto = await startMotoServer();
      const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
      for (const [key, body] of [['root/m/MLmodel', 'flavors: {}\n'], ['root/m/code/x.py', 'x = 1\n'], ['root/m/empty', ''], ['root/m2/MLmodel', 'other\n']] as const) {
        await s3.send(new PutObjectCommand({ Bucket: 'models', Key: key, Body: body }));
      }
    }, 60_000);
    afterAll(async () => moto?.stop());

    it('lists a prefix and downloads it into the cache', async () => {
      const store = await createS3Store({ bucket: 'models', prefix: 'root/m' }, moto.env);
      const listing = await store.list();
      expect(listing.map(({ path: p, size }) => ({ path: p, size }))).toEqual([
        { path: 'MLmodel', size: 12 },
        { path: 'code/x.py', size: 6 },
        { path: 'empty', size: 0 },
      ]);
      expect(listing.every((f) => typeof f.checksum === 'string')).toBe(true);
      const mlfHome = tempDir('mlf-home-');
      const cached = await fetchModel({ mlfHome, store });
      expect(readFileSync(path.join(cached.dir, 'code', 'x.py'), 'utf8')).toBe('x = 1\n');
      expect(readFileSync(path.join(cached.dir, 'empty'), 'utf8')).toBe('');
    });

    it('says a bucket is missing (exit 2)', async () => {
      const store = await createS3Store({ bucket: 'nope', prefix: 'm' }, moto.env);
      const error = await rejectedMlfError(store.list());
      expect(error.code).toBe('S3_NOT_FOUND');
      expect(error.exitCode).toBe(2);
    });

    it('says the server is unreachable (exit 3) without showing the keys', async () => {
      const store = await createS3Store({ bucket: 'models', prefix: 'root/m' }, { ...moto.env, MLFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_SECRET_ACCESS_KEY: 'sekrit-value' });
      const error = await rejectedMlfError(store.list());
      expect(error.code).toBe('S3_UNREACHABLE');
      expect(error.exitCode).toBe(3);
      expect(error.message).toContain('MLFLOW_S3_ENDPOINT_URL=http://127.0.0.1:9');
      expect(JSON.stringify(error.toJSON())).not.toContain('sekrit-value');
    }, 60_000);
  });
}
