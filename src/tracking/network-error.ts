/** A server or the network failed after retries: exit 3 (errors.ts, category `server`). */
import { MlfError, type MlfErrorOptions } from '../errors.js';

export function networkError(code: string, message: string, options?: MlfErrorOptions): MlfError {
  return new MlfError('server', code, message, options);
}
