import { inputError, usageError } from '../../errors.js';
import { CONTENT_TYPES, RUNTIME_CHOICES, type ContentType, type RuntimeChoice } from '../../worker/choices.js';
import { withFixCommands } from '../fix-commands.js';
import { addFlags, longSpelling } from '../flag-table.js';
import { fixHintArgs } from '../fix-hint-args.js';
import { CONTENT_TYPE, PREDICT_COMMAND, PREDICT_FLAGS, RUNTIME } from '../predict-flags.js';
import { createProgressRenderer } from '../progress.js';
import { dim, printJson, say, warn } from '../render.js';
import { environmentRequest } from './prepare-env.js';
import type { RegisterCommand } from './index.js';
import type { WorkerLog } from '../../worker/protocol.js';

interface PredictFlags {
  modelUri: string;
  inputPath?: string;
  outputPath?: string;
  contentType: string;
  envManager?: string;
  installMlflow?: boolean;
  pipRequirementsOverride: string[];
  pythonVersionStrategy?: string;
  env: string[];
  runtime: string;
  strictJson?: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

export const registerPredict: RegisterCommand = ({ models }, ctx) => {
  const command = models
    .command('predict')
    .description(PREDICT_COMMAND.description);
  addFlags(command, PREDICT_FLAGS).action(async (flags: PredictFlags) => {
    const { predict } = await import('../../ops/predict.js');
    const contentType = parseChoice<ContentType>(flags.contentType, CONTENT_TYPES, longSpelling(CONTENT_TYPE));
    const runtime = parseChoice<RuntimeChoice>(flags.runtime, RUNTIME_CHOICES, longSpelling(RUNTIME));
    const extraEnv = parseEnvPairs(flags.env);
    const fromStdin = flags.inputPath === undefined || flags.inputPath === '-';
    let inputData: string | undefined;
    if (fromStdin) {
      if ((ctx.stdin as { isTTY?: boolean }).isTTY) {
        throw usageError('NO_INPUT', 'no input: give a file with `-i INPUT`, or pipe the input into `-i -`');
      }
      inputData = await readAll(ctx.stdin);
    }
    const envRequest = environmentRequest(flags, ctx);
    const progress = createProgressRenderer(ctx, flags);
    const silent = Boolean(flags.json) || Boolean(flags.quiet);
    // Everything the worker writes on stderr, and its notes, are shown under -v only; its warnings
    // (the ones MLflow would print too: extra columns dropped, params ignored) always.
    const onWorkerStderr = (line: string) => {
      if (!silent && flags.verbose) say(ctx, dim(ctx, line));
    };
    const onWorkerLog = (log: WorkerLog) => {
      if (silent) return;
      if (log.level === 'warning') warn(ctx, log.message);
      else if (flags.verbose) say(ctx, dim(ctx, `[mlf-worker] ${log.message}`));
    };
    let result;
    try {
      result = await predict({
        ...envRequest,
        modelSource: { ...envRequest.modelSource, onModelEvent: progress.onModelEvent },
        modelUri: flags.modelUri,
        ...(fromStdin ? { inputData: inputData! } : { inputPath: flags.inputPath! }),
        ...(flags.outputPath !== undefined ? { outputPath: flags.outputPath } : {}),
        contentType,
        runtime,
        ...(flags.strictJson ? { strictJson: true } : {}),
        extraEnv,
        onProgress: progress.onProgress,
        onStderr: onWorkerStderr,
        onLog: onWorkerLog,
        ...(ctx.earlyStart ? { earlyStart: ctx.earlyStart } : {}),
      });
    } catch (error) {
      // A missing module's error gets the commands to try, repeating this run's flags.
      throw withFixCommands(error, { modelArg: flags.modelUri, inputArg: fromStdin ? '-' : flags.inputPath!, repeatArgs: fixHintArgs(PREDICT_FLAGS, { ...flags }) });
    } finally {
      progress.stop();
    }
    if (flags.json) {
      printJson(ctx, { ok: true, ...result });
      return;
    }
    if (flags.verbose) {
      const how = result.runtime === 'mlflow' ? `mlflow.pyfunc${result.fallbackReason ? ` (${result.fallbackReason})` : ''}` : `the ${result.runtime} fast path`;
      const early = result.earlyStart === 'adopted' ? ' (its worker was started early, before mlf had loaded)' : '';
      say(ctx, `loaded the model with ${how} in ${(result.timings.loadMs / 1000).toFixed(2)}s${early}; total ${(result.timings.totalMs / 1000).toFixed(2)}s`);
    }
    if (result.output !== undefined) ctx.stdout.write(result.output);
  });
};

export function parseChoice<T extends string>(value: string, choices: readonly T[], flag: string): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw usageError('INVALID_OPTION_VALUE', `invalid value \`${value}\` for ${flag}: choose one of ${choices.map((c) => `\`${c}\``).join(', ')}`);
}

/** `--env KEY=VALUE` pairs; a value without `=` is an error, as in MLflow's click option. */
export function parseEnvPairs(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) {
      throw usageError('INVALID_ENV_PAIR', `invalid --env value \`${value}\`: expected KEY=VALUE`);
    }
    env[value.slice(0, at)] = value.slice(at + 1);
  }
  return env;
}

/** Stdin as text, decoded strictly: MLflow fails on input that is not UTF-8, so mlf must not mend it. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const bytes = Buffer.concat(chunks);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = firstInvalidUtf8Line(bytes);
    throw inputError('INPUT_NOT_UTF8', 'the input on stdin is not UTF-8 text', {
      file: '<stdin>',
      line,
      hint: 'convert the input to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)',
    });
  }
}

/** The line of the first byte sequence that is not UTF-8, found by decoding line by line. */
function firstInvalidUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    const slice = bytes.subarray(start, end < 0 ? bytes.length : end);
    try {
      decoder.decode(slice);
    } catch {
      return line;
    }
    if (end < 0) return line;
    start = end + 1;
    line++;
  }
}
