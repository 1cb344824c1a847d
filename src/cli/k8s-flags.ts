/**
 * The options of `mlf models generate-k8s`. MLflow has no such command; the spellings follow
 * build-docker's (`--protocol`), serve's (`--workers`) and Kubernetes' own names (`replicas`,
 * `maxReplicas`). The environment rows are predict's: the memory is measured in the environment
 * serve would run the model in.
 */
import type { FlagRow } from './flag-table.js';
import { IMAGE_PROTOCOL } from './docker-flags.js';
import { COMMON_FLAGS } from './options.js';
import { ENVIRONMENT_FLAGS, RUNTIME } from './predict-flags.js';
import { WORKERS } from './serve-flags.js';

export const GENERATE_K8S_COMMAND = {
  name: 'models generate-k8s',
  description:
    "Write Kubernetes manifests for a model's serving image: a Deployment and a Service (and an HPA), or a KServe InferenceService, with probes, the drain's grace period and the memory the model's worker was measured to need.",
};

export const K8S_IMAGE: FlagRow = { spellings: ['--image'], argument: 'IMAGE', description: 'the image `mlf models build-docker` built for this model, as the cluster pulls it', required: true, decidesWorker: false };
export const K8S_OUTPUT: FlagRow = { spellings: ['-o', '--output-directory'], argument: 'DIR', description: 'the directory the manifests are written into (one file per object)', default: 'mlflow-k8s', decidesWorker: false };
export const K8S_NAME: FlagRow = { spellings: ['--name'], argument: 'NAME', description: "the objects' name, a DNS label (default: from the registered model's or the model directory's name)", decidesWorker: false };
export const K8S_REPLICAS: FlagRow = { spellings: ['--replicas'], argument: 'N', description: 'pods (with --max-replicas, the fewest the autoscaler keeps)', default: '1', decidesWorker: false };
export const K8S_MAX_REPLICAS: FlagRow = { spellings: ['--max-replicas'], argument: 'N', description: 'add a HorizontalPodAutoscaler (with --kserve, KServe\'s autoscaler) scaling on CPU up to N pods', decidesWorker: false };
export const K8S_CPU_PERCENT: FlagRow = { spellings: ['--target-cpu-percent'], argument: 'P', description: "the autoscaler's target: average CPU use in percent of the request", default: '70', decidesWorker: false };
export const K8S_MEMORY: FlagRow = {
  spellings: ['--memory'],
  argument: 'QUANTITY',
  description: "the pod's memory request (512Mi, 2Gi, ...) instead of measuring it; the limit is twice the request",
  decidesWorker: false,
};
export const K8S_CPU: FlagRow = { spellings: ['--cpu'], argument: 'QUANTITY', description: "the pod's CPU request (default: one core per worker)", decidesWorker: false };
export const K8S_KSERVE: FlagRow = { spellings: ['--kserve'], description: 'write a KServe InferenceService (serving.kserve.io/v1beta1, V2 protocol, RawDeployment mode) instead', decidesWorker: false };

export const GENERATE_K8S_FLAGS: readonly FlagRow[] = [
  ...ENVIRONMENT_FLAGS,
  K8S_IMAGE,
  K8S_OUTPUT,
  K8S_NAME,
  K8S_REPLICAS,
  { ...WORKERS, description: 'worker processes in each pod (the image\'s MLFLOW_MODELS_WORKERS)' },
  K8S_MAX_REPLICAS,
  K8S_CPU_PERCENT,
  K8S_MEMORY,
  K8S_CPU,
  K8S_KSERVE,
  { ...IMAGE_PROTOCOL, description: 'the protocols the pods serve (given to the image as --protocol), comma-separated: mlflow, v2; --kserve needs v2' },
  RUNTIME,
  ...COMMON_FLAGS,
];
