import { Option } from 'commander';
import { colorAllowed } from '../../config/env-vars.js';
import { usageError } from '../../errors.js';
import { MLF_VERSION } from '../../version.js';
import type { CliContext } from '../context.js';
import { addCommonOptions, collect } from '../options.js';
import { createProgressRenderer } from '../progress.js';
import { modelSourceOptions } from './prepare-env.js';
import type { RegisterCommand } from './index.js';

interface ValidateFlags {
  format: string;
  strict?: boolean;
  fix?: boolean;
  smoke?: boolean;
  online?: boolean;
  envManager?: string;
  offline?: boolean;
  rule: string[];
  concurrency?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** `mlf models validate MODEL... [--format text|json|github|sarif] [--strict] [--fix] [--online] [--smoke] [--rule CODE=off|warn|error]...` */
export const registerValidate: RegisterCommand = ({ models }, ctx) => {
  const command = models
    .command('validate')
    .description('Check model directories for what would break at serving time (exit 1 on errors; 2 when an argument cannot be read).')
    .argument('<MODEL...>', 'model directories (paths or file:// URIs) or model URIs (runs:/, models:/, s3://, ...: fetched into the model cache first)')
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['text', 'json', 'github', 'sarif']).default('text'))
    .option('--strict', 'fail (exit 1) on warnings too')
    .option('--fix', 'fix what can be fixed (the conda `defaults` channel, conda.yaml\'s pip list), atomically, and print what changed')
    .option('--online', "also resolve each model's requirements against the configured index with uv (no install)")
    .option('--smoke', 'also build the environment and predict on the saved input example')
    .option('--env-manager <MANAGER>', 'with --smoke: uv, virtualenv, conda or local')
    .option('--offline', 'for remote model URIs: do not ask the tracking server; use what each URI resolved to last')
    .option('--rule <CODE=SETTING>', 'turn a rule (code, name or group) off, or set its severity: off|warn|error|info (repeatable)', collect, [])
    .addOption(new Option('--concurrency <N>', 'models checked at once').default('4').hideHelp());
  addCommonOptions(command).action(async (modelArgs: string[], flags: ValidateFlags) => {
    await runValidate(ctx, modelArgs, flags);
  });
};

async function runValidate(ctx: CliContext, modelArgs: string[], flags: ValidateFlags): Promise<void> {
  const [{ validateModels }, { parseRuleOverrides }, { createFormatter }, { SummaryCollector }] = await Promise.all([
    import('../../ops/validate.js'),
    import('../../validate/engine.js'),
    import('../../validate/format/index.js'),
    import('../../validate/report.js'),
  ]);
  if (flags.envManager !== undefined && !flags.smoke) {
    throw usageError('ENV_MANAGER_WITHOUT_SMOKE', '`--env-manager` only applies with `--smoke`', { hint: 'add `--smoke`, or drop `--env-manager`' });
  }
  const concurrency = Number(flags.concurrency ?? '4');
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw usageError('INVALID_CONCURRENCY', `\`--concurrency ${flags.concurrency}\` must be a positive integer`);
  }
  const overrides = parseRuleOverrides(flags.rule ?? []);
  const format = flags.json ? 'json' : (flags.format as 'text' | 'json' | 'github' | 'sarif');
  const strict = Boolean(flags.strict);
  const stdoutIsTTY = Boolean((ctx.stdout as { isTTY?: boolean }).isTTY);
  const formatter = createFormatter(format, {
    cwd: ctx.cwd,
    color: stdoutIsTTY && colorAllowed(ctx.env),
    version: MLF_VERSION,
    strict,
  });
  const smoke = flags.smoke ? await smokeCheck(ctx, flags) : undefined;
  const online = flags.online ? await onlineResolver(ctx) : undefined;

  const progress = createProgressRenderer(ctx, { quiet: Boolean(flags.quiet), json: format !== 'text', verbose: Boolean(flags.verbose) });
  const summary = new SummaryCollector(strict);
  await write(ctx, formatter.begin());
  for await (const report of validateModels({
    models: modelArgs,
    cwd: ctx.cwd,
    modelSource: { env: ctx.env, ...modelSourceOptions(flags, ctx), onModelEvent: progress.onModelEvent },
    overrides,
    fix: Boolean(flags.fix),
    ...(smoke ? { smoke } : {}),
    ...(online ? { online } : {}),
    // Smoke tests build environments and start Python: one model at a time.
    concurrency: smoke ? 1 : concurrency,
  })) {
    summary.add(report);
    await write(ctx, formatter.model(report));
  }
  progress.stop();
  const result = summary.result();
  await write(ctx, formatter.end(result));
  ctx.exitCode = result.exitCode;
}

async function smokeCheck(ctx: CliContext, flags: ValidateFlags) {
  const { smokeTest } = await import('../../ops/validate.js');
  if (flags.envManager !== undefined) {
    const { parseEnvManagerName } = await import('../../env/index.js');
    parseEnvManagerName(flags.envManager); // a bad name is a usage error before any model is read
  }
  return (files: Parameters<typeof smokeTest>[0]) =>
    smokeTest(files, { env: ctx.env, cwd: ctx.cwd, ...(flags.envManager !== undefined ? { envManager: flags.envManager } : {}) });
}

async function onlineResolver(ctx: CliContext) {
  const { onlineCheck } = await import('../../ops/validate.js');
  return (files: Parameters<typeof onlineCheck>[0], model: string) => onlineCheck(files, model, { env: ctx.env, cwd: ctx.cwd });
}

/** Writes to stdout, waiting for the stream to drain so that a long run keeps memory bounded. */
function write(ctx: CliContext, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    if (ctx.stdout.write(text)) resolve();
    else ctx.stdout.once('drain', () => resolve());
  });
}
