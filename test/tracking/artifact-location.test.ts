import { describe, expect, it } from 'vitest';
import { artifactLocationOf, describeLocation, resolveMlflowArtifactsUri } from '../../src/tracking/artifact-location.js';
import { catchMlfError } from '../support/errors.js';

describe('resolveMlflowArtifactsUri (mlflow_artifacts_repo.py resolve_uri)', () => {
  it.each([
    ['mlflow-artifacts:/0/models/m-1/artifacts', 'http://127.0.0.1:5000', 'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/models/m-1/artifacts'],
    ['mlflow-artifacts:/0/x', 'https://h.test/mlflow/', 'https://h.test/mlflow/api/2.0/mlflow-artifacts/artifacts/0/x'],
    ['mlflow-artifacts://other:8080/0/x', 'http://127.0.0.1:5000', 'http://other:8080/api/2.0/mlflow-artifacts/artifacts/0/x'],
    ['mlflow-artifacts:/', 'http://u:p@127.0.0.1:5000', 'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts'],
  ])('%s with %s', (uri, tracking, expected) => {
    expect(resolveMlflowArtifactsUri(uri, tracking)).toBe(expected);
  });

  it('needs an http(s) tracking URI', () => {
    expect(catchMlfError(() => resolveMlflowArtifactsUri('mlflow-artifacts:/0/x', undefined)).code).toBe('TRACKING_URI_REQUIRED');
    const error = catchMlfError(() => resolveMlflowArtifactsUri('mlflow-artifacts:/0/x', 'sqlite:///mlflow.db'));
    expect(error.message).toBe('`mlflow-artifacts:/0/x` is served by a tracking server, and the tracking URI `sqlite:///mlflow.db` is not an http(s) URI');
    expect(error.exitCode).toBe(2);
  });
});

describe('artifactLocationOf', () => {
  it.each([
    ['mlflow-artifacts:/0/models/m-1/artifacts', '', { kind: 'proxy', apiBase: 'http://127.0.0.1:5000/api/2.0', root: '0/models/m-1/artifacts' }],
    ['mlflow-artifacts:/0/r/artifacts', 'model', { kind: 'proxy', apiBase: 'http://127.0.0.1:5000/api/2.0', root: '0/r/artifacts/model' }],
    ['http://h:1/prefix/api/2.0/mlflow-artifacts/artifacts/0/a%20b', 'sub', { kind: 'proxy', apiBase: 'http://h:1/prefix/api/2.0', root: '0/a b/sub' }],
    ['s3://bucket/root/0/m/artifacts', 'sub', { kind: 's3', bucket: 'bucket', prefix: 'root/0/m/artifacts/sub' }],
    ['s3://bucket', '', { kind: 's3', bucket: 'bucket', prefix: '' }],
    ['file:///srv/mlruns/0/m/artifacts', 'sub', { kind: 'local', dir: '/srv/mlruns/0/m/artifacts/sub' }],
    ['/srv/mlruns/0/m/artifacts', '', { kind: 'local', dir: '/srv/mlruns/0/m/artifacts' }],
  ])('%s + %j', (uri, sub, expected) => {
    expect(artifactLocationOf(uri, sub, 'http://127.0.0.1:5000')).toEqual(expected);
  });

  it('names a location without credentials', () => {
    expect(describeLocation(artifactLocationOf('http://u:secret@h:1/api/2.0/mlflow-artifacts/artifacts/0/m', '', undefined))).toBe('http://h:1/api/2.0/mlflow-artifacts/artifacts/0/m');
  });

  it('names the scheme it cannot read', () => {
    const error = catchMlfError(() => artifactLocationOf('gs://bucket/0/m', '', undefined));
    expect(error.message).toBe('mlf cannot read artifacts stored under `gs:` (`gs://bucket/0/m`)');
    expect(catchMlfError(() => artifactLocationOf('https://h/files/m', '', undefined)).code).toBe('UNSUPPORTED_ARTIFACT_LOCATION');
  });
});
