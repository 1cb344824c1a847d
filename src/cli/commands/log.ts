import os from 'node:os';
import type { CliContext } from '../context.js';
import { addCommonOptions, collect } from '../options.js';
import { parseKeyValueFlags } from '../key-value-flags.js';
import { bold, dim, printJson, say, warn } from '../render.js';
import type { RegisterCommand } from './index.js';
import type { LogOptions, LogResult } from '../../ops/log.js';
import type { LogProgress } from '../../tracking/log-model.js';

type LogFlags = Pick<LogOptions, 'experimentName' | 'experimentId' | 'runId' | 'name' | 'registeredModelName' | 'alias'> & {
  modelUri: string;
  tag: string[];
  validate: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
};

/** `mlf models log -m DIR [--experiment-name E | --experiment-id ID] [--run-id R] [--name model] [--registered-model-name N] [--alias A] [--tag K=V]...` */
export const registerLog: RegisterCommand = ({ models }, ctx) => {
  const command = models
    .command('log')
    .description("Put a model directory into the MLflow tracking server (MLFLOW_TRACKING_URI) as MLflow 3's log_model does: a run, a logged model, its files through the server's artifact proxy, and optionally a registered model version and alias. Validates first.")
    .requiredOption('-m, --model-uri <DIR>', 'the model directory (a path or a file:// URI)')
    .option('--experiment-name <NAME>', 'the experiment of the new run (created when it does not exist; default: experiment 0)')
    .option('--experiment-id <ID>', 'the experiment of the new run, by id')
    .option('--run-id <RUN_ID>', 'log into this existing run (it is not ended) instead of a new one')
    .option('--name <NAME>', "the logged model's name (`runs:/<run>/<name>`)", 'model')
    .option('--registered-model-name <NAME>', 'also register the model as a new version of this registered model (created when needed)')
    .option('--alias <ALIAS>', 'with --registered-model-name: point this alias at the new version')
    .option('--tag <KEY=VALUE>', "a tag on the logged model and the model version (repeatable)", collect, [])
    .option('--no-validate', 'log even when `mlf models validate` finds errors')
    .addHelpText(
      'after',
      '\nExamples:\n  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 mlf models log -m ./model --registered-model-name iris --alias champion\n  mlf models log -m ./model --experiment-name ci --tag git_sha=$GIT_SHA --json',
    );
  addCommonOptions(command).action(async (flags: LogFlags) => {
    const { logModel } = await import('../../ops/log.js');
    const result = await logModel({
      model: flags.modelUri,
      cwd: ctx.cwd,
      env: ctx.env,
      home: os.homedir(),
      user: userName(),
      ...pickDefined(flags),
      tags: parseKeyValueFlags('--tag', 'INVALID_TAG', flags.tag),
      validate: flags.validate,
      onProgress: flags.json || flags.quiet || !flags.verbose ? undefined : (event) => sayProgress(ctx, event),
    });
    render(ctx, result, flags);
  });
};

function pickDefined(flags: LogFlags): Partial<LogOptions> {
  const { experimentName, experimentId, runId, name, registeredModelName, alias } = flags;
  return { experimentName, experimentId, runId, name, registeredModelName, alias };
}

/** `getpass.getuser()` reads LOGNAME/USER first; the account name is what they hold on a normal login. */
function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

function sayProgress(ctx: CliContext, event: LogProgress): void {
  if (event.stage === 'run') say(ctx, dim(ctx, `${event.created ? 'created run' : 'logging into run'} ${event.runId}`));
  else if (event.stage === 'logged-model') say(ctx, dim(ctx, `created logged model ${event.modelId}`));
  else if (event.stage === 'upload') say(ctx, dim(ctx, `uploaded ${event.file}${event.parts === undefined ? '' : ` in ${event.parts} parts`} (${event.done}/${event.total})`));
  else say(ctx, dim(ctx, `registered ${event.name} version ${event.version}`));
}

function render(ctx: CliContext, result: LogResult, flags: LogFlags): void {
  const warnings = result.diagnostics.filter((d) => d.severity !== 'info');
  if (flags.json) {
    printJson(ctx, {
      ok: true,
      model: result.modelDir,
      trackingUri: result.trackingUri,
      experimentId: result.experimentId,
      runId: result.runId,
      runCreated: result.runCreated,
      modelId: result.modelId,
      artifactUri: result.artifactUri,
      files: result.uploadedFiles,
      bytes: result.uploadedBytes,
      registeredModel: result.registered ?? null,
      uris: result.uris,
      diagnostics: warnings,
    });
    return;
  }
  // The URIs are the command's output (a script reads them); the rest is human text on stderr.
  ctx.stdout.write(`${result.uris.model}\n${result.uris.run}\n`);
  if (result.uris.version) ctx.stdout.write(`${result.uris.version}\n`);
  if (result.uris.alias) ctx.stdout.write(`${result.uris.alias}\n`);
  if (flags.quiet) return;
  for (const d of warnings) warn(ctx, `${d.code} ${d.file}: ${d.message}`);
  const registered = result.registered ? `, registered as ${bold(ctx, `${result.registered.name} version ${result.registered.version}`)}${result.registered.alias ? ` (@${result.registered.alias})` : ''}` : '';
  say(ctx, `Logged ${result.modelDir} to ${result.trackingUri}: ${result.uploadedFiles} files in run ${result.runId}${registered}`);
}
