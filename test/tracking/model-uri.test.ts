import { describe, expect, it } from 'vitest';
import { isRemoteModelUri, parseModelUri, redactUri } from '../../src/tracking/model-uri.js';
import { catchMlfError } from '../support/errors.js';

const ID = 'm-0123456789abcdef0123456789abcdef';

describe('parseModelUri', () => {
  it.each([
    ['./model', { kind: 'local' }],
    ['/abs/model', { kind: 'local' }],
    ['file:///abs/model', { kind: 'local' }],
    ['runs:/abc123/model', { kind: 'run', runId: 'abc123', path: 'model' }],
    ['runs:/abc123/nested/model/', { kind: 'run', runId: 'abc123', path: 'nested/model' }],
    ['runs:/abc123', { kind: 'run', runId: 'abc123', path: '' }],
    ['runs:///abc123/model', { kind: 'run', runId: 'abc123', path: 'model' }],
    ['models:/iris/3', { kind: 'registered', name: 'iris', selector: { kind: 'version', version: '3' }, subPath: '' }],
    ['models:/iris/3/', { kind: 'registered', name: 'iris', selector: { kind: 'version', version: '3' }, subPath: '' }],
    ['models:/iris/3/sub/dir', { kind: 'registered', name: 'iris', selector: { kind: 'version', version: '3' }, subPath: 'sub/dir' }],
    ['models:/iris@champion', { kind: 'registered', name: 'iris', selector: { kind: 'alias', alias: 'champion' }, subPath: '' }],
    ['models:/iris@champion/sub', { kind: 'registered', name: 'iris', selector: { kind: 'alias', alias: 'champion' }, subPath: 'sub' }],
    ['models:/a@b@c', { kind: 'registered', name: 'a@b', selector: { kind: 'alias', alias: 'c' }, subPath: '' }],
    ['models:/iris/latest', { kind: 'registered', name: 'iris', selector: { kind: 'latest' }, subPath: '' }],
    ['models:/iris/LATEST', { kind: 'registered', name: 'iris', selector: { kind: 'latest' }, subPath: '' }],
    ['models:/iris/Production', { kind: 'registered', name: 'iris', selector: { kind: 'stage', stage: 'Production' }, subPath: '' }],
    // MLflow 3: a single segment is a logged model ID, not "latest".
    ['models:/my-model', { kind: 'logged-model', modelId: 'my-model', subPath: '' }],
    [`models:/${ID}`, { kind: 'logged-model', modelId: ID, subPath: '' }],
    [`models:/${ID}/sub`, { kind: 'logged-model', modelId: ID, subPath: 'sub' }],
    ['mlflow-artifacts:/0/models/m-1/artifacts', { kind: 'mlflow-artifacts', uri: 'mlflow-artifacts:/0/models/m-1/artifacts' }],
    ['http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/x', { kind: 'http', url: 'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/x' }],
    ['s3://bucket/path/to/model/', { kind: 's3', bucket: 'bucket', key: 'path/to/model' }],
    ['s3://bucket', { kind: 's3', bucket: 'bucket', key: '' }],
  ])('%s', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected);
  });

  it.each([
    ['runs:/', 'INVALID_MODEL_URI', "Not a proper model URI `runs:/`: runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'"],
    ['runs://profile/abc/model', 'INVALID_MODEL_URI', 'Not a proper model URI `runs://profile/abc/model`: runs URIs with a profile (`runs://<profile>/...`) are Databricks URIs, which mlf does not read'],
    ['models:/', 'INVALID_MODEL_URI', undefined],
    ['models:/@alias', 'INVALID_MODEL_URI', undefined],
    ['models:/iris@', 'INVALID_MODEL_URI', undefined],
    ['models:/iris/1/../../etc', 'INVALID_MODEL_URI', 'Not a proper model URI `models:/iris/1/../../etc`: the path must not contain `..`'],
    ['gs://bucket/model', 'UNSUPPORTED_MODEL_URI', 'mlf cannot read artifacts stored under `gs:` (`gs://bucket/model`)'],
    ['ftp://user:secret@host/model', 'UNSUPPORTED_MODEL_URI', 'mlf cannot read artifacts stored under `ftp:` (`ftp://host/model`)'],
    ['foo:/bar', 'UNSUPPORTED_MODEL_URI', 'Unsupported model URI scheme `foo:` in `foo:/bar`'],
    ['https://example.test/model.tar.gz', 'UNSUPPORTED_MODEL_URI', undefined],
    ['s3:/bucket/key', 'INVALID_MODEL_URI', undefined],
  ])('refuses %s', (uri, code, message) => {
    const error = catchMlfError(() => parseModelUri(uri));
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(2);
    if (message !== undefined) expect(error.message).toBe(message);
    expect(error.message).not.toContain('secret');
  });

  it('tells remote URIs from local ones', () => {
    expect(['runs:/a/m', 'models:/a/1', 's3://b/k', 'mlflow-artifacts:/x', 'https://h/api/2.0/mlflow-artifacts/artifacts/x'].map((u) => isRemoteModelUri(u))).toEqual([true, true, true, true, true]);
    expect(['model', '/abs', 'file:///abs', 'm-0123'].map((u) => isRemoteModelUri(u))).toEqual([false, false, false, false]);
  });

  it('redacts credentials in a URI', () => {
    expect(redactUri('http://user:pw@host:5000/path')).toBe('http://host:5000/path');
    expect(redactUri('models:/iris@champion')).toBe('models:/iris@champion');
  });
});
