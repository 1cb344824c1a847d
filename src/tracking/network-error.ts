/** A server or the network failed after retries: exit 3 (errors.ts). */
import { environmentError, type MlfError, type MlfErrorOptions } from '../errors.js';

export function networkError(code: string, message: string, options?: MlfErrorOptions): MlfError {
  return environmentError(code, message, options);
}
