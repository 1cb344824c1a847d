// The validate engine without the CLI: imports ops/validate and checks the models given.
// bench/validate.mjs times it next to the full command, to show what CLI start-up costs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { validateModels } = await import(path.join(repo, 'dist', 'ops', 'validate.js'));
let errors = 0;
for await (const report of validateModels({ models: process.argv.slice(2), cwd: process.cwd() })) errors += report.counts.error;
process.exitCode = errors > 0 ? 1 : 0;
