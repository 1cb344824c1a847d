// Bundles the CLI from src/ into a few ESM files under dist/bundle/: the build's one output tree
// (`npm run build` first checks the types with `tsc --noEmit`).
//
// Why: Node 20 has no compile cache, and resolving and compiling the ~150 small modules of mlf
// and its dependencies (yaml alone is 84 files) costs ~60 ms on every invocation; a bundle
// brings `mlf models validate MODEL` under 200 ms. `await import()` boundaries become chunks,
// so a command still loads only what it uses.
//
// The worker's Python files are not bundled: src/worker/files.ts finds them from the package root.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { NODE_ESM_OPTIONS } from './esbuild-node.mjs';

rmSync('dist', { recursive: true, force: true });
await build({
  ...NODE_ESM_OPTIONS,
  // `early` is what bin/mlf.js runs before loading `main` (src/cli/early-start.ts). Its time is
  // spent before the worker starts, so it must stay small: Node's modules, env-paths, the flag
  // tables and worker/early-worker.ts, nothing that loads commander, yaml or zod.
  entryPoints: { main: 'src/cli/main.ts', early: 'src/cli/early-start.ts' },
  outdir: 'dist/bundle',
  splitting: true,
  outExtension: { '.js': '.mjs' },
});
