/**
 * `mlf models generate-k8s` on the sklearn fixture, as a user runs it: the environment built, one
 * worker started as serve starts it and its peak RSS read from /proc, the manifests written and
 * checked offline and strictly (test/k8s/check_manifests.py: Kubernetes' JSON schemas, KServe's
 * SDK models). A second run reads the measurement from the cache and writes the same bytes. Bad
 * input is one line and exit 2. No cluster is available here: nothing is applied anywhere.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { checkManifests, k8sSchemaPython } from '../support/k8s-schemas.js';

const unavailable = e2eUnavailableReason();
const IRIS = path.join(fixturesDir, 'models', 'sklearn-iris');
const MIB = 2 ** 20;

interface Generated {
  ok: boolean;
  name: string;
  files: string[];
  removed: string[];
  outputDirectory: string;
  terminationGracePeriodSeconds: number;
  memory: { source: string; requestBytes: number; limitBytes: number; measurement?: { workerPeakBytes: number; serverPeakBytes: number; modelDigest: string; environmentKey: string } };
}

if (unavailable) {
  describe('generate-k8s (e2e)', () => it.skip(`skipped: ${unavailable}`, () => undefined));
} else {
  const python = e2ePython()!;
  const work = tempDir('mlf-k8s-e2e-');
  const mlfHome = path.join(work, 'home');
  const env = { PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`, HOME: work };
  const generate = (args: string[]) => runMlf(['models', 'generate-k8s', '-m', IRIS, '--image', 'registry.example/iris:1', ...args], { mlfHome, env });
  const out = path.join(work, 'manifests');
  let first: Generated;

  beforeAll(async () => {
    const result = await generate(['-o', out, '--workers', '2', '--max-replicas', '5', '--json']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    first = JSON.parse(result.stdout) as Generated;
  }, 600_000);

  describe('generate-k8s (e2e)', () => {
    it('measures the worker, sizes the request on it and says so in an annotation', () => {
      expect(first.memory.source).toBe('measured');
      const { workerPeakBytes, serverPeakBytes, modelDigest, environmentKey } = first.memory.measurement!;
      // A Python with numpy, scipy, pandas and scikit-learn imported and the model loaded: tens of MiB at least, far below a GiB.
      expect(workerPeakBytes).toBeGreaterThan(50 * MIB);
      expect(workerPeakBytes).toBeLessThan(1024 * MIB);
      expect(serverPeakBytes).toBeGreaterThan(20 * MIB);
      const expected = Math.ceil(((workerPeakBytes * 2 + serverPeakBytes) * 1.25) / (16 * MIB)) * 16 * MIB;
      expect(first.memory.requestBytes).toBe(expected);
      expect(first.memory.limitBytes).toBe(expected * 2);
      expect(modelDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(environmentKey).toMatch(/^uv-|^virtualenv-/);

      expect(readdirSync(out).sort()).toEqual(['deployment.yaml', 'hpa.yaml', 'service.yaml']);
      const deployment = readFileSync(path.join(out, 'deployment.yaml'), 'utf8');
      expect(deployment).toContain(`memory: ${expected / MIB}Mi\n`);
      expect(deployment).toContain(`memory: ${(expected * 2) / MIB}Mi\n`);
      expect(deployment).toContain("\n# Memory request: measured: one worker's peak RSS ");
      expect(deployment).toContain('    dev.mlf.memory-request: ');
      expect(deployment).toContain('terminationGracePeriodSeconds: 40\n');
      expect(deployment).toContain(`org.mlflow.model.uri: ${IRIS}\n`);
      expect(deployment).toMatch(/org\.mlflow\.model\.requirements-digest: sha256:[0-9a-f]{64}\n/);
      expect(deployment).toContain('  name: sklearn-iris\n');
    });

    it('reads the measurement from the cache the second time and writes the same bytes', async () => {
      const before = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f), 'utf8')]));
      const again = await generate(['-o', out, '--workers', '2', '--max-replicas', '5', '--json']);
      expect(again.exitCode).toBe(0);
      const second = JSON.parse(again.stdout) as Generated;
      expect(second.memory.source).toBe('cache');
      expect(second.memory.requestBytes).toBe(first.memory.requestBytes);
      expect(Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f), 'utf8')]))).toEqual(before);
      expect(readdirSync(path.join(mlfHome, 'serving-memory-v1'))).toHaveLength(1);
    }, 300_000);

    it('removes its own HPA when a rerun asks for none, and leaves other files alone', async () => {
      writeFileSync(path.join(out, 'kustomization.yaml'), 'resources: []\n');
      const result = await generate(['-o', out, '--workers', '2', '--memory', '1Gi', '--json']);
      expect(result.exitCode).toBe(0);
      const generated = JSON.parse(result.stdout) as Generated;
      expect(generated.memory).toEqual({ source: '--memory', requestBytes: 1024 * MIB, limitBytes: 2048 * MIB });
      expect(generated.removed).toEqual([path.join(out, 'hpa.yaml')]);
      expect(readdirSync(out).sort()).toEqual(['deployment.yaml', 'kustomization.yaml', 'service.yaml']);
      expect(readFileSync(path.join(out, 'deployment.yaml'), 'utf8')).toContain('memory: 1024Mi\n');
    }, 300_000);

    it('writes a KServe InferenceService with the V2 protocol', async () => {
      const dir = path.join(work, 'kserve');
      const result = await generate(['-o', dir, '--kserve', '--protocol', 'v2', '--name', 'iris', '--json']);
      expect(result.exitCode).toBe(0);
      expect((JSON.parse(result.stdout) as Generated).memory.source).toBe('cache');
      const text = readFileSync(path.join(dir, 'inferenceservice.yaml'), 'utf8');
      expect(text).toContain('apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n');
      expect(text).toMatch(/\n\s+- name: PROTOCOL\n\s+value: v2\n\s+- name: MLSERVER_MODEL_NAME\n\s+value: iris\n/);
      expect(text).toContain('path: /v2/health/ready\n');
    }, 300_000);

    const schemaPython = k8sSchemaPython();
    it.skipIf(!schemaPython)(`writes manifests that pass the Kubernetes and KServe schemas, strictly${schemaPython ? '' : ' (skipped: no .e2e/k8s-schemas venv)'}`, async () => {
      const files = [...readdirSync(out).filter((f) => f !== 'kustomization.yaml').map((f) => path.join(out, f)), path.join(work, 'kserve', 'inferenceservice.yaml')];
      const results = await checkManifests(schemaPython!, files);
      expect(results.map((r) => [path.basename(r.file), r.errors])).toEqual(files.map((f) => [path.basename(f), []]));
      expect(results.map((r) => r.kind).sort()).toEqual(['Deployment', 'InferenceService', 'Service']);
    }, 120_000);

    it('refuses bad input with one line and exit 2, writing nothing', async () => {
      const dir = path.join(work, 'refused');
      const cases: Array<[string[], RegExp]> = [
        [['--name', 'Iris_Model'], /invalid value `Iris_Model` for --name: it must be lower-case/],
        [['--memory', 'lots'], /invalid value `lots` for --memory/],
        [['--replicas', '0'], /invalid value `0` for --replicas/],
        [['--kserve', '--protocol', 'mlflow'], /--kserve serves the V2 protocol/],
        [['--protocol', 'grpc'], /invalid value `grpc` for --protocol/],
        [['--max-replicas', '1', '--replicas', '3', '--memory', '1Gi'], /--max-replicas 1 is below --replicas 3/],
      ];
      for (const [args, message] of cases) {
        const result = await generate(['-o', dir, ...args]);
        expect(result.exitCode, args.join(' ')).toBe(2);
        expect(result.stderr.trim().split('\n')[0]).toMatch(message);
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
      const missing = await runMlf(['models', 'generate-k8s', '-m', path.join(work, 'no-model'), '--image', 'x', '-o', dir], { mlfHome, env });
      expect(missing.exitCode).toBe(2);
      expect(existsSync(dir)).toBe(false);
    }, 300_000);
  });
}
