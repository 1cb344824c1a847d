/**
 * Resolution's REST calls, one table row per URI form, against a recording stand-in of the
 * tracking client (the real server is in test/e2e/model-uris.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ArtifactLocation } from '../../src/tracking/artifact-location.js';
import { parseModelUri } from '../../src/tracking/model-uri.js';
import { resolveModelUri, type ResolveContext } from '../../src/tracking/resolve.js';
import { rejectedMlfError } from '../support/errors.js';

const RUN = '0123456789abcdef0123456789abcdef';
const MODEL = 'm-fedcba9876543210fedcba9876543210';

function context(answers: Record<string, unknown>, listings: Record<string, number> = {}) {
  const calls: string[] = [];
  const answer = (key: string) => {
    calls.push(key);
    if (!(key in answers)) throw new Error(`unexpected call ${key}`);
    return answers[key];
  };
  const rest = {
    getJson: async (path: string, query?: Record<string, string>) => answer(`GET ${path}${query ? ` ${JSON.stringify(query)}` : ''}`) as never,
    postJson: async (path: string, body: unknown) => answer(`POST ${path} ${JSON.stringify(body)}`) as never,
  };
  const ctx: ResolveContext = {
    tracking: () => rest,
    registry: () => rest,
    trackingUri: 'http://127.0.0.1:5000',
    list: async (location: ArtifactLocation) => {
      const root = location.kind === 'proxy' ? location.root : '';
      calls.push(`LIST ${root}`);
      return Array.from({ length: listings[root] ?? 0 }, (_, i) => ({ path: `f${i}`, size: 1 }));
    },
  };
  return { ctx, calls };
}

const proxy = (root: string) => ({ kind: 'proxy', apiBase: 'http://127.0.0.1:5000/api/2.0', root });

describe('resolveModelUri', () => {
  it('models:/<name>/<version>: one call, get-download-uri', async () => {
    const { ctx, calls } = context({ 'GET /api/2.0/mlflow/model-versions/get-download-uri {"name":"iris","version":"3"}': { artifact_uri: `mlflow-artifacts:/0/models/${MODEL}/artifacts` } });
    const resolved = await resolveModelUri(parseModelUri('models:/iris/3') as never, ctx);
    expect(resolved).toEqual({ location: proxy(`0/models/${MODEL}/artifacts`), registered: { name: 'iris', version: '3' }, warnings: [] });
    expect(calls).toHaveLength(1);
  });

  it('models:/<name>@<alias>/<sub>: the alias, then get-download-uri', async () => {
    const { ctx, calls } = context({
      'GET /api/2.0/mlflow/registered-models/alias {"name":"iris","alias":"champion"}': { model_version: { name: 'iris', version: '2' } },
      'GET /api/2.0/mlflow/model-versions/get-download-uri {"name":"iris","version":"2"}': { artifact_uri: 'mlflow-artifacts:/0/models/m-2/artifacts' },
    });
    const resolved = await resolveModelUri(parseModelUri('models:/iris@champion/sub') as never, ctx);
    expect(resolved.location).toEqual(proxy('0/models/m-2/artifacts/sub'));
    expect(resolved.registered).toEqual({ name: 'iris', version: '2' });
    expect(calls).toHaveLength(2);
  });

  it('models:/<name>/latest and /<stage>: the highest of get-latest-versions; a stage warns', async () => {
    const { ctx } = context({
      'POST /api/2.0/mlflow/registered-models/get-latest-versions {"name":"iris"}': { model_versions: [{ name: 'iris', version: '2' }, { name: 'iris', version: '10' }] },
      'POST /api/2.0/mlflow/registered-models/get-latest-versions {"name":"iris","stages":["Production"]}': { model_versions: [{ name: 'iris', version: '4' }] },
      'GET /api/2.0/mlflow/model-versions/get-download-uri {"name":"iris","version":"10"}': { artifact_uri: 's3://b/10' },
      'GET /api/2.0/mlflow/model-versions/get-download-uri {"name":"iris","version":"4"}': { artifact_uri: 's3://b/4' },
    });
    expect(await resolveModelUri(parseModelUri('models:/iris/latest') as never, ctx)).toEqual({ location: { kind: 's3', bucket: 'b', prefix: '10' }, registered: { name: 'iris', version: '10' }, warnings: [] });
    const staged = await resolveModelUri(parseModelUri('models:/iris/Production') as never, ctx);
    expect(staged.registered).toEqual({ name: 'iris', version: '4' });
    expect(staged.warnings[0]).toMatch(/stages are deprecated in MLflow/);
  });

  it('models:/<name>/latest with no versions says so (exit 2)', async () => {
    const { ctx } = context({ 'POST /api/2.0/mlflow/registered-models/get-latest-versions {"name":"iris"}': { model_versions: [] } });
    const error = await rejectedMlfError(resolveModelUri(parseModelUri('models:/iris/latest') as never, ctx));
    expect(error.message).toBe("No versions of model with name 'iris' found");
    expect(error.exitCode).toBe(2);
  });

  it('models:/<model_id>: the logged model\'s artifact location', async () => {
    const { ctx } = context({ [`GET /api/2.0/mlflow/logged-models/${MODEL}`]: { model: { info: { model_id: MODEL, artifact_uri: `mlflow-artifacts:/0/models/${MODEL}/artifacts` } } } });
    expect((await resolveModelUri(parseModelUri(`models:/${MODEL}`) as never, ctx)).location).toEqual(proxy(`0/models/${MODEL}/artifacts`));
  });

  const searchModel = (experiment: string) => `POST /api/2.0/mlflow/logged-models/search ${JSON.stringify({ experiment_ids: [experiment], filter: "name = 'model'" })}`;

  it('runs:/<id>/model: the run\'s path when it has files and logged no model of that name', async () => {
    const { ctx, calls } = context(
      {
        [`GET /api/2.0/mlflow/runs/get {"run_id":"${RUN}"}`]: { run: { info: { artifact_uri: `mlflow-artifacts:/0/${RUN}/artifacts`, experiment_id: '0' } } },
        [searchModel('0')]: { models: [] },
      },
      { [`0/${RUN}/artifacts/model`]: 2 },
    );
    const resolved = await resolveModelUri(parseModelUri(`runs:/${RUN}/model`) as never, ctx);
    expect(resolved.location).toEqual(proxy(`0/${RUN}/artifacts/model`));
    expect(resolved.overlay).toBeUndefined();
    expect(resolved.listing).toHaveLength(2);
    expect(calls).toHaveLength(3);
  });

  it('runs:/<id>/model of a run with files there that also logged a model named `model`: the model\'s files over the run\'s, as MLflow downloads them', async () => {
    const { ctx } = context(
      {
        [`GET /api/2.0/mlflow/runs/get {"run_id":"${RUN}"}`]: { run: { info: { artifact_uri: `mlflow-artifacts:/0/${RUN}/artifacts`, experiment_id: '0' } } },
        [searchModel('0')]: { models: [{ info: { model_id: MODEL, source_run_id: RUN, artifact_uri: `mlflow-artifacts:/0/models/${MODEL}/artifacts` } }] },
      },
      { [`0/${RUN}/artifacts/model`]: 2 },
    );
    const resolved = await resolveModelUri(parseModelUri(`runs:/${RUN}/model`) as never, ctx);
    expect(resolved).toMatchObject({ location: proxy(`0/${RUN}/artifacts/model`), overlay: proxy(`0/models/${MODEL}/artifacts`), loggedModelId: MODEL });
  });

  it('runs:/<id>/model/<sub> of a run with files there: only the run\'s (MLflow puts the model\'s elsewhere), no search', async () => {
    const { ctx, calls } = context(
      { [`GET /api/2.0/mlflow/runs/get {"run_id":"${RUN}"}`]: { run: { info: { artifact_uri: `mlflow-artifacts:/0/${RUN}/artifacts`, experiment_id: '0' } } } },
      { [`0/${RUN}/artifacts/model/sub`]: 1 },
    );
    const resolved = await resolveModelUri(parseModelUri(`runs:/${RUN}/model/sub`) as never, ctx);
    expect(resolved.location).toEqual(proxy(`0/${RUN}/artifacts/model/sub`));
    expect(resolved.overlay).toBeUndefined();
    expect(calls.some((c) => c.includes('search'))).toBe(false);
  });

  it('runs:/<id>/model/<sub>: MLflow 3\'s fallback to the logged model the run logged under that name', async () => {
    const search = (token?: string) => `POST /api/2.0/mlflow/logged-models/search ${JSON.stringify({ experiment_ids: ['7'], filter: "name = 'model'", ...(token ? { page_token: token } : {}) })}`;
    const { ctx, calls } = context({
      [`GET /api/2.0/mlflow/runs/get {"run_id":"${RUN}"}`]: { run: { info: { artifact_uri: `mlflow-artifacts:/7/${RUN}/artifacts`, experiment_id: '7' } } },
      [search()]: { models: [{ info: { model_id: 'm-other', source_run_id: 'another', artifact_uri: 'mlflow-artifacts:/7/models/m-other/artifacts' } }], next_page_token: 'p2' },
      [search('p2')]: { models: [{ info: { model_id: MODEL, source_run_id: RUN, artifact_uri: `mlflow-artifacts:/7/models/${MODEL}/artifacts` } }] },
    });
    const resolved = await resolveModelUri(parseModelUri(`runs:/${RUN}/model/sub`) as never, ctx);
    expect(resolved.location).toEqual(proxy(`7/models/${MODEL}/artifacts/sub`));
    expect(resolved.loggedModelId).toBe(MODEL);
    expect(calls.filter((c) => c.startsWith('POST'))).toHaveLength(2);
  });

  it('mlflow-artifacts:/, proxy URLs and s3:// need no call', async () => {
    const { ctx, calls } = context({});
    expect((await resolveModelUri(parseModelUri('mlflow-artifacts:/0/x') as never, ctx)).location).toEqual(proxy('0/x'));
    expect((await resolveModelUri(parseModelUri('http://h:1/api/2.0/mlflow-artifacts/artifacts/0/x') as never, ctx)).location).toEqual({ kind: 'proxy', apiBase: 'http://h:1/api/2.0', root: '0/x' });
    expect((await resolveModelUri(parseModelUri('s3://b/k/m') as never, ctx)).location).toEqual({ kind: 's3', bucket: 'b', prefix: 'k/m' });
    expect(calls).toEqual([]);
  });
});
