/**
 * The tracking configuration as MLflow 3 reads it: the server URIs, the credentials and the
 * transport settings. Follows mlflow/environment_variables.py (names, types, defaults),
 * mlflow/utils/credentials.py (`read_mlflow_creds`: each of username and password from the
 * environment, else from `~/.mlflow/credentials`) and mlflow/utils/rest_utils.py (`http_request`:
 * a username AND a password give basic auth, which wins over a token, although the variable's doc
 * says the token "takes precedence"; `_validate_max_retries`, `_validate_backoff_factor`).
 *
 * A value MLflow would refuse (an int that is no int, a boolean other than true/false/1/0) is a
 * usage error here, naming the variable and never echoing a credential.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENV, type EnvRecord, type EnvVarName } from '../config/env-vars.js';
import { usageError } from '../errors.js';

export type TrackingAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

export interface TrackingConfig {
  /** `MLFLOW_TRACKING_URI` as given; undefined when unset (the client refuses to start then). */
  trackingUri: string | undefined;
  /** `MLFLOW_REGISTRY_URI`, else the tracking URI. */
  registryUri: string | undefined;
  auth: TrackingAuth;
  insecureTls: boolean;
  /** `MLFLOW_TRACKING_SERVER_CERT_PATH`: CA certificates to verify the server with. */
  caCertPath: string | undefined;
  /** `MLFLOW_TRACKING_CLIENT_CERT_PATH`: a PEM holding the client certificate and key. */
  clientCertPath: string | undefined;
  maxRetries: number;
  backoffFactor: number;
  backoffJitter: number;
  timeoutSeconds: number;
  respectRetryAfter: boolean;
  /** `mlf models log`'s use of the artifact proxy's multipart upload (tracking/multipart-upload.ts). */
  multipartUpload: MultipartUploadSettings;
}

export interface MultipartUploadSettings {
  /** `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`; undefined (unset): as the server's `/server-info` says. */
  enabled: boolean | undefined;
  minimumFileSize: number;
  chunkSize: number;
}

/** MLflow's defaults (environment_variables.py) and limits (`_MLFLOW_HTTP_REQUEST_*_LIMIT`). */
export const TRACKING_DEFAULTS = {
  maxRetries: 7,
  maxRetriesLimit: 10,
  backoffFactor: 2,
  backoffFactorLimit: 120,
  backoffJitter: 1.0,
  timeoutSeconds: 120,
  multipartUploadMinimumFileSize: 500 * 1024 ** 2,
  multipartUploadChunkSize: 10 * 1024 ** 2,
} as const;

/** The variables that set credentials, named by every auth error. */
export const CREDENTIAL_VARIABLES = [ENV.MLFLOW_TRACKING_USERNAME, ENV.MLFLOW_TRACKING_PASSWORD, ENV.MLFLOW_TRACKING_TOKEN] as const;
/** The variables that configure TLS, named by every TLS error. */
export const TLS_VARIABLES = [ENV.MLFLOW_TRACKING_SERVER_CERT_PATH, ENV.MLFLOW_TRACKING_INSECURE_TLS, ENV.MLFLOW_TRACKING_CLIENT_CERT_PATH] as const;

