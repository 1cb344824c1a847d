import { usageError } from '../../errors.js';
import { formatMebibytes, parseMemoryQuantity } from '../../k8s/quantity.js';
import { RUNTIME_CHOICES, type RuntimeChoice } from '../../worker/choices.js';
import { addFlags, longSpelling } from '../flag-table.js';
import { GENERATE_K8S_COMMAND, GENERATE_K8S_FLAGS, K8S_CPU, K8S_CPU_PERCENT, K8S_MAX_REPLICAS, K8S_MEMORY, K8S_REPLICAS } from '../k8s-flags.js';
import { RUNTIME } from '../predict-flags.js';
import { createProgressRenderer } from '../progress.js';
import { printJson, say, warn } from '../render.js';
import { WORKERS } from '../serve-flags.js';
import { parseImageProtocols } from './docker.js';
import type { RegisterCommand } from './index.js';
import { environmentRequest, type PrepareEnvFlags } from './prepare-env.js';
import { wholeNumber } from './serve.js';

interface GenerateK8sFlags extends PrepareEnvFlags {
  image: string;
  outputDirectory: string;
  name?: string;
  replicas: string;
  workers: string;
  maxReplicas?: string;
  targetCpuPercent: string;
  memory?: string;
  cpu?: string;
  kserve?: boolean;
  protocol: string;
  runtime: string;
}

/** A CPU quantity as Kubernetes takes it: cores (`2`, `0.5`) or millicores (`500m`). */
const CPU_QUANTITY = /^(\d+(\.\d+)?|\d+m)$/;

export const registerK8s: RegisterCommand = ({ models }, ctx) => {
  const command = models.command('generate-k8s').description(GENERATE_K8S_COMMAND.description).helpOption('--help', 'display help for command');
  addFlags(command, GENERATE_K8S_FLAGS).action(async (flags: GenerateK8sFlags) => {
    const replicas = wholeNumber(flags.replicas, longSpelling(K8S_REPLICAS), 1, 10_000);
    const workers = wholeNumber(flags.workers, longSpelling(WORKERS), 1, 1_024);
    const maxReplicas = flags.maxReplicas === undefined ? undefined : wholeNumber(flags.maxReplicas, longSpelling(K8S_MAX_REPLICAS), 1, 10_000);
    const cpuPercent = wholeNumber(flags.targetCpuPercent, longSpelling(K8S_CPU_PERCENT), 1, 1_000);
    const memoryBytes = flags.memory === undefined ? undefined : parseMemoryQuantity(flags.memory);
    if (flags.memory !== undefined && memoryBytes === undefined) {
      throw usageError('INVALID_OPTION_VALUE', `invalid value \`${flags.memory}\` for ${longSpelling(K8S_MEMORY)}: give a memory quantity of at least 1Mi, such as 512Mi or 2Gi`);
    }
    if (flags.cpu !== undefined && (!CPU_QUANTITY.test(flags.cpu) || Number.parseFloat(flags.cpu) === 0)) {
      throw usageError('INVALID_OPTION_VALUE', `invalid value \`${flags.cpu}\` for ${longSpelling(K8S_CPU)}: give cores (1, 0.5) or millicores (500m)`);
    }
    if (flags.image.trim() === '' || /\s/.test(flags.image)) throw usageError('INVALID_OPTION_VALUE', `invalid value \`${flags.image}\` for --image: give an image reference (no spaces)`);
    if (!(RUNTIME_CHOICES as readonly string[]).includes(flags.runtime)) {
      throw usageError('INVALID_OPTION_VALUE', `invalid value \`${flags.runtime}\` for ${longSpelling(RUNTIME)}: choose one of ${RUNTIME_CHOICES.map((c) => `\`${c}\``).join(', ')}`);
    }
    const protocols = parseImageProtocols(flags.protocol);
    const { generateK8s } = await import('../../ops/generate-k8s.js');
    const progress = createProgressRenderer(ctx, flags);
    const request = environmentRequest(flags, ctx);
    let result;
    try {
      result = await generateK8s({
        ...request,
        modelSource: { ...request.modelSource, onModelEvent: progress.onModelEvent },
        onProgress: progress.onProgress,
        image: flags.image,
        outputDirectory: flags.outputDirectory,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        replicas,
        workers,
        protocols,
        kserve: Boolean(flags.kserve),
        ...(memoryBytes !== undefined ? { memoryBytes } : {}),
        ...(flags.cpu !== undefined ? { cpu: flags.cpu } : {}),
        ...(maxReplicas !== undefined ? { autoscale: { maxReplicas, cpuPercent } } : {}),
        runtime: flags.runtime as RuntimeChoice,
      });
    } finally {
      progress.stop();
    }
    if (flags.json) {
      printJson(ctx, { ok: true, ...result });
      return;
    }
    if (!flags.quiet) {
      for (const message of result.warnings) warn(ctx, message);
      const from = result.memory.source === '--memory' ? 'given with --memory' : result.memory.source === 'cache' ? 'measured earlier (cached)' : 'measured now';
      say(ctx, `memory request ${formatMebibytes(result.memory.requestBytes)}, limit ${formatMebibytes(result.memory.limitBytes)} (${from}); grace period ${result.terminationGracePeriodSeconds} s`);
      for (const file of result.removed) say(ctx, `removed ${file} (an earlier run's, not written by this one)`);
    }
    ctx.stdout.write(`wrote ${result.files.join(', ')}; apply with: kubectl apply -f ${result.outputDirectory}\n`);
  });
};
