/**
 * The Kubernetes objects that run a model's serving image (the one `mlf models build-docker`
 * builds: docker/dockerfile.ts), as plain values: a Deployment, its Service and an optional
 * HorizontalPodAutoscaler, or a KServe InferenceService. Pure: ops/generate-k8s.ts gathers the
 * facts (the name, the measured memory, the model's labels) and writes the files.
 *
 * What each setting follows:
 * - the port, the user and the workers' variable are the image's own (IMAGE_PORT, IMAGE_UID, IMAGE_ENV);
 * - `args` repeat `--protocol`, so that the probes' paths are served whatever protocols the image was built with
 *   (the image's entrypoint appends its arguments to serve's; a later flag wins);
 * - readiness is /ping (MLflow's, ready once a worker has loaded and warmed up) or, serving V2 alone,
 *   /v2/health/ready; liveness asks a route no worker answers (/version, /v2/health/live), so a worker being
 *   replaced never restarts the container; the startup probe gives the model's load its time first;
 * - on SIGTERM the server stops accepting and lets requests in flight finish for `drainSeconds`; the preStop
 *   sleep comes first, so that the Service has stopped sending new requests by then;
 *   terminationGracePeriodSeconds covers both and the workers' stop.
 */
import { IMAGE_ENV, IMAGE_PORT, IMAGE_UID } from '../docker/dockerfile.js';
import { safeDump } from '../model/pyyaml.js';
import { formatMebibytes } from './quantity.js';

export type ServedProtocol = 'mlflow' | 'v2';

export interface ServingSpec {
  /** An RFC 1035 label (k8s/names.ts): the name of every object. */
  name: string;
  image: string;
  replicas: number;
  /** Worker processes in each pod (MLFLOW_MODELS_WORKERS). */
  workers: number;
  protocols: readonly ServedProtocol[];
  /** The container's memory request and limit, in bytes. */
  memory: { requestBytes: number; limitBytes: number };
  /** The container's CPU request (a Kubernetes quantity). */
  cpu: string;
  /** An HPA (or KServe's autoscaler) from `replicas` to `maxReplicas` on CPU utilization. */
  autoscale?: { maxReplicas: number; cpuPercent: number };
  /** On every object and on the pods. */
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /**
   * On the Deployment (or InferenceService) only, not on its pods: where the memory request came from.
   * A new measurement's wording must not roll the pods when the request itself is unchanged.
   */
  workloadAnnotations: Readonly<Record<string, string>>;
  /** How long the server lets requests in flight finish after SIGTERM (serve/http-server.ts). */
  drainSeconds: number;
}

export type Manifest = Record<string, unknown>;

/** The files generate-k8s writes, in order. */
export const MANIFEST_FILES = { deployment: 'deployment.yaml', service: 'service.yaml', hpa: 'hpa.yaml', inferenceService: 'inferenceservice.yaml' } as const;

/** Seconds between SIGTERM's arrival and the server's drain: endpoints controllers and kube-proxies catch up in this time. */
export const PRE_STOP_SECONDS = 5;
/** What the workers' stop after the drain may take (the pool stops them at once; this is slack). */
const STOP_SLACK_SECONDS = 5;
/** How long the startup probe waits for the model's load and warm-up (60 tries, 5 s apart). */
const STARTUP_PERIOD_SECONDS = 5;
const STARTUP_FAILURES = 60;
/** The container's name KServe's custom predictors expect. */
export const KSERVE_CONTAINER = 'kserve-container';
const CONTAINER = 'model-server';
const HTTP_PORT_NAME = 'http';

export function terminationGraceSeconds(drainSeconds: number): number {
  return PRE_STOP_SECONDS + drainSeconds + STOP_SLACK_SECONDS;
}

export function readinessPath(protocols: readonly ServedProtocol[]): string {
  return protocols.includes('mlflow') ? '/ping' : '/v2/health/ready';
}

export function livenessPath(protocols: readonly ServedProtocol[]): string {
  return protocols.includes('mlflow') ? '/version' : '/v2/health/live';
}