/** `home` is the user's home directory (the CLI passes it), where `.mlflow/credentials` lives. */
export function readTrackingConfig(env: EnvRecord, home: string): TrackingConfig {
  const trackingUri = nonEmpty(env[ENV.MLFLOW_TRACKING_URI]);
  const fileCreds = readCredentialsFile(path.join(home, '.mlflow', 'credentials'));
  // credentials.py: `username_env or username_file`, each on its own.
  const username = nonEmpty(env[ENV.MLFLOW_TRACKING_USERNAME]) ?? fileCreds.username;
  const password = nonEmpty(env[ENV.MLFLOW_TRACKING_PASSWORD]) ?? fileCreds.password;
  const token = nonEmpty(env[ENV.MLFLOW_TRACKING_TOKEN]);
  const auth: TrackingAuth =
    username && password ? { kind: 'basic', username, password } : token ? { kind: 'bearer', token } : { kind: 'none' };

  const maxRetries = readInteger(env, ENV.MLFLOW_HTTP_REQUEST_MAX_RETRIES, TRACKING_DEFAULTS.maxRetries);
  if (maxRetries < 0 || maxRetries > TRACKING_DEFAULTS.maxRetriesLimit) {
    throw usageError('TRACKING_CONFIG_INVALID', `${ENV.MLFLOW_HTTP_REQUEST_MAX_RETRIES} must be between 0 and ${TRACKING_DEFAULTS.maxRetriesLimit}, not ${maxRetries}`);
  }
  const backoffFactor = readInteger(env, ENV.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR, TRACKING_DEFAULTS.backoffFactor);
  if (backoffFactor < 0 || backoffFactor > TRACKING_DEFAULTS.backoffFactorLimit) {
    throw usageError('TRACKING_CONFIG_INVALID', `${ENV.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR} must be between 0 and ${TRACKING_DEFAULTS.backoffFactorLimit}, not ${backoffFactor}`);
  }
  const backoffJitter = readFloat(env, ENV.MLFLOW_HTTP_REQUEST_BACKOFF_JITTER, TRACKING_DEFAULTS.backoffJitter);
  const timeoutSeconds = readInteger(env, ENV.MLFLOW_HTTP_REQUEST_TIMEOUT, TRACKING_DEFAULTS.timeoutSeconds);
  if (timeoutSeconds <= 0) throw usageError('TRACKING_CONFIG_INVALID', `${ENV.MLFLOW_HTTP_REQUEST_TIMEOUT} must be a positive number of seconds, not ${timeoutSeconds}`);

  return {
    trackingUri,
    registryUri: nonEmpty(env[ENV.MLFLOW_REGISTRY_URI]) ?? trackingUri,
    auth,
    insecureTls: readStrictBoolean(env, ENV.MLFLOW_TRACKING_INSECURE_TLS, false),
    caCertPath: nonEmpty(env[ENV.MLFLOW_TRACKING_SERVER_CERT_PATH]),
    clientCertPath: nonEmpty(env[ENV.MLFLOW_TRACKING_CLIENT_CERT_PATH]),
    maxRetries,
    backoffFactor,
    backoffJitter,
    timeoutSeconds,
    respectRetryAfter: readStrictBoolean(env, ENV.MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER, true),
    multipartUpload: readMultipartUpload(env),
  };
}

function readMultipartUpload(env: EnvRecord): MultipartUploadSettings {
  const chunkSize = readInteger(env, ENV.MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE, TRACKING_DEFAULTS.multipartUploadChunkSize);
  // MLflow divides by it (`_compute_num_chunks`): zero or less is no size for a part.
  if (chunkSize <= 0) throw usageError('TRACKING_CONFIG_INVALID', `${ENV.MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE} must be a positive number of bytes, not ${chunkSize}`);
  const enabled = env[ENV.MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD] === undefined ? undefined : readStrictBoolean(env, ENV.MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD, false);
  return {
    enabled,
    minimumFileSize: readInteger(env, ENV.MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE, TRACKING_DEFAULTS.multipartUploadMinimumFileSize),
    chunkSize,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Python's `int(text)` for the forms people write: optional sign, digits, surrounding blanks. */
function readInteger(env: EnvRecord, name: EnvVarName, fallback: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw usageError('TRACKING_CONFIG_INVALID', `${name} must be an integer, not ${JSON.stringify(raw)}`);
  return Number.parseInt(raw, 10);
}

function readFloat(env: EnvRecord, name: EnvVarName, fallback: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw usageError('TRACKING_CONFIG_INVALID', `${name} must be a non-negative number, not ${JSON.stringify(raw)}`);
  return value;
}

/** `_BooleanEnvironmentVariable.get`: true/false/1/0 in any case, anything else refused. */
function readStrictBoolean(env: EnvRecord, name: EnvVarName, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const lowered = raw.toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  throw usageError('TRACKING_CONFIG_INVALID', `${name} must be one of true, false, 1, 0 (any case), not ${JSON.stringify(raw)}`);
}

interface FileCredentials {
  username?: string;
  password?: string;
}

/**
 * The `[mlflow]` section of `~/.mlflow/credentials` as Python's configparser reads it: keys are
 * case-insensitive, `=` or `:` separates, `#`/`;` lines are comments, `[DEFAULT]` keys show in
 * every section, later keys win. A missing or unreadable file gives no credentials, as MLflow.
 */
export function readCredentialsFile(file: string): FileCredentials {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      const name = header[1]!;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const separator = trimmed.search(/[=:]/);
    if (current === undefined || separator <= 0) continue;
    current.set(trimmed.slice(0, separator).trim().toLowerCase(), trimmed.slice(separator + 1).trim());
  }
  const mlflow = sections.get('mlflow');
  if (mlflow === undefined) return {};
  const defaults = sections.get('DEFAULT') ?? new Map<string, string>();
  const pick = (key: string) => nonEmpty(mlflow.get(key) ?? defaults.get(key));
  return { username: pick('mlflow_tracking_username'), password: pick('mlflow_tracking_password') };
}
