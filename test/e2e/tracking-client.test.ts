/**
 * The tracking client (src/tracking/client.ts) and the test server (test/support/mlflow-server.ts)
 * against a real `mlflow server`: REST calls and the artifact proxy round trip; with
 * `--app-name basic-auth`, the admin's credentials work and wrong or missing ones are an auth
 * error naming the variables; a stopped server is `unreachable`.
 */
import { Readable } from 'node:stream';
import { arrayBuffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrackingClient, type TrackingClient } from '../../src/tracking/client.js';
import { readTrackingConfig } from '../../src/tracking/config.js';
import { TrackingError } from '../../src/tracking/errors.js';
import { e2eUnavailableReason, tempDir } from '../support/cli.js';
import { credentialsEnv, startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';

const unavailable = e2eUnavailableReason();

function client(url: string, env: Record<string, string> = {}): TrackingClient {
  return createTrackingClient(readTrackingConfig({ MLFLOW_TRACKING_URI: url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0', ...env }, tempDir()));
}

async function rejection(promise: Promise<unknown>): Promise<TrackingError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TrackingError);
  return error as TrackingError;
}

if (unavailable) {
  describe('tracking client against mlflow server (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  describe('tracking client against mlflow server (e2e)', () => {
    let plain: MlflowServer;
    let secured: MlflowServer;
    beforeAll(async () => {
      // One after the other: the second copies the first's migrated database.
      plain = await startMlflowServer();
      secured = await startMlflowServer({ basicAuth: true });
    });
    afterAll(async () => {
      await Promise.all([plain?.stop(), secured?.stop()]);
    });

    it('speaks REST and the artifact proxy, and the access log shows the requests', async () => {
      const tracking = client(plain.url);
      const experiment = await tracking.getJson<{ experiment: { name: string; artifact_location: string } }>('/api/2.0/mlflow/experiments/get', { experiment_id: '0' });
      expect(experiment.experiment).toMatchObject({ name: 'Default', artifact_location: 'mlflow-artifacts:/0' });
      const missing = await rejection(tracking.getJson('/api/2.0/mlflow/runs/get', { run_id: 'f'.repeat(32) }));
      expect(missing).toMatchObject({ kind: 'not-found', errorCode: 'RESOURCE_DOES_NOT_EXIST', exitCode: 2 });

      const bytes = Buffer.from('artifact bytes\n');
      await tracking.putStream('/api/2.0/mlflow-artifacts/artifacts/0/probe/file.txt', () => Readable.from([bytes]), { contentLength: bytes.length });
      const listing = await tracking.getJson<{ files: { path: string; file_size?: number }[] }>('/api/2.0/mlflow-artifacts/artifacts', { path: '0/probe' });
      expect(listing.files).toEqual([{ path: 'file.txt', is_dir: false, file_size: bytes.length }]);
      const download = await tracking.getStream('/api/2.0/mlflow-artifacts/artifacts/0/probe/file.txt');
      expect(Buffer.from(await arrayBuffer(download.body))).toEqual(bytes);
      await tracking.close();

      await expect.poll(() => plain.accessLog().filter((entry) => entry.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/0/probe/file.txt')).map((e) => [e.method, e.status]))
        .toEqual([['PUT', 200], ['GET', 200]]);
    });

    it('with basic auth: the admin gets in, wrong or no credentials are an auth error naming the variables', async () => {
      const good = client(secured.url, credentialsEnv(secured.admin!));
      expect(await good.getJson('/api/2.0/mlflow/experiments/get', { experiment_id: '0' })).toMatchObject({ experiment: { name: 'Default' } });
      await good.close();

      const wrong = client(secured.url, { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: 'not-the-password' });
      const denied = await rejection(wrong.getJson('/api/2.0/mlflow/experiments/get', { experiment_id: '0' }));
      expect(denied).toMatchObject({ kind: 'auth', status: 401, exitCode: 2 });
      expect(denied.hint).toMatch(/MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN/);
      expect(JSON.stringify(denied.toJSON())).not.toContain('not-the-password');
      await wrong.close();

      const anonymous = client(secured.url);
      expect(await rejection(anonymous.getJson('/api/2.0/mlflow/experiments/get', { experiment_id: '0' }))).toMatchObject({ kind: 'auth' });
      await anonymous.close();
    });

    it('a stopped server is unreachable (exit 3)', async () => {
      await secured.stop();
      const gone = client(secured.url);
      expect(await rejection(gone.getJson('/health'))).toMatchObject({ kind: 'unreachable', exitCode: 3 });
      await gone.close();
    });
  });
}
