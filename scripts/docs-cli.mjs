// Writes docs/cli.md from the flag tables (src/cli/cli-reference.ts): `npm run docs:cli`.
// test/cli/cli-reference.test.ts fails when the committed file is not what this writes.
//
// The generator is TypeScript; esbuild (already the bundler) compiles it to a temporary module,
// so that this needs no build of the whole CLI first.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(path.join(tmpdir(), 'mlf-docs-cli-'));
try {
  const outfile = path.join(dir, 'cli-reference.mjs');
  await build({ entryPoints: ['src/cli/cli-reference.ts'], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  const { renderCliReference } = await import(pathToFileURL(outfile).href);
  writeFileSync('docs/cli.md', renderCliReference());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
