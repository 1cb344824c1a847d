import { PassThrough, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';

/** A CliContext with captured stdout and stderr and an empty, ended stdin. */
export function captureContext(env: Record<string, string | undefined> = {}, cwd = '/'): { ctx: CliContext; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  stdin.end();
  const ctx: CliContext = {
    stdout: new Writable({
      write(chunk, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    }),
    stderr: new Writable({
      write(chunk, _enc, cb) {
        err += chunk.toString();
        cb();
      },
    }),
    stdin,
    cwd,
    env: { NO_COLOR: '1', ...env },
    stderrIsTTY: false,
    exitCode: 0,
  };
  return { ctx, stdout: () => out, stderr: () => err };
}
