import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * vitest globalSetup: the uv and virtualenv that .ci/run installed (.e2e/bin, from
 * .ci/python-tools.lock) come first on PATH, so that `npm test` after `bash .ci/run` tests
 * with the locked tools, as CI does, rather than with whatever the machine has.
 */
export default function setup(): void {
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.e2e', 'bin');
  if (existsSync(bin) && !(process.env.PATH ?? '').split(path.delimiter).includes(bin)) {
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
  }
}
