// How mlf's TypeScript sources become ESM for plain Node: shared by the CLI's bundle
// (scripts/bundle.mjs) and the benchmarks that bundle one module alone (bench/validate.mjs).
export const NODE_ESM_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Stack traces (--verbose) name the src/ files.
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies call require(); give the bundle one.
  banner: { js: "import { createRequire as __mlfCreateRequire } from 'node:module'; const require = __mlfCreateRequire(import.meta.url);" },
};
