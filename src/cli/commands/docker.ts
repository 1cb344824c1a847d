import path from 'node:path';
import { parseEnvManagerName } from '../../env/types.js';
import { usageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { BUILD_DOCKER_COMMAND, BUILD_DOCKER_FLAGS, GENERATE_DOCKERFILE_COMMAND, GENERATE_DOCKERFILE_FLAGS, IMAGE_PROTOCOL } from '../docker-flags.js';
import { addFlags, longSpelling } from '../flag-table.js';
import { createProgressRenderer, type ProgressRenderer } from '../progress.js';
import { dim, printJson, say, warn } from '../render.js';
import type { RegisterCommand } from './index.js';
import { modelSourceOptions } from './prepare-env.js';

interface ImageFlags {
  modelUri: string;
  offline?: boolean;
  envManager: string;
  baseImage?: string;
  nodeImage: string;
  installMlflow?: boolean;
  protocol: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** The serve protocols (ops/serve.ts's SERVE_PROTOCOLS, spelled here so that --help loads no serve code). */
const PROTOCOLS = ['mlflow', 'v2'];

/** A `--protocol` list of the image (generate-dockerfile, build-docker, generate-k8s). */
export function parseImageProtocols(text: string): Array<'mlflow' | 'v2'> {
  const protocols = text.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = protocols.find((p) => !PROTOCOLS.includes(p));
  if (unknown !== undefined || protocols.length === 0) {
    throw usageError('INVALID_OPTION_VALUE', `invalid value \`${text}\` for ${longSpelling(IMAGE_PROTOCOL)}: give one or more of ${PROTOCOLS.map((p) => `\`${p}\``).join(', ')}`);
  }
  return [...new Set(protocols)] as Array<'mlflow' | 'v2'>;
}

function imageRequest(flags: ImageFlags, ctx: CliContext, progress: ProgressRenderer) {
  const protocols = parseImageProtocols(flags.protocol);
  return {
    modelUri: flags.modelUri,
    modelSource: { ...modelSourceOptions(flags, ctx), onModelEvent: progress.onModelEvent },
    envManager: parseEnvManagerName(flags.envManager),
    ...(flags.baseImage !== undefined ? { baseImage: flags.baseImage } : {}),
    nodeImage: flags.nodeImage,
    installMlflow: Boolean(flags.installMlflow),
    protocol: protocols.join(','),
    env: ctx.env,
    cwd: ctx.cwd,
  };
}

/** What both commands print: the JSON object, or the warnings, what was left out, and `line` on stdout. */
function report(ctx: CliContext, flags: ImageFlags, result: { warnings: string[]; mlflowInstalled: { reason: string } | undefined; leftOut: string[] }, line: string): void {
  if (flags.json) {
    printJson(ctx, { ok: true, ...result });
    return;
  }
  if (!flags.quiet) {
    for (const message of result.warnings) warn(ctx, message);
    if (result.mlflowInstalled === undefined && result.leftOut.length > 0) {
      say(ctx, dim(ctx, `left out of the image: ${result.leftOut.join(', ')} (the worker loads this model without MLflow; --install-mlflow keeps it)`));
    }
  }
  ctx.stdout.write(`${line}\n`);
}

export const registerDocker: RegisterCommand = ({ models }, ctx) => {
  const generate = models.command('generate-dockerfile').description(GENERATE_DOCKERFILE_COMMAND.description).helpOption('--help', 'display help for command');
  addFlags(generate, GENERATE_DOCKERFILE_FLAGS).action(async (flags: ImageFlags & { outputDirectory: string; buildkit?: boolean }) => {
    const { generateDockerfile } = await import('../../ops/docker.js');
    const progress = createProgressRenderer(ctx, flags);
    let generated;
    try {
      generated = await generateDockerfile({ ...imageRequest(flags, ctx, progress), outputDirectory: flags.outputDirectory, buildkit: Boolean(flags.buildkit) });
    } finally {
      progress.stop();
    }
    report(ctx, flags, generated, `wrote ${generated.outputDirectory} (base ${generated.baseImage}, ${generated.envManager}); build it with: docker build -t NAME ${generated.outputDirectory}`);
  });

  const build = models.command('build-docker').description(BUILD_DOCKER_COMMAND.description).helpOption('--help', 'display help for command');
  addFlags(build, BUILD_DOCKER_FLAGS).action(async (flags: ImageFlags & { name: string; platform?: string; network?: string; indexUrl?: string; extraIndexUrl: string[]; netrc?: string }) => {
    const { buildDocker } = await import('../../ops/docker.js');
    const quiet = Boolean(flags.quiet) || Boolean(flags.json);
    // Without -v, one line per build step (the step lines of either builder); with it, all of docker's output.
    const stepLine = /^(Step \d+\/\d+ : |#\d+ \[)/;
    const progress = createProgressRenderer(ctx, flags);
    let built;
    try {
      built = await buildDocker({
        ...imageRequest(flags, ctx, progress),
        name: flags.name,
        ...(flags.platform ? { platform: flags.platform } : {}),
        ...(flags.network ? { network: flags.network } : {}),
        index: {
          ...(flags.indexUrl !== undefined ? { indexUrl: flags.indexUrl } : {}),
          extraIndexUrls: flags.extraIndexUrl,
          ...(flags.netrc !== undefined ? { netrc: path.resolve(ctx.cwd, flags.netrc) } : {}),
        },
        onStage: (stage, detail) => {
          // The model's download (drawn by the progress renderer) ends before the build's own lines start.
          if (stage === 'building') progress.stop();
          if (quiet) return;
          if (stage === 'building') say(ctx, `building ${flags.name} with ${detail ?? 'docker'}`);
        },
        onLine: (line) => {
          if (flags.json) return;
          if (flags.verbose) say(ctx, dim(ctx, line));
          else if (!flags.quiet && stepLine.test(line)) say(ctx, dim(ctx, line.length > 160 ? `${line.slice(0, 157)}...` : line));
        },
      });
    } finally {
      progress.stop();
    }
    report(ctx, flags, built, `built ${built.name}${built.imageId ? ` (${built.imageId.slice(0, 19)})` : ''} in ${built.seconds.toFixed(1)} s; run it with: docker run -p 8080:8080 ${built.name}`);
  });
};
