/**
 * What can go wrong talking to a tracking server, as one `MlfError` subclass with a `kind`, so
 * that callers decide on data (a `not-found` experiment is created, a `not-found` run is the
 * user's mistake) and the CLI maps the category to the exit code: what the user fixes in the URI
 * or the configuration exits 2, a server or network failure after retries exits 3.
 */
import { MlfError, type ErrorCategory } from '../errors.js';
import { CREDENTIAL_VARIABLES, TLS_VARIABLES } from './config.js';

export type TrackingErrorKind = 'unreachable' | 'auth' | 'not-found' | 'tls' | 'server' | 'bad-request';

const CATEGORY_BY_KIND: Record<TrackingErrorKind, ErrorCategory> = {
  unreachable: 'server',
  server: 'server',
  auth: 'usage',
  tls: 'usage',
  'not-found': 'input',
  'bad-request': 'input',
};

const CODE_BY_KIND: Record<TrackingErrorKind, string> = {
  unreachable: 'TRACKING_UNREACHABLE',
  server: 'TRACKING_SERVER_ERROR',
  auth: 'TRACKING_AUTH_FAILED',
  tls: 'TRACKING_TLS_FAILED',
  'not-found': 'TRACKING_NOT_FOUND',
  'bad-request': 'TRACKING_BAD_REQUEST',
};

export interface TrackingErrorDetails {
  /** The HTTP status, when the server answered. */
  status?: number;
  /** MLflow's `error_code` (`RESOURCE_DOES_NOT_EXIST`, `INVALID_PARAMETER_VALUE`, ...). */
  errorCode?: string;
  /** The server's own `message` (masked of credentials), when it sent MLflow's JSON error. */
  serverMessage?: string;
  cause?: unknown;
}

export class TrackingError extends MlfError {
  readonly kind: TrackingErrorKind;
  readonly status?: number;
  readonly errorCode?: string;
  readonly serverMessage?: string;

  constructor(kind: TrackingErrorKind, message: string, details: TrackingErrorDetails = {}) {
    super(CATEGORY_BY_KIND[kind], CODE_BY_KIND[kind], message, {
      hint: hintFor(kind),
      cause: details.cause,
      data: { kind, ...(details.status === undefined ? {} : { status: details.status }), ...(details.errorCode ? { errorCode: details.errorCode } : {}) },
    });
    this.name = 'TrackingError';
    this.kind = kind;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.serverMessage = details.serverMessage;
  }
}

export function isTrackingError(error: unknown, kind?: TrackingErrorKind): error is TrackingError {
  return error instanceof TrackingError && (kind === undefined || error.kind === kind);
}

function hintFor(kind: TrackingErrorKind): string | undefined {
  switch (kind) {
    case 'auth':
      return `set the credentials with ${CREDENTIAL_VARIABLES.join(', ')} (or ~/.mlflow/credentials)`;
    case 'tls':
      return `configure TLS with ${TLS_VARIABLES.join(', ')}`;
    case 'unreachable':
      return 'check MLFLOW_TRACKING_URI and that the server is up';
    default:
      return undefined;
  }
}
