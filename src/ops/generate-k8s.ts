/**
 * `mlf models generate-k8s`: the Kubernetes manifests that run a model's serving image
 * (k8s/manifests.ts says what is in them and why), written into a directory, one file per object.
 * The memory request comes from a measurement (ops/k8s-memory.ts) unless `--memory` gives it; the
 * objects carry the labels the image carries (model URI, MLflow version, requirements digest).
 */
import { readFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LABELS } from '../docker/dockerfile.js';
import type { EnvRequest } from '../env/index.js';
import { loadModelEnvironment } from '../env/model-environment.js';
import { usageError } from '../errors.js';
import { refuseSpecialFilesSync } from '../fs/special-files.js';
import { deploymentManifests, inferenceServiceManifest, MANIFEST_FILES, renderManifest, terminationGraceSeconds, type ServedProtocol, type ServingSpec } from '../k8s/manifests.js';
import { isLabelValue, MAX_NAME_LENGTH, nameFrom, nameProblem } from '../k8s/names.js';
import { mebibytesText } from '../k8s/quantity.js';
import { readModelDirectory } from '../model/directory/strict.js';
import { DRAIN_GRACE_MS } from '../serve/http-server.js';
import { redactUri } from '../tracking/model-uri.js';
import { MLF_VERSION } from '../version.js';
import type { RuntimeChoice } from '../worker/protocol.js';
import { planImageRequirements } from './docker.js';
import { measureServingMemory, type ServingMemory } from './k8s-memory.js';
import { locateModelSource, type ModelSourceOptions } from './model-source.js';

export interface GenerateK8sOptions extends Omit<EnvRequest, 'model'> {
  modelUri: string;
  modelSource?: ModelSourceOptions;
  image: string;
  outputDirectory: string;
  /** Default: from the registered model's name, else the model directory's. */
  name?: string;
  replicas: number;
  workers: number;
  protocols: ServedProtocol[];
  kserve: boolean;
  /** The memory request in bytes, instead of measuring. */
  memoryBytes?: number;
  /** The CPU request; default one core per worker. */
  cpu?: string;
  autoscale?: { maxReplicas: number; cpuPercent: number };
  runtime?: RuntimeChoice;
}

export interface GeneratedManifests {
  outputDirectory: string;
  name: string;
  files: string[];
  /** Stale files of an earlier run in the directory that this run does not write, removed. */
  removed: string[];
  memory: {
    source: 'measured' | 'cache' | '--memory';
    requestBytes: number;
    limitBytes: number;
    measurement?: Omit<ServingMemory, 'cached'>;
  };
  terminationGracePeriodSeconds: number;
  warnings: string[];
}

/** The memory request over what was measured: request bodies, batches and the allocator's slack. */
export const MEMORY_HEADROOM = 1.25;
/** The memory limit over the request: a burst is allowed, a leak is stopped. */
export const MEMORY_LIMIT_FACTOR = 2;
/** Name length with --kserve: KServe derives `<name>-predictor` and more from it, each a DNS label. */
export const KSERVE_MAX_NAME_LENGTH = 45;
const MIB = 2 ** 20;
/** A measured request is rounded up to this, so that a measurement's noise rarely changes the manifest. */
const REQUEST_ROUNDING_BYTES = 16 * MIB;
/** Where the memory request came from, on the Deployment or InferenceService. */
export const MEMORY_ANNOTATION = 'dev.mlf.memory-request';
const HEADER_MARK = 'Written by `mlf models generate-k8s`';

