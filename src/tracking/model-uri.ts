/**
 * MLflow's model URIs as data: what the user typed → which kind of reference it is. Pure; no
 * network. Follows mlflow/store/artifact/utils/models.py (`_parse_model_uri`),
 * models_artifact_repo.py (`split_models_uri`) and runs_artifact_repo.py (`parse_runs_uri`).
 *
 * A path or a `file:` URI is `local`: model/directory/locate.ts stays the rule for those.
 */
import { usageError } from '../errors.js';

/** What a `models:/<name>/...` URI asks the registry for. */
export type VersionSelector =
  | { kind: 'version'; version: string }
  | { kind: 'alias'; alias: string }
  | { kind: 'latest' }
  /** Deprecated in MLflow (since 2.9): the latest version in that stage. */
  | { kind: 'stage'; stage: string };

export type ModelUri =
  | { kind: 'local' }
  /** `runs:/<run_id>/<path>`; `path` is '' for the run's artifact root. */
  | { kind: 'run'; runId: string; path: string }
  /** `models:/<name>/<version|latest|stage>[/sub]` or `models:/<name>@<alias>[/sub]`. */
  | { kind: 'registered'; name: string; selector: VersionSelector; subPath: string }
  /** `models:/<model_id>` (MLflow 3's logged models, `m-<32 hex>`). */
  | { kind: 'logged-model'; modelId: string; subPath: string }
  /** `mlflow-artifacts:/<path>` (or `mlflow-artifacts://host:port/<path>`): the server's artifact proxy. */
  | { kind: 'mlflow-artifacts'; uri: string }
  /** `http(s)://.../api/2.0/mlflow-artifacts/artifacts/<path>`: the proxy addressed directly. */
  | { kind: 'http'; url: string }
  | { kind: 's3'; bucket: string; key: string };

/** The part of an artifact-proxy URL that starts the artifact path (http_artifact_repo.py). */
export const PROXY_ARTIFACTS_PATH = '/mlflow-artifacts/artifacts';

const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

/** Schemes MLflow reads artifacts from that mlf does not (artifact_repository_registry.py). */
const UNREADABLE_SCHEMES = new Set(['gs', 'wasbs', 'abfss', 'dbfs', 'hdfs', 'viewfs', 'ftp', 'sftp', 'r2', 'uc', 'oci']);

const SUPPORTED_FORMS =
  'runs:/<run_id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest, models:/<model_id>, ' +
  'mlflow-artifacts:/<path>, http(s):// artifact-proxy URLs, s3://<bucket>/<key>, file:// URIs and local paths';

/** The URI's scheme, lower-cased, or undefined for a path (a one-letter "scheme" is a Windows drive there). */
export function schemeOf(uri: string, windows = process.platform === 'win32'): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || (scheme.length === 1 && windows)) return undefined;
  return scheme;
}

/** Whether the model lives somewhere mlf must fetch it from (not a path, not `file:`). */
export function isRemoteModelUri(uri: string): boolean {
  const scheme = schemeOf(uri);
  return scheme !== undefined && scheme !== 'file';
}

export function parseModelUri(uri: string): ModelUri {
  const scheme = schemeOf(uri);
  if (scheme === undefined || scheme === 'file') return { kind: 'local' };
  switch (scheme) {
    case 'runs':
      return parseRunsUri(uri);
    case 'models':
      return parseModelsUri(uri);
    case 'mlflow-artifacts':
      return { kind: 'mlflow-artifacts', uri };
    case 'http':
    case 'https':
      return parseProxyUrl(uri);
    case 's3':
      return parseS3Uri(uri);
    default:
      throw unsupportedScheme(uri, scheme);
  }
}

/** An artifact location or model URI whose scheme mlf has no reader for: one line naming the scheme. */
export function unsupportedScheme(uri: string, scheme: string) {
  const known = UNREADABLE_SCHEMES.has(scheme);
  return usageError(
    'UNSUPPORTED_MODEL_URI',
    known
      ? `mlf cannot read artifacts stored under \`${scheme}:\` (\`${redactUri(uri)}\`)`
      : `Unsupported model URI scheme \`${scheme}:\` in \`${redactUri(uri)}\``,
    { hint: known ? `download the model with MLflow (\`mlflow artifacts download -u <uri> -d ./model\`) and pass \`./model\`` : `supported forms: ${SUPPORTED_FORMS}` },
  );
}

function improper(uri: string, message: string) {
  return usageError('INVALID_MODEL_URI', `Not a proper model URI \`${redactUri(uri)}\`: ${message}`, { hint: `supported forms: ${SUPPORTED_FORMS}` });
}

