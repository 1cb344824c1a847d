#!/usr/bin/env node
// Thin launcher: `npm run build` compiles src/ with tsc and bundles it into dist/bundle/
// (scripts/bundle.mjs explains why).
import { main } from '../dist/bundle/main.mjs';

// Stack traces (shown with --verbose) should name src/ files, not bundle chunks.
if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.setSourceMapsEnabled(true);

main(process.argv).then((code) => {
  process.exitCode = code;
});
