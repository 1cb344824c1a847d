/**
 * Where an artifact URI of the tracking server's proxy is, over HTTP: mlflow/store/artifact/
 * mlflow_artifacts_repo.py `resolve_uri` (`mlflow-artifacts:/p` → the tracking server's
 * `/api/2.0/mlflow-artifacts/artifacts/p`, a netloc in the URI replacing the tracking server's),
 * and `http(s)://` URIs of the proxy as they are. Any other scheme (a server with
 * `--no-serve-artifacts` hands out `file:`, `s3:`...) is a usage error naming it.
 */
import { usageError } from '../errors.js';

export const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';

/** `artifactUri` (and an optional path under it) as the URL of the proxy's artifact route. */
export function proxyArtifactUrl(artifactUri: string, trackingBaseUrl: string, relativePath = ''): string {
  const suffix = relativePath === '' ? '' : `/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return artifactUri.replace(/\/+$/, '') + suffix;
  if (scheme !== 'mlflow-artifacts') {
    throw usageError(
      'ARTIFACT_SCHEME_UNSUPPORTED',
      `the tracking server keeps this model's artifacts at a '${scheme ?? 'local path'}' location (${artifactUri}), which mlf cannot write to; it uploads through the server's artifact proxy (mlflow-artifacts:/)`,
      { hint: 'start the server with --serve-artifacts (the default) and an --artifacts-destination' },
    );
  }
  const tracking = new URL(trackingBaseUrl);
  const rest = artifactUri.slice('mlflow-artifacts:'.length);
  let host = tracking.host;
  let artifactPath = rest;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const netloc = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    artifactPath = slash === -1 ? '' : rest.slice(slash);
    if (netloc !== '') host = netloc;
  }
  const trimmed = artifactPath.replace(/^\/+/, '').replace(/\/+$/, '');
  const base = `${tracking.protocol}//${host}${tracking.pathname.replace(/\/+$/, '')}${ARTIFACTS_API}`;
  return (trimmed === '' ? base : `${base}/${trimmed}`) + suffix;
}
