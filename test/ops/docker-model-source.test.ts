/**
 * generateDockerfile's model argument goes through ops/model-source.ts like every reading
 * command's: the request it passes (cwd, env, MLF_HOME, --offline, the credentials home, the
 * progress callback), the located directory's files in the context, and the labels (the URI as
 * given, without credentials; a registered model titled by its name). model-source.ts itself is
 * stubbed here (it is tested with a real server in test/e2e/model-uris.test.ts and
 * test/e2e/docker-uris.test.ts): the stub answers with a copy of a fixture, as the cache would.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelSource, ModelSourceRequest } from '../../src/ops/model-source.js';
import { cliIsBuilt, copyFixtureModel, tempDir } from '../support/cli.js';

const located: { uri: string; request: ModelSourceRequest }[] = [];
let answer: ModelSource;

vi.mock('../../src/ops/model-source.js', () => ({
  locateModelSource: async (uri: string, request: ModelSourceRequest) => {
    located.push({ uri, request });
    return answer;
  },
}));

const built = cliIsBuilt();

beforeEach(() => {
  located.length = 0;
});

describe.skipIf(!built)(`generateDockerfile with a model URI${built ? '' : ' (skipped: the CLI is not built: run `npm run build`)'}`, () => {
  it('reads the model where model-source.ts put it, and labels the image with the URI without its credentials', async () => {
    const { generateDockerfile } = await import('../../src/ops/docker.js');
    const cached = copyFixtureModel('sklearn-iris');
    const remote = { modelUri: 'models:/iris@champion', location: 'mlflow-artifacts:/1/models/m-1/artifacts', registered: { name: 'iris', version: '3' }, downloaded: true };
    answer = { dir: cached, shown: 'models:/iris@champion', remote };
    const out = path.join(tempDir('mlf-ops-docker-uri-'), 'context');
    const onModelEvent = () => undefined;
    const uri = 'http://someone:s3cret@127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/models/m-1/artifacts';
    const generated = await generateDockerfile({
      modelUri: uri,
      modelSource: { offline: true, home: '/home/elsewhere', onModelEvent },
      mlfHome: '/mlf/home',
      outputDirectory: out,
      envManager: 'uv',
      installMlflow: false,
      protocol: 'mlflow,v2',
      buildkit: false,
      env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' },
      cwd: '/some/cwd',
    });

    expect(located).toEqual([{ uri, request: { cwd: '/some/cwd', env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' }, mlfHome: '/mlf/home', offline: true, home: '/home/elsewhere', onModelEvent } }]);
    expect(readdirSync(path.join(out, 'model_dir')).sort()).toEqual(readdirSync(cached).sort());
    for (const file of readdirSync(cached)) expect(readFileSync(path.join(out, 'model_dir', file))).toEqual(readFileSync(path.join(cached, file)));
    const dockerfile = readFileSync(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('org.mlflow.model.uri="http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/models/m-1/artifacts"');
    expect(dockerfile).not.toContain('s3cret');
    expect(dockerfile).toContain('org.opencontainers.image.title="iris"');
    expect(generated.remote).toEqual(remote);
  });

  it('a local directory is still located through model-source.ts, and reports no remote', async () => {
    const { generateDockerfile } = await import('../../src/ops/docker.js');
    const model = copyFixtureModel('sklearn-iris');
    answer = { dir: model, shown: model };
    const out = path.join(tempDir('mlf-ops-docker-uri-'), 'context');
    const generated = await generateDockerfile({ modelUri: model, outputDirectory: out, envManager: 'uv', installMlflow: false, protocol: 'mlflow,v2', buildkit: false, env: {}, cwd: process.cwd() });
    expect(located.map((l) => l.uri)).toEqual([model]);
    expect(generated.remote).toBeUndefined();
    const dockerfile = readFileSync(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`org.mlflow.model.uri="${model}"`);
    expect(dockerfile).toContain('org.opencontainers.image.title="sklearn-iris"');
  });
});
