import { describe, expect, it } from 'vitest';
import { proxyArtifactUrl } from '../../src/tracking/artifact-proxy.js';

describe('proxyArtifactUrl', () => {
  it('puts mlflow-artifacts:/ paths under the tracking server\'s artifact route, keeping its path prefix', () => {
    expect(proxyArtifactUrl('mlflow-artifacts:/0/models/m-1/artifacts', 'http://127.0.0.1:5000', 'MLmodel')).toBe(
      'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/models/m-1/artifacts/MLmodel',
    );
    expect(proxyArtifactUrl('mlflow-artifacts:/0/r/artifacts/', 'https://host/prefix/')).toBe('https://host/prefix/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts');
  });

  it('takes the netloc of mlflow-artifacts://host:port/ over the tracking server\'s, as resolve_uri does', () => {
    expect(proxyArtifactUrl('mlflow-artifacts://other:7000/1/x', 'http://127.0.0.1:5000', 'code/a b.py')).toBe('http://other:7000/api/2.0/mlflow-artifacts/artifacts/1/x/code/a%20b.py');
  });

  it('uses http(s) proxy URIs as they are, and refuses a scheme it cannot write, naming it', () => {
    expect(proxyArtifactUrl('http://h:1/api/2.0/mlflow-artifacts/artifacts/0/m', 'http://t', 'MLmodel')).toBe('http://h:1/api/2.0/mlflow-artifacts/artifacts/0/m/MLmodel');
    expect(() => proxyArtifactUrl('s3://bucket/0/models/m-1/artifacts', 'http://t')).toThrow(/'s3' location/);
    expect(() => proxyArtifactUrl('/srv/mlruns/0/m', 'http://t')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
