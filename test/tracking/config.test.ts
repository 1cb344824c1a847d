import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCredentialsFile, readTrackingConfig } from '../../src/tracking/config.js';
import { tempDir } from '../support/temp.js';

function homeWithCredentials(text: string): string {
  const home = tempDir('mlf-home-');
  mkdirSync(path.join(home, '.mlflow'));
  writeFileSync(path.join(home, '.mlflow', 'credentials'), text);
  return home;
}

describe('readTrackingConfig', () => {
  it('has MLflow\'s defaults when nothing is set', () => {
    const config = readTrackingConfig({}, tempDir());
    expect(config).toEqual({
      trackingUri: undefined,
      registryUri: undefined,
      auth: { kind: 'none' },
      insecureTls: false,
      caCertPath: undefined,
      clientCertPath: undefined,
      maxRetries: 7,
      backoffFactor: 2,
      backoffJitter: 1.0,
      timeoutSeconds: 120,
      respectRetryAfter: true,
      multipartUpload: { enabled: undefined, minimumFileSize: 500 * 1024 ** 2, chunkSize: 10 * 1024 ** 2 },
    });
  });

  it('reads the multipart-upload variables as MLflow does: unset enable means "ask the server"', () => {
    const set = readTrackingConfig({ MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'False', MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: '1024', MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: '5242880' }, tempDir());
    expect(set.multipartUpload).toEqual({ enabled: false, minimumFileSize: 1024, chunkSize: 5242880 });
    expect(readTrackingConfig({ MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: '1' }, tempDir()).multipartUpload.enabled).toBe(true);
    // is_set() is true for an empty value, and get() then refuses it.
    expect(() => readTrackingConfig({ MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: '' }, tempDir())).toThrow(/MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD must be one of true, false, 1, 0/);
    expect(() => readTrackingConfig({ MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: '0' }, tempDir())).toThrow(/MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE must be a positive number of bytes/);
    expect(() => readTrackingConfig({ MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: '1MB' }, tempDir())).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('takes the registry URI from the tracking URI unless MLFLOW_REGISTRY_URI is set', () => {
    expect(readTrackingConfig({ MLFLOW_TRACKING_URI: 'http://t:5000' }, tempDir()).registryUri).toBe('http://t:5000');
    expect(readTrackingConfig({ MLFLOW_TRACKING_URI: 'http://t:5000', MLFLOW_REGISTRY_URI: 'http://r:5001' }, tempDir()).registryUri).toBe('http://r:5001');
  });

  it('prefers username and password over a token, as MLflow\'s code does', () => {
    const env = { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p', MLFLOW_TRACKING_TOKEN: 't' };
    expect(readTrackingConfig(env, tempDir()).auth).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    expect(readTrackingConfig({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_TOKEN: 't' }, tempDir()).auth).toEqual({ kind: 'bearer', token: 't' });
  });

  it('takes each of username and password from the environment, else from ~/.mlflow/credentials', () => {
    const home = homeWithCredentials('[mlflow]\nmlflow_tracking_username = file-user\nMLFLOW_TRACKING_PASSWORD: file-pass\n');
    expect(readTrackingConfig({}, home).auth).toEqual({ kind: 'basic', username: 'file-user', password: 'file-pass' });
    expect(readTrackingConfig({ MLFLOW_TRACKING_USERNAME: 'env-user' }, home).auth).toEqual({ kind: 'basic', username: 'env-user', password: 'file-pass' });
    expect(readTrackingConfig({ MLFLOW_TRACKING_PASSWORD: '' }, home).auth).toEqual({ kind: 'basic', username: 'file-user', password: 'file-pass' });
  });

  it('reads only the [mlflow] section of the credentials file, with [DEFAULT] showing through', () => {
    expect(readCredentialsFile(path.join(homeWithCredentials('[other]\nmlflow_tracking_username = x\n'), '.mlflow', 'credentials'))).toEqual({});
    const file = path.join(homeWithCredentials('# comment\n[DEFAULT]\nmlflow_tracking_password=d\n[mlflow]\n; note\nmlflow_tracking_username=u\n'), '.mlflow', 'credentials');
    expect(readCredentialsFile(file)).toEqual({ username: 'u', password: 'd' });
    expect(readCredentialsFile(path.join(tempDir(), 'missing'))).toEqual({});
  });

  it('reads the transport variables with MLflow\'s types and limits, refusing what MLflow refuses', () => {
    const config = readTrackingConfig(
      {
        MLFLOW_TRACKING_INSECURE_TLS: 'TRUE',
        MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem',
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: ' 5 ',
        MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0.5',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '3',
        MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: '0',
      },
      tempDir(),
    );
    expect(config).toMatchObject({ insecureTls: true, caCertPath: '/ca.pem', maxRetries: 0, backoffFactor: 5, backoffJitter: 0.5, timeoutSeconds: 3, respectRetryAfter: false });
    expect(() => readTrackingConfig({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '11' }, tempDir())).toThrow(/MLFLOW_HTTP_REQUEST_MAX_RETRIES must be between 0 and 10/);
    expect(() => readTrackingConfig({ MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '121' }, tempDir())).toThrow(/between 0 and 120/);
    expect(() => readTrackingConfig({ MLFLOW_HTTP_REQUEST_TIMEOUT: '1.5' }, tempDir())).toThrow(/MLFLOW_HTTP_REQUEST_TIMEOUT must be an integer/);
    expect(() => readTrackingConfig({ MLFLOW_TRACKING_INSECURE_TLS: 'yes' }, tempDir())).toThrow(/one of true, false, 1, 0/);
    expect(() => readTrackingConfig({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'x' }, tempDir())).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
