// Bundles the compiled CLI into a few ESM files under dist/bundle/ (run after `tsc`).
//
// Why: Node 20 has no compile cache, and resolving and compiling the ~150 small modules of mlf
// and its dependencies (yaml alone is 84 files) costs ~60 ms on every invocation; a bundle
// brings `mlf models validate MODEL` under 200 ms. `await import()` boundaries become chunks,
// so a command still loads only what it uses.
//
// dist/bundle/ sits at the same depth as dist/worker/, so the worker's path
// (`../../src/worker/worker.py` from import.meta.url) resolves the same from both.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  // `early` is what bin/mlf.js runs before loading `main` (src/cli/early-start.ts). Its time is
  // spent before the worker starts, so it must stay small: Node's modules, env-paths, the flag
  // tables and worker/early-worker.ts, nothing that loads commander, yaml or zod.
  entryPoints: { main: 'dist/cli/main.js', early: 'dist/cli/early-start.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies call require(); give the bundle one.
  banner: { js: "import { createRequire as __mlfCreateRequire } from 'node:module'; const require = __mlfCreateRequire(import.meta.url);" },
});
