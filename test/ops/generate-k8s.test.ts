/**
 * ops/generate-k8s.ts with --memory (no worker is started): the name taken from the model, the
 * labels the image carries, the files written, a stale file of its own removed and anyone else's
 * kept, and refusals before anything is read. Measuring is test/e2e/generate-k8s.test.ts's.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateK8s, type GenerateK8sOptions } from '../../src/ops/generate-k8s.js';
import { fixturesDir } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const MIB = 2 ** 20;

function modelCopy(name: string): string {
  const target = path.join(tempDir('mlf-k8s-ops-'), name);
  cpSync(path.join(fixturesDir, 'models', 'sklearn-iris'), target, { recursive: true });
  return target;
}

function options(modelUri: string, outputDirectory: string, extra: Partial<GenerateK8sOptions> = {}): GenerateK8sOptions {
  return { modelUri, outputDirectory, image: 'registry.example/iris:1', replicas: 1, workers: 1, protocols: ['mlflow', 'v2'], kserve: false, memoryBytes: 768 * MIB, env: {}, cwd: '/', mlfHome: tempDir('mlf-k8s-home-'), ...extra };
}

describe('generateK8s', () => {
  it('names the objects after the model directory and labels them as the image is labelled', async () => {
    const model = modelCopy('My Iris_Model');
    const out = tempDir('mlf-k8s-out-');
    const result = await generateK8s(options(model, out));
    expect(result.name).toBe('my-iris-model');
    expect(result.memory).toEqual({ source: '--memory', requestBytes: 768 * MIB, limitBytes: 1536 * MIB });
    expect(result.files).toEqual([path.join(out, 'deployment.yaml'), path.join(out, 'service.yaml')]);
    const text = readFileSync(path.join(out, 'deployment.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe(`# Written by \`mlf models generate-k8s\` 0.1.0 from ${model}, for the image registry.example/iris:1.`);
    expect(text).toContain('# Memory request: given with --memory (768.0 MiB); limit 2x.\n');
    expect(text).toContain('    org.mlflow.model.mlflow-version: 3.17.2\n');
    expect(text).toContain(`    org.mlflow.model.uri: ${model}\n`);
    expect(text).toMatch(/org\.mlflow\.model\.requirements-digest: sha256:[0-9a-f]{64}\n/);
    expect(text).toContain('memory: 768Mi\n');
  });

  it('removes a file of its own that this run does not write, and keeps everyone else\'s', async () => {
    const model = modelCopy('iris');
    const out = tempDir('mlf-k8s-out-');
    await generateK8s(options(model, out, { autoscale: { maxReplicas: 3, cpuPercent: 70 } }));
    expect(readdirSync(out).sort()).toEqual(['deployment.yaml', 'hpa.yaml', 'service.yaml']);
    writeFileSync(path.join(out, 'inferenceservice.yaml'), 'kind: InferenceService\n');
    const result = await generateK8s(options(model, out));
    expect(result.removed).toEqual([path.join(out, 'hpa.yaml')]);
    expect(readdirSync(out).sort()).toEqual(['deployment.yaml', 'inferenceservice.yaml', 'service.yaml']);
  });

  it('refuses a name that is no DNS label, a KServe service without V2, and an autoscaler below its floor', async () => {
    const out = path.join(tempDir('mlf-k8s-out-'), 'never');
    const model = modelCopy('iris');
    await expect(generateK8s(options(model, out, { name: 'Iris' }))).rejects.toMatchObject({ code: 'INVALID_OPTION_VALUE', message: expect.stringMatching(/--name: it must be lower-case/) });
    await expect(generateK8s(options(model, out, { kserve: true, name: 'a'.repeat(46) }))).rejects.toMatchObject({ message: expect.stringMatching(/at most 45/) });
    await expect(generateK8s(options(model, out, { kserve: true, protocols: ['mlflow'] }))).rejects.toMatchObject({ message: expect.stringMatching(/--kserve serves the V2 protocol/) });
    await expect(generateK8s(options(model, out, { replicas: 3, autoscale: { maxReplicas: 2, cpuPercent: 70 } }))).rejects.toMatchObject({ message: '--max-replicas 2 is below --replicas 3' });
    mkdirSync(path.dirname(out), { recursive: true });
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });
});
