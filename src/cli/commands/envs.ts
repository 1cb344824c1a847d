import { formatDuration } from '../../env/duration.js';
import type { CachedEnvironment } from '../../env/index.js';
import type { CachedModelEntry } from '../../tracking/model-cache.js';
import type { CliContext } from '../context.js';
import { addCommonOptions } from '../options.js';
import { addFlags } from '../flag-table.js';
import { PACK_COMMAND, PACK_FLAGS } from '../pack-flags.js';
import { createProgressRenderer } from '../progress.js';
import { formatSize, printJson, say } from '../render.js';
import { addEnvironmentOptions, environmentRequest } from './prepare-env.js';
import type { RegisterCommand } from './index.js';

interface CommonFlags {
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** `mlf envs list`, `mlf envs prune [--older-than DURATION]`, `mlf envs path -m MODEL`, `mlf envs pack -m MODEL -o FILE`. */
export const registerEnvs: RegisterCommand = ({ envs }, ctx) => {
  addCommonOptions(envs.command('list').description('List the cached environments, most recently used first.')).action(
    async (flags: CommonFlags) => {
      const { listEnvs } = await import('../../ops/envs.js');
      const { bucket, environments, totals, models } = await listEnvs({ env: ctx.env, cwd: ctx.cwd });
      if (flags.json) {
        printJson(ctx, { ok: true, bucket, environments: environments.map(entryJson), onDiskBytes: totals.onDiskBytes, unsharedBytes: totals.unsharedBytes, models });
        return;
      }
      printCachedModels(ctx, models.entries, Boolean(flags.quiet));
      if (environments.length === 0) {
        if (!flags.quiet) say(ctx, `no environments in ${bucket}`);
        return;
      }
      const now = Date.now();
      const rows = environments.map((e) => [
        e.name,
        e.status,
        e.marker?.pythonVersion ?? '-',
        formatSize(e.sizeBytes ?? 0),
        formatSize(e.unsharedBytes ?? 0),
        e.marker ? `${formatDuration(now - Date.parse(e.marker.lastUsed))} ago` : '-',
        e.marker?.modelDir ?? '-',
      ]);
      ctx.stdout.write(table([['NAME', 'STATUS', 'PYTHON', 'ON DISK', 'NOT SHARED', 'LAST USED', 'MODEL'], ...rows]));
      if (!flags.quiet) {
        const n = environments.length;
        say(
          ctx,
          `${n} environment${n === 1 ? '' : 's'}: ${onDiskText(totals.onDiskBytes, totals.unsharedBytes)}; removing them all frees the part not shared`,
        );
      }
    },
  );

  addCommonOptions(
    envs
      .command('prune')
      .description('Remove cached environments: all of them, or those not used for --older-than; always unfinished ones.')
      .option('--older-than <DURATION>', 'only environments not used for this long, e.g. 7d, 12h, 30m'),
  ).action(async (flags: CommonFlags & { olderThan?: string }) => {
    const { pruneEnvs } = await import('../../ops/envs.js');
    const result = await pruneEnvs({ env: ctx.env, cwd: ctx.cwd, ...(flags.olderThan !== undefined ? { olderThan: flags.olderThan } : {}) });
    if (flags.json) {
      printJson(ctx, {
        ok: true,
        bucket: result.bucket,
        removed: result.removed.map(entryJson),
        skipped: result.skipped.map(entryJson),
        onDiskBytes: result.onDiskBytes,
        freedBytes: result.freedBytes,
        models: result.models,
        localModelCache: result.localModelCache,
        servingMemory: result.servingMemory,
      });
      return;
    }
    for (const e of result.removed) ctx.stdout.write(`removed ${e.envDir} (${e.status}, ${onDiskText(e.sizeBytes ?? 0, e.unsharedBytes ?? 0)})\n`);
    for (const m of result.models.removed) ctx.stdout.write(`removed ${m.dir} (model ${m.location}, ${formatSize(m.bytes)})\n`);
    for (const file of result.localModelCache.removed) ctx.stdout.write(`removed ${file} (transcoded skops model of the local manager)\n`);
    for (const file of result.servingMemory.removed) ctx.stdout.write(`removed ${file} (generate-k8s memory measurement)\n`);
    if (!flags.quiet) {
      for (const e of result.skipped) say(ctx, `skipped ${e.envDir}: another mlf process is using it`);
      for (const m of result.models.skipped) say(ctx, `skipped ${m.dir}: another mlf process is using it`);
      const models = result.models.removed.length;
      if (models > 0) say(ctx, `removed ${models} cached model${models === 1 ? '' : 's'}: ${formatSize(result.models.bytes)}`);
      const transcoded = result.localModelCache.removed.length;
      if (transcoded > 0) say(ctx, `removed ${transcoded} transcoded model${transcoded === 1 ? '' : 's'} of the local manager: ${formatSize(result.localModelCache.bytes)}`);
      const n = result.removed.length;
      const shared = result.onDiskBytes - result.freedBytes;
      say(
        ctx,
        `removed ${n} environment${n === 1 ? '' : 's'}: ${formatSize(result.onDiskBytes)} on disk, ${formatSize(result.freedBytes)} freed` +
          (shared > 0 ? ` (${formatSize(shared)} is still linked from uv's cache or another environment)` : ''),
      );
    }
  });

  addCommonOptions(
    addEnvironmentOptions(envs.command('path').description("Print the directory of a model's environment (built or not) without building it.")),
  ).action(async (flags: Parameters<typeof environmentRequest>[0] & CommonFlags) => {
    const { envPath } = await import('../../ops/envs.js');
    const found = await envPath(environmentRequest(flags, ctx));
    if (flags.json) {
      printJson(ctx, { ok: true, ...found });
      return;
    }
    ctx.stdout.write(`${found.envDir}\n`);
    if (!found.exists && !flags.quiet) say(ctx, `not built yet; \`mlf models prepare-env -m ${flags.modelUri}\` builds it`);
  });

  addFlags(envs.command(PACK_COMMAND.name.split(' ')[1]!).description(PACK_COMMAND.description), PACK_FLAGS).action(async (flags: Parameters<typeof environmentRequest>[0] & CommonFlags & { output: string }) => {
    const { packModelEnvironment } = await import('../../ops/pack.js');
    const progress = createProgressRenderer(ctx, flags);
    let packed;
    try {
      const request = environmentRequest(flags, ctx);
      packed = await packModelEnvironment({
        ...request,
        modelSource: { ...request.modelSource, onModelEvent: progress.onModelEvent },
        onProgress: progress.onProgress,
        output: flags.output,
      });
    } finally {
      progress.stop();
    }
    if (flags.json) {
      printJson(ctx, { ok: true, archive: packed.archive, sizeBytes: packed.sizeBytes, manifest: packed.manifest, environment: packed.environment });
      return;
    }
    const { manifest } = packed;
    if (!flags.quiet) {
      say(ctx, `packed ${packed.environment.envDir} (${manifest.env_manager}, Python ${manifest.python_version}, ${manifest.platform}): ${formatSize(packed.sizeBytes)}`);
      say(ctx, `it runs where ${manifest.base_interpreter.path} exists, or a ${manifest.base_interpreter.search} of the same version is on PATH`);
    }
    ctx.stdout.write(`${packed.archive}\n`);
  });
};

/** The model cache's entries, above the environments (a model is smaller and listed first). */
function printCachedModels(ctx: CliContext, models: readonly CachedModelEntry[], quiet: boolean): void {
  if (models.length === 0) return;
  const now = Date.now();
  const rows = models.map((m) => [m.key.slice(0, 16), String(m.files), formatSize(m.bytes), `${formatDuration(now - Date.parse(m.lastUsed))} ago`, m.location]);
  ctx.stdout.write(table([['MODEL', 'FILES', 'SIZE', 'LAST USED', 'FROM'], ...rows]));
  if (!quiet) say(ctx, `${models.length} cached model${models.length === 1 ? '' : 's'}: ${formatSize(models.reduce((sum, m) => sum + m.bytes, 0))}`);
}

function entryJson(e: CachedEnvironment) {
  return {
    name: e.name,
    envDir: e.envDir,
    status: e.status,
    manager: e.manager,
    sizeBytes: e.sizeBytes,
    unsharedBytes: e.unsharedBytes,
    ...(e.marker
      ? {
          key: e.marker.key,
          pythonVersion: e.marker.pythonVersion,
          pythonPath: e.marker.pythonPath,
          created: e.marker.created,
          lastUsed: e.marker.lastUsed,
          modelDir: e.marker.modelDir,
          requirements: e.marker.requirements,
        }
      : {}),
  };
}

/** `1.2 GiB on disk (300 MiB not shared with other files)`. */
function onDiskText(onDiskBytes: number, unsharedBytes: number): string {
  return `${formatSize(onDiskBytes)} on disk (${formatSize(unsharedBytes)} not shared with other files)`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
