/** One access-log record per request: the server hands it to a callback; cli/ prints it. */
export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** Requests predicted together with this one (absent for routes that predict nothing). */
  batchSize?: number;
  /** The route's pattern (the metrics' label), `unmatched` for a 404. */
  route: string;
}

/** `POST /invocations 200 3.1ms batch=1`, the text form of a record. */
export function formatAccessLine(record: AccessRecord): string {
  return `${record.method} ${record.path} ${record.status} ${record.durationMs.toFixed(1)}ms${record.batchSize !== undefined ? ` batch=${record.batchSize}` : ''}`;
}

/** The `--json` form: one object per line. */
export function accessRecordJson(record: AccessRecord): Record<string, unknown> {
  return {
    type: 'access',
    method: record.method,
    path: record.path,
    status: record.status,
    duration_ms: Math.round(record.durationMs * 1000) / 1000,
    ...(record.batchSize !== undefined ? { batch_size: record.batchSize } : {}),
  };
}
