/**
 * The generators, on a fixed spec: what each object holds (probes, grace period, resources, names,
 * labels), byte-stable output, and every variant checked offline and strictly against the
 * Kubernetes API's JSON schemas (1.30 and 1.37) and KServe's SDK models (test/k8s/check_manifests.py).
 * No cluster: what a cluster's admission (KServe's webhook, Knative) would add is not checked here.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploymentManifests, inferenceServiceManifest, renderManifest, terminationGraceSeconds, type Manifest, type ServingSpec } from '../../src/k8s/manifests.js';
import { parseYamlSource } from '../../src/model/directory/yaml-source.js';
import { tempDir } from '../support/temp.js';
import { checkManifests, k8sSchemaPython } from '../support/k8s-schemas.js';

const MIB = 2 ** 20;

const base: ServingSpec = {
  name: 'sklearn-iris',
  image: 'registry.example/iris:1',
  replicas: 2,
  workers: 3,
  protocols: ['mlflow', 'v2'],
  memory: { requestBytes: 656 * MIB, limitBytes: 1312 * MIB },
  cpu: '3',
  labels: { 'app.kubernetes.io/name': 'sklearn-iris', 'app.kubernetes.io/managed-by': 'mlf', 'org.mlflow.model.mlflow-version': '3.17.2' },
  annotations: { 'org.mlflow.model.uri': 'models:/iris@champion', 'org.mlflow.model.requirements-digest': `sha256:${'ab'.repeat(32)}` },
  workloadAnnotations: { 'dev.mlf.memory-request': 'measured: ...' },
  drainSeconds: 30,
};

/** Every variant the command can write, by a name for the files. */
const variants: Record<string, Array<{ file: string; manifest: Manifest }>> = {
  plain: deploymentManifests(base),
  hpa: deploymentManifests({ ...base, autoscale: { maxReplicas: 6, cpuPercent: 70 } }),
  v2only: deploymentManifests({ ...base, protocols: ['v2'], replicas: 1, workers: 1, cpu: '500m' }),
  kserve: [inferenceServiceManifest({ ...base, protocols: ['v2'] })],
  kserveAutoscale: [inferenceServiceManifest({ ...base, autoscale: { maxReplicas: 4, cpuPercent: 60 } })],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const at = (value: unknown, ...keys: Array<string | number>): any => keys.reduce<any>((v, k) => v?.[k], value);

describe('k8s manifests', () => {
  it('writes a Deployment that runs the image as its server expects', () => {
    const [deployment, service] = variants.plain!;
    const pod = at(deployment!.manifest, 'spec', 'template', 'spec');
    const container = pod.containers[0];
    expect(deployment!.file).toBe('deployment.yaml');
    expect(at(deployment!.manifest, 'spec', 'replicas')).toBe(2);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.args).toEqual(['--protocol', 'mlflow,v2']);
    expect(container.env).toEqual([{ name: 'MLFLOW_MODELS_WORKERS', value: '3' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ping', port: 8080 });
    expect(container.startupProbe.httpGet).toEqual({ path: '/ping', port: 8080 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/version', port: 8080 });
    expect(container.resources).toEqual({ requests: { cpu: '3', memory: '656Mi' }, limits: { memory: '1312Mi' } });
    // The preStop sleep, then serve's 30 s drain, then the workers' stop.
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(pod.terminationGracePeriodSeconds).toBe(40);
    expect(terminationGraceSeconds(30)).toBe(40);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
    // The selector is the one label that never changes; the memory note stays off the pods.
    expect(at(deployment!.manifest, 'spec', 'selector')).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'sklearn-iris' } });
    expect(at(deployment!.manifest, 'metadata', 'annotations', 'dev.mlf.memory-request')).toBe('measured: ...');
    expect(at(deployment!.manifest, 'spec', 'template', 'metadata', 'annotations')).toEqual(base.annotations);
    expect(at(service!.manifest, 'spec')).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'sklearn-iris' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
    expect(variants.plain!.map((m) => m.file)).toEqual(['deployment.yaml', 'service.yaml']);
  });

  it('leaves the replica count to the HPA when there is one', () => {
    const [deployment, , hpa] = variants.hpa!;
    expect(at(deployment!.manifest, 'spec', 'replicas')).toBeUndefined();
    expect(hpa!.file).toBe('hpa.yaml');
    expect(at(hpa!.manifest, 'spec')).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'sklearn-iris' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
  });

  it('probes the V2 health routes when only V2 is served', () => {
    const container = at(variants.v2only![0]!.manifest, 'spec', 'template', 'spec', 'containers', 0);
    expect(container.readinessProbe.httpGet.path).toBe('/v2/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/v2/health/live');
  });

  it('writes a KServe InferenceService that runs the image as a V2 custom predictor', () => {
    const { file, manifest } = variants.kserve![0]!;
    expect(file).toBe('inferenceservice.yaml');
    expect(manifest.apiVersion).toBe('serving.kserve.io/v1beta1');
    expect(at(manifest, 'metadata', 'annotations', 'serving.kserve.io/deploymentMode')).toBe('RawDeployment');
    const predictor = at(manifest, 'spec', 'predictor');
    expect([predictor.minReplicas, predictor.maxReplicas, predictor.scaleMetric]).toEqual([2, 2, undefined]);
    const container = predictor.containers[0];
    expect(container.name).toBe('kserve-container');
    expect(container.env).toEqual([
      { name: 'PROTOCOL', value: 'v2' },
      { name: 'MLSERVER_MODEL_NAME', value: 'sklearn-iris' },
      { name: 'MLFLOW_MODELS_WORKERS', value: '3' },
    ]);
    expect(container.readinessProbe.httpGet.path).toBe('/v2/health/ready');
    expect(predictor.terminationGracePeriodSeconds).toBe(40);
    const scaled = at(variants.kserveAutoscale![0]!.manifest, 'spec', 'predictor');
    expect([scaled.minReplicas, scaled.maxReplicas, scaled.scaleMetric, scaled.scaleTarget]).toEqual([2, 4, 'cpu', 60]);
  });

  it('renders the same bytes for the same spec, comments first, and YAML that reads back to the object', () => {
    const { manifest } = variants.hpa![0]!;
    const text = renderManifest(manifest, ['Written by a test.', '']);
    expect(renderManifest(deploymentManifests({ ...base, autoscale: { maxReplicas: 6, cpuPercent: 70 } })[0]!.manifest, ['Written by a test.', ''])).toBe(text);
    expect(text.startsWith('# Written by a test.\n#\napiVersion: apps/v1\nkind: Deployment\n')).toBe(true);
    const loaded = parseYamlSource(text, 'deployment.yaml');
    expect('value' in loaded && loaded.value).toEqual(manifest);
  });

  const python = k8sSchemaPython();
  it.skipIf(!python)(`passes the Kubernetes JSON schemas and KServe's models, strictly, in every variant${python ? '' : ' (skipped: no .e2e/k8s-schemas venv; .ci/run makes it)'}`, async () => {
    const dir = tempDir('mlf-k8s-manifests-');
    const files: string[] = [];
    for (const [variant, manifests] of Object.entries(variants)) {
      for (const { file, manifest } of manifests) {
        const target = path.join(dir, `${variant}-${file}`);
        writeFileSync(target, renderManifest(manifest, ['a test']));
        files.push(target);
      }
    }
    // One that must fail, so that a checker accepting anything fails this test.
    const broken = path.join(dir, 'broken-deployment.yaml');
    const brokenDeployment = structuredClone(variants.plain![0]!.manifest);
    at(brokenDeployment, 'spec', 'template', 'spec', 'containers', 0).readinessProbe.httpGet.pathh = '/ping';
    writeFileSync(broken, renderManifest(brokenDeployment, []));
    const brokenIsvc = path.join(dir, 'broken-inferenceservice.yaml');
    const isvc = structuredClone(variants.kserve![0]!.manifest);
    at(isvc, 'spec', 'predictor').containers[0].readinessProbe.httpGet = { path: '/v2/health/ready' };
    at(isvc, 'spec', 'predictor').minReplica = 1;
    writeFileSync(brokenIsvc, renderManifest(isvc, []));

    const results = await checkManifests(python!, [...files, broken, brokenIsvc]);
    const byFile = new Map(results.map((r) => [path.basename(r.file), r]));
    for (const file of files) {
      const result = byFile.get(path.basename(file))!;
      expect(result.errors, path.basename(file)).toEqual([]);
      expect(result.checked_against.length).toBeGreaterThan(0);
    }
    expect(byFile.get('kserve-inferenceservice.yaml')!.checked_against).toEqual(['kserve 0.21.0 SDK models']);
    expect(byFile.get('hpa-hpa.yaml')!.checked_against).toEqual(['Kubernetes 1.30.0 (strict)', 'Kubernetes 1.37.0 (strict)']);
    expect(byFile.get('broken-deployment.yaml')!.errors.join('\n')).toMatch(/'pathh' was unexpected/);
    const isvcErrors = byFile.get('broken-inferenceservice.yaml')!.errors.join('\n');
    expect(isvcErrors).toMatch(/\.spec\.predictor\.minReplica: unknown field/);
    expect(isvcErrors).toMatch(/readinessProbe\.httpGet: .*port/s);
  }, 120_000);
});