export async function generateK8s(options: GenerateK8sOptions): Promise<GeneratedManifests> {
  const maxName = options.kserve ? KSERVE_MAX_NAME_LENGTH : MAX_NAME_LENGTH;
  if (options.name !== undefined) {
    const problem = nameProblem(options.name, maxName);
    if (problem) throw usageError('INVALID_OPTION_VALUE', `invalid value \`${options.name}\` for --name: ${problem}`);
  }
  if (options.kserve && !options.protocols.includes('v2')) {
    throw usageError('INVALID_OPTION_VALUE', '--kserve serves the V2 protocol: --protocol must include `v2`');
  }
  if (options.autoscale && options.autoscale.maxReplicas < options.replicas) {
    throw usageError('INVALID_OPTION_VALUE', `--max-replicas ${options.autoscale.maxReplicas} is below --replicas ${options.replicas}`);
  }
  const outputDirectory = path.resolve(options.cwd, options.outputDirectory);
  const { modelUri, modelSource, image, outputDirectory: _out, name: _name, replicas, workers, protocols, kserve, memoryBytes, cpu, autoscale, runtime, ...envRequest } = options;
  const source = await locateModelSource(modelUri, { cwd: options.cwd, env: options.env, ...(options.mlfHome !== undefined ? { mlfHome: options.mlfHome } : {}), ...modelSource });
  const model = await readModelDirectory(source);
  refuseSpecialFilesSync(model.dir, modelUri);
  const environment = await loadModelEnvironment(model, { env: options.env });
  const { digest } = planImageRequirements(model, environment, Boolean(options.installMlflow));
  const registered = source.remote?.registered?.name;
  const name = options.name ?? nameFrom(registered ?? path.basename(model.dir), maxName);

  let memory: GeneratedManifests['memory'];
  let memoryNote: string;
  if (memoryBytes !== undefined) {
    memory = { source: '--memory', requestBytes: memoryBytes, limitBytes: memoryBytes * MEMORY_LIMIT_FACTOR };
    memoryNote = `given with --memory (${mebibytesText(memoryBytes)}); limit ${MEMORY_LIMIT_FACTOR}x`;
  } else {
    const measured = await measureServingMemory(model, modelUri, envRequest, runtime);
    const total = (measured.workerPeakBytes * workers + measured.serverPeakBytes) * MEMORY_HEADROOM;
    const requestBytes = Math.ceil(total / REQUEST_ROUNDING_BYTES) * REQUEST_ROUNDING_BYTES;
    const { cached, ...measurement } = measured;
    memory = { source: cached ? 'cache' : 'measured', requestBytes, limitBytes: requestBytes * MEMORY_LIMIT_FACTOR, measurement };
    memoryNote =
      `measured: one worker's peak RSS ${mebibytesText(measured.workerPeakBytes)} (VmHWM after the model's load and warm-up) x ${workers}` +
      ` + the server's ${mebibytesText(measured.serverPeakBytes)}, +${Math.round((MEMORY_HEADROOM - 1) * 100)}%, rounded up to 16 MiB; limit ${MEMORY_LIMIT_FACTOR}x;` +
      ` environment ${measured.environmentKey.slice(0, 19)}, model ${measured.modelDigest.slice(0, 23)}`;
  }

  const labels: Record<string, string> = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'mlf' };
  if (environment.mlflowVersion && isLabelValue(environment.mlflowVersion)) labels[LABELS.mlflowVersion] = environment.mlflowVersion;
  const annotations: Record<string, string> = {
    [LABELS.modelUri]: redactUri(modelUri),
    [LABELS.mlflowVersion]: environment.mlflowVersion ?? '',
    [LABELS.pythonVersion]: environment.python,
    [LABELS.requirementsDigest]: digest,
    [LABELS.mlfVersion]: MLF_VERSION,
  };
  const drainSeconds = DRAIN_GRACE_MS / 1000;
  const spec: ServingSpec = {
    name,
    image,
    replicas,
    workers,
    protocols,
    memory: { requestBytes: memory.requestBytes, limitBytes: memory.limitBytes },
    cpu: cpu ?? String(workers),
    ...(autoscale ? { autoscale } : {}),
    labels,
    annotations,
    workloadAnnotations: { [MEMORY_ANNOTATION]: memoryNote },
    drainSeconds,
  };
  const manifests = kserve ? [inferenceServiceManifest(spec)] : deploymentManifests(spec);
  const header = [`${HEADER_MARK} ${MLF_VERSION} from ${redactUri(modelUri)}, for the image ${image}.`, `Memory request: ${memoryNote}.`];
  const written = manifests.map(({ file, manifest }) => ({ file, text: renderManifest(manifest, header) }));
  const removed = await writeManifests(outputDirectory, written);
  return {
    outputDirectory,
    name,
    files: written.map((w) => path.join(outputDirectory, w.file)),
    removed,
    memory,
    terminationGracePeriodSeconds: terminationGraceSeconds(drainSeconds),
    warnings: environment.warnings,
  };
}

/**
 * Each file written whole (a temporary file renamed over it); then the files an earlier run of
 * this command wrote there and this one does not (an HPA no longer asked for) are removed, so
 * that `kubectl apply -f DIR` applies exactly this run's objects. Files of anyone else are left.
 */
async function writeManifests(dir: string, files: Array<{ file: string; text: string }>): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw usageError('OUTPUT_DIRECTORY_UNUSABLE', `cannot write into \`${dir}\`: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { hint: 'choose another -o/--output-directory' });
  }
  for (const { file, text } of files) {
    const target = path.join(dir, file);
    const staging = `${target}.tmp-${process.pid}`;
    try {
      await writeFile(staging, text);
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EPERM') {
        throw usageError('OUTPUT_DIRECTORY_UNUSABLE', `cannot write \`${target}\`: ${code}`, { hint: 'choose another -o/--output-directory' });
      }
      throw error;
    }
  }
  const removed: string[] = [];
  const ours = new Set(files.map((f) => f.file));
  for (const file of Object.values(MANIFEST_FILES)) {
    if (ours.has(file)) continue;
    const target = path.join(dir, file);
    const text = await readFile(target, 'utf8').catch(() => undefined);
    if (text?.startsWith(`# ${HEADER_MARK}`)) {
      await rm(target, { force: true });
      removed.push(target);
    }
  }
  return removed;
}
