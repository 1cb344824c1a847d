#!/usr/bin/env node
// Thin launcher: `npm run build` bundles src/ into dist/bundle/ (scripts/bundle.mjs explains why).
// Before anything else loads: start the model worker of the last identical `mlf models predict`,
// so that Python's start overlaps Node's (src/cli/early-start.ts). Other commands do not load
// that code at all (~15 ms of, say, a ~0.2 s `mlf models validate`).
// The AWS SDK (loaded for s3:// models only) warns on every run under Node 20 that its releases
// after January 2027 will need Node 22; mlf pins one that supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
try {
  const early = process.argv[2] === 'models' && process.argv[3] === 'predict' ? await import('../dist/bundle/early.mjs') : undefined;
  // The early start is only a head start: a failure here leaves predict to start its own worker.
  let earlyStart;
  try {
    earlyStart = early?.startEarly(process.argv, process.env, process.cwd());
  } catch {}
  const { main, installInterruptHandler } = await import('../dist/bundle/main.mjs');

  // Stack traces (shown with --verbose) should name src/ files, not bundle chunks.
  if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.setSourceMapsEnabled(true);
  installInterruptHandler();

  // The handle goes to predict, which takes the early worker or leaves it to be discarded here.
  const code = await main(process.argv, { earlyStart });
  earlyStart?.discard();
  process.exitCode = code;
} catch (error) {
  // Only a broken installation gets here (main() renders every error itself); --json still
  // gets its one object.
  const message = error instanceof Error ? error.message : String(error);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'INTERNAL_ERROR', category: 'internal', message, exitCode: 1 } }, null, 2)}\n`);
  } else {
    process.stderr.write(`error: internal error: ${message} (run again with --verbose for the trace, and please report it)\n`);
  }
  if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
  process.exitCode = 1;
}
