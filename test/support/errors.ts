import { MlfError } from '../../src/errors.js';

/** Runs `action` and returns the MlfError it throws; fails the test if it throws nothing else. */
export function catchMlfError(action: () => unknown): MlfError {
  try {
    action();
  } catch (error) {
    if (error instanceof MlfError) return error;
    throw error;
  }
  throw new Error('expected an MlfError');
}

/** Awaits `promise` and returns the MlfError it rejects with; fails the test otherwise. */
export async function rejectedMlfError(promise: Promise<unknown>): Promise<MlfError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MlfError) return error;
    throw error;
  }
  throw new Error('expected an MlfError');
}