/** After the scheme: `runs:/x` and `runs:///x` both give `/x` (urlparse keeps an empty netloc out of the path). */
function pathAfterScheme(uri: string): { netloc: string; path: string } {
  const rest = uri.slice(uri.indexOf(':') + 1);
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    return end < 0 ? { netloc: rest.slice(2), path: '' } : { netloc: rest.slice(2, end), path: rest.slice(end) };
  }
  return { netloc: '', path: rest };
}

function parseRunsUri(uri: string): ModelUri {
  const { netloc, path } = pathAfterScheme(uri.split(/[?#]/, 1)[0]!);
  if (netloc !== '') throw improper(uri, 'runs URIs with a profile (`runs://<profile>/...`) are Databricks URIs, which mlf does not read');
  if (!path.startsWith('/') || path.length <= 1) throw improper(uri, "runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'");
  const [runId, ...rest] = path.slice(1).split('/');
  if (!runId) throw improper(uri, "runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'");
  return { kind: 'run', runId, path: normalizeSubPath(uri, rest.join('/')) };
}

/**
 * `split_models_uri` then `_parse_model_uri`: `models:/n/1/sub` is version 1 of `n` with the
 * sub-path `sub`; `models:/n@a/sub` alias `a`; `models:/m-<id>` a logged model. One departure:
 * `models:/m-<32 hex>/sub` is the logged model's sub-path here, where MLflow would read the
 * registered model `m-<id>` at stage `sub` (a stage by that name is no real use).
 */
function parseModelsUri(uri: string): ModelUri {
  const { netloc, path: rawPath } = pathAfterScheme(uri.replace(/\/+$/, ''));
  if (netloc !== '') throw improper(uri, 'models URIs with a profile (`models://<profile>@databricks/...`) are Databricks URIs, which mlf does not read');
  if (!rawPath.startsWith('/') || rawPath.length <= 1) throw improper(uri, improperModelsMessage);
  const segments = rawPath.slice(1).split('/');
  const first = segments[0]!;
  if (first.trim() === '') throw improper(uri, improperModelsMessage);
  if (first.includes('@')) {
    const at = first.lastIndexOf('@');
    const name = first.slice(0, at);
    const alias = first.slice(at + 1);
    if (name.trim() === '' || alias.trim() === '') throw improper(uri, improperModelsMessage);
    return { kind: 'registered', name, selector: { kind: 'alias', alias }, subPath: normalizeSubPath(uri, segments.slice(1).join('/')) };
  }
  if (segments.length === 1) return { kind: 'logged-model', modelId: first, subPath: '' };
  if (LOGGED_MODEL_ID.test(first)) return { kind: 'logged-model', modelId: first, subPath: normalizeSubPath(uri, segments.slice(1).join('/')) };
  const suffix = segments[1]!;
  if (suffix.trim() === '') throw improper(uri, improperModelsMessage);
  const subPath = normalizeSubPath(uri, segments.slice(2).join('/'));
  const selector: VersionSelector = /^\d+$/.test(suffix)
    ? { kind: 'version', version: suffix }
    : suffix.toLowerCase() === 'latest'
      ? { kind: 'latest' }
      : { kind: 'stage', stage: suffix };
  return { kind: 'registered', name: first, selector, subPath };
}

const improperModelsMessage =
  "models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' " +
  "and where alias is a registered model alias, or 'models:/<model_id>'";

function parseProxyUrl(uri: string): ModelUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw improper(uri, 'not a valid URL');
  }
  if (!url.pathname.includes(PROXY_ARTIFACTS_PATH)) {
    throw usageError('UNSUPPORTED_MODEL_URI', `Unsupported model URI \`${redactUri(uri)}\`: an http(s) model URI must be a tracking server's artifact proxy URL (…/api/2.0${PROXY_ARTIFACTS_PATH}/<path>)`, {
      hint: `supported forms: ${SUPPORTED_FORMS}`,
    });
  }
  return { kind: 'http', url: uri };
}

function parseS3Uri(uri: string): ModelUri {
  const { netloc: bucket, path } = pathAfterScheme(uri);
  if (!uri.slice(3).startsWith('//') || bucket === '') throw improper(uri, "s3 URIs must be of the form 's3://<bucket>/<key>'");
  return { kind: 's3', bucket, key: path.replace(/^\/+/, '').replace(/\/+$/, '') };
}

/** A sub-path inside a model's artifacts: no `..`, no empty segments kept. */
function normalizeSubPath(uri: string, subPath: string): string {
  const segments = subPath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw improper(uri, 'the path must not contain `..`');
  return segments.join('/');
}

/** The URI with any `user:password@` removed: what messages and records may show. */
export function redactUri(uri: string): string {
  return uri.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1');
}
