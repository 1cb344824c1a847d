#!/usr/bin/env node
// Thin launcher: `npm run build` compiles src/ with tsc and bundles it into dist/bundle/
// (scripts/bundle.mjs explains why).
import { discardEarlyWorker, startEarly } from '../dist/bundle/early.mjs';

// Before anything else loads: start the model worker of the last identical `mlf models predict`,
// so that Python's start overlaps Node's (src/runtime/early-worker.ts).
startEarly(process.argv);
const { main } = await import('../dist/bundle/main.mjs');

// Stack traces (shown with --verbose) should name src/ files, not bundle chunks.
if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.setSourceMapsEnabled(true);

main(process.argv).then((code) => {
  discardEarlyWorker();
  process.exitCode = code;
});
