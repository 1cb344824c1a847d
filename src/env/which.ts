import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { ENV } from '../config/env-vars.js';

/** The directories of `env.PATH`, in order, empty entries dropped. */
export function pathDirectories(env: Record<string, string | undefined>): string[] {
  return (env[ENV.PATH] ?? '').split(path.delimiter).filter((dir) => dir !== '');
}

/** The first executable file called `name` on `env.PATH`, or undefined. */
export function findExecutable(name: string, env: Record<string, string | undefined>): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined;
  for (const dir of pathDirectories(env)) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