/** The Deployment, the Service and (with `autoscale`) the HPA, by file name. */
export function deploymentManifests(spec: ServingSpec): Array<{ file: string; manifest: Manifest }> {
  const selector = { 'app.kubernetes.io/name': spec.name };
  const deployment: Manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMetadata(spec, spec.workloadAnnotations),
    spec: {
      // With an HPA the replica count is the HPA's: a re-apply must not reset it.
      ...(spec.autoscale ? {} : { replicas: spec.replicas }),
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...spec.labels }, annotations: { ...spec.annotations } },
        spec: podSpec(spec, { container: CONTAINER, env: [], startupProbe: true }),
      },
    },
  };
  const service: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMetadata(spec),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: HTTP_PORT_NAME, port: 80, targetPort: HTTP_PORT_NAME, protocol: 'TCP' }],
    },
  };
  const out: Array<{ file: string; manifest: Manifest }> = [
    { file: MANIFEST_FILES.deployment, manifest: deployment },
    { file: MANIFEST_FILES.service, manifest: service },
  ];
  if (spec.autoscale) {
    out.push({
      file: MANIFEST_FILES.hpa,
      manifest: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: objectMetadata(spec),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
          minReplicas: spec.replicas,
          maxReplicas: spec.autoscale.maxReplicas,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.autoscale.cpuPercent } } }],
        },
      },
    });
  }
  return out;
}

/**
 * A KServe InferenceService running the image as a custom predictor with the V2 protocol
 * (`PROTOCOL=v2` is how KServe reads a custom container's protocol; the model answers to the
 * service's name, as KServe's clients address it). RawDeployment mode: KServe makes a plain
 * Deployment, Service and HPA, so the pod keeps the preStop hook, the grace period and the startup
 * probe that Knative's serverless mode does not take.
 */
export function inferenceServiceManifest(spec: ServingSpec): { file: string; manifest: Manifest } {
  const env = [
    { name: 'PROTOCOL', value: 'v2' },
    { name: 'MLSERVER_MODEL_NAME', value: spec.name },
  ];
  const pod = podSpec(spec, { container: KSERVE_CONTAINER, env, startupProbe: true });
  return {
    file: MANIFEST_FILES.inferenceService,
    manifest: {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: objectMetadata(spec, { ...spec.workloadAnnotations, 'serving.kserve.io/deploymentMode': 'RawDeployment' }),
      spec: {
        predictor: {
          minReplicas: spec.replicas,
          maxReplicas: spec.autoscale?.maxReplicas ?? spec.replicas,
          ...(spec.autoscale ? { scaleMetric: 'cpu', scaleTarget: spec.autoscale.cpuPercent } : {}),
          ...pod,
        },
      },
    },
  };
}

function objectMetadata(spec: ServingSpec, more: Readonly<Record<string, string>> = {}): Manifest {
  return { name: spec.name, labels: { ...spec.labels }, annotations: { ...spec.annotations, ...more } };
}

function podSpec(spec: ServingSpec, options: { container: string; env: Array<{ name: string; value: string }>; startupProbe: boolean }): Manifest {
  const port = IMAGE_PORT;
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const container: Manifest = {
    name: options.container,
    image: spec.image,
    args: ['--protocol', spec.protocols.join(',')],
    ports: [{ name: HTTP_PORT_NAME, containerPort: port, protocol: 'TCP' }],
    env: [...options.env, { name: IMAGE_ENV.workers, value: String(spec.workers) }],
    resources: {
      requests: { cpu: spec.cpu, memory: formatMebibytes(spec.memory.requestBytes) },
      limits: { memory: formatMebibytes(spec.memory.limitBytes) },
    },
    ...(options.startupProbe ? { startupProbe: probe(readinessPath(spec.protocols), STARTUP_PERIOD_SECONDS, STARTUP_FAILURES) } : {}),
    readinessProbe: probe(readinessPath(spec.protocols), 5, 2),
    livenessProbe: probe(livenessPath(spec.protocols), 10, 3),
    lifecycle: { preStop: { exec: { command: ['sleep', String(PRE_STOP_SECONDS)] } } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
  return {
    terminationGracePeriodSeconds: terminationGraceSeconds(spec.drainSeconds),
    securityContext: { runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID },
    containers: [container],
  };
}

/** A manifest as YAML (the project's PyYAML-exact writer, keys in the order written here), after `#` comment lines. */
export function renderManifest(manifest: Manifest, comments: readonly string[]): string {
  return `${comments.map((line) => `# ${line}`.trimEnd()).join('\n')}${comments.length > 0 ? '\n' : ''}${safeDump(manifest, { sortKeys: false })}`;
}
