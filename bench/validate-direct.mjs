// The validate engine without the CLI: imports ops/validate (bundled alone by bench/validate.mjs,
// whose path comes first) and checks the models given. bench/validate.mjs times it next to the
// full command, to show what CLI start-up costs.
const [bundle, ...models] = process.argv.slice(2);
const { validateModels } = await import(bundle);
let errors = 0;
for await (const report of validateModels({ models, cwd: process.cwd() })) errors += report.counts.error;
process.exitCode = errors > 0 ? 1 : 0;
