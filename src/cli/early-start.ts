/**
 * What bin/mlf.js runs before it loads the CLI: the early start of a model worker
 * (worker/early-worker.ts explains it). A separate bundle entry, so that it loads only Node's
 * own modules and env-paths.
 */
import { resolveMlfHome } from '../env/home.js';
import { discardEarlyWorker, startEarlyWorker } from '../worker/early-worker.js';

export function startEarly(argv: string[]): void {
  const cwd = process.cwd();
  startEarlyWorker(argv, process.env, cwd, resolveMlfHome({ env: process.env, cwd }));
}

export { discardEarlyWorker };
