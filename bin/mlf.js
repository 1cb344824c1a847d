#!/usr/bin/env node
// Thin launcher: `npm run build` compiles src/ with tsc and bundles it into dist/bundle/
// (scripts/bundle.mjs explains why).
// Before anything else loads: start the model worker of the last identical `mlf models predict`,
// so that Python's start overlaps Node's (src/runtime/early-worker.ts). Other commands do not load
// that code at all (~15 ms of, say, a ~0.2 s `mlf models validate`).
const early = process.argv[2] === 'models' && process.argv[3] === 'predict' ? await import('../dist/bundle/early.mjs') : undefined;
early?.startEarly(process.argv);
const { main } = await import('../dist/bundle/main.mjs');

// Stack traces (shown with --verbose) should name src/ files, not bundle chunks.
if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.setSourceMapsEnabled(true);

main(process.argv).then((code) => {
  early?.discardEarlyWorker();
  process.exitCode = code;
});
