/**
 * Where a model's files are once its URI is resolved, in a form mlf can read: the tracking
 * server's artifact proxy, an S3 prefix, or a local directory. Pure. `mlflow-artifacts:` URIs
 * become proxy URLs as mlflow/store/artifact/mlflow_artifacts_repo.py `resolve_uri` makes them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import { PROXY_ARTIFACTS_PATH, redactUri, schemeOf, unsupportedScheme } from './model-uri.js';

export type ArtifactLocation =
  /** `GET <apiBase>/mlflow-artifacts/artifacts?path=<root>` lists, `GET <apiBase>/mlflow-artifacts/artifacts/<root>/<file>` downloads. */
  | { kind: 'proxy'; apiBase: string; root: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'local'; dir: string };

/** A stable name of the location, without credentials: part of the model cache's key. */
export function describeLocation(location: ArtifactLocation): string {
  switch (location.kind) {
    case 'proxy':
      return `${redactUri(location.apiBase)}${PROXY_ARTIFACTS_PATH}/${location.root}`;
    case 's3':
      return `s3://${location.bucket}/${location.prefix}`;
    case 'local':
      return location.dir;
  }
}

/**
 * An artifact URI (what the server answered, or what the user typed) and a sub-path inside it →
 * the location to read. `trackingUri` is needed for `mlflow-artifacts:` only.
 */
export function artifactLocationOf(artifactUri: string, subPath: string, trackingUri: string | undefined): ArtifactLocation {
  const scheme = schemeOf(artifactUri);
  if (scheme === undefined) return { kind: 'local', dir: path.join(path.resolve(artifactUri), subPath) };
  switch (scheme) {
    case 'file':
      return { kind: 'local', dir: path.join(fileURLToPath(new URL(artifactUri.replace(/^file:\/\/localhost\//i, 'file:///'))), subPath) };
    case 'mlflow-artifacts':
      return proxyLocation(resolveMlflowArtifactsUri(artifactUri, trackingUri), subPath, artifactUri);
    case 'http':
    case 'https':
      return proxyLocation(artifactUri, subPath, artifactUri);
    case 's3': {
      const rest = artifactUri.replace(/^s3:\/\//i, '');
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      const key = slash < 0 ? '' : rest.slice(slash + 1);
      return { kind: 's3', bucket, prefix: joinPath(key, subPath) };
    }
    default:
      throw unsupportedScheme(artifactUri, scheme);
  }
}

function proxyLocation(url: string, subPath: string, shown: string): ArtifactLocation {
  const parsed = new URL(url);
  const at = parsed.pathname.indexOf(PROXY_ARTIFACTS_PATH);
  if (at < 0) {
    throw usageError('UNSUPPORTED_ARTIFACT_LOCATION', `mlf reads http(s) artifacts only through a tracking server's artifact proxy, and \`${redactUri(shown)}\` is not one`, {
      hint: `the URL must contain \`/api/2.0${PROXY_ARTIFACTS_PATH}/\``,
    });
  }
  const apiBase = `${parsed.protocol}//${parsed.host}${parsed.pathname.slice(0, at)}`;
  const root = decodeURIComponent(parsed.pathname.slice(at + PROXY_ARTIFACTS_PATH.length));
  return { kind: 'proxy', apiBase, root: joinPath(root, subPath) };
}

/**
 * `mlflow-artifacts:/<path>` → `<tracking scheme>://<uri host or tracking host><tracking path>/api/2.0/mlflow-artifacts/artifacts/<path>`.
 * The tracking URI must be http(s), as in MLflow.
 */
export function resolveMlflowArtifactsUri(uri: string, trackingUri: string | undefined): string {
  const trackingScheme = trackingUri === undefined ? undefined : schemeOf(trackingUri);
  if (trackingUri === undefined || (trackingScheme !== 'http' && trackingScheme !== 'https')) {
    throw usageError(
      'TRACKING_URI_REQUIRED',
      `\`${redactUri(uri)}\` is served by a tracking server, and the tracking URI ${trackingUri === undefined ? 'is not set' : `\`${redactUri(trackingUri)}\` is not an http(s) URI`}`,
      { hint: 'set MLFLOW_TRACKING_URI to the running MLflow server, e.g. `export MLFLOW_TRACKING_URI=http://localhost:5000`' },
    );
  }
  const tracking = new URL(trackingUri);
  const rest = uri.slice('mlflow-artifacts:'.length);
  let host = '';
  let artifactPath = rest;
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    host = end < 0 ? rest.slice(2) : rest.slice(2, end);
    artifactPath = end < 0 ? '' : rest.slice(end);
  }
  if (/^\d+$/.test(host)) {
    throw usageError('INVALID_MODEL_URI', `The mlflow-artifacts URI \`${uri}\` was supplied with a port number: ${host}, but no host was defined`);
  }
  const resolvedPath = `${tracking.pathname.replace(/\/+$/, '')}/api/2.0${PROXY_ARTIFACTS_PATH}/${artifactPath}`.replace(/\/\/+/g, '/').replace(/\/+$/, '');
  return `${tracking.protocol}//${host || tracking.host}${resolvedPath}`;
}

function joinPath(base: string, sub: string): string {
  return [base, sub].map((part) => part.replace(/^\/+|\/+$/g, '')).filter((part) => part !== '').join('/');
}
