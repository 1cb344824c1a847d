/**
 * `mlf models serve`'s Open Inference (V2) routes against a live Seldon MLServer 1.7.1
 * (mlserver-mlflow 1.7.1) on the same model. For each sklearn fixture, `mlf envs pack` packs the
 * model's uv environment; MLServer serves the model with that archive as its
 * `environment_tarball` (its own venv never gets the model's libraries) and `mlf models serve`
 * serves it from the same cached environment, both started at once. Every request of the V2
 * corpus (the requests of test/serve/v2-golden/server-sklearn-iris.json, which
 * test/serve/make_v2_golden.py records and the unit tests replay offline) goes to both.
 *
 * Compared as the recorded-answer test compared them (docs/serve-v2.md lists why): every answer
 * MLServer gives as the protocol's own (200, 404) by status and JSON body, an id MLServer made up
 * replaced by mlf's; FastAPI's 422s and MLServer's bodiless health answers by status; MLServer's bare 500s (the model's or the
 * signature's refusal) are 400s with MLflow's message from mlf; `GET /v2` names the server.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eUnavailableReason, fixturesDir, repoRoot, runMlf, tempDir } from '../support/cli.js';
import { MLSERVER, startMlserver, stopGroup, type Mlserver } from '../support/mlserver.js';
import { send, startMlfServe, stopServer, type MlfServer } from '../support/serve.js';

/**
 * MLServer's MLflow runtime served all four sklearn fixtures (sklearn-iris, constraints, locked,
 * mlflow1-defaults) and mlf answered each as here; each costs about 2 min of CI (packing, MLServer
 * unpacking the archive and starting), so CI runs two: the skops model with MLflow 3's signature,
 * and MLflow 1's pickle with a conda.yaml only. constraints and locked are the same model with
 * other requirement files.
 */
const FIXTURES = ['sklearn-iris', 'mlflow1-defaults'];

interface V2Request {
  case: string;
  method: string;
  path: string;
  body?: unknown;
  /** The Content-Type sent (none when null); JSON's when absent and there is a body. */
  content_type?: string | null;
}

const CORPUS = (JSON.parse(readFileSync(path.join(repoRoot, 'test', 'serve', 'v2-golden', 'server-sklearn-iris.json'), 'utf8')) as { cases: V2Request[] }).cases;

const unavailable = e2eUnavailableReason() ?? (existsSync(MLSERVER) ? undefined : `no MLServer venv at ${MLSERVER} (.ci/run makes it from test/e2e/mlserver.lock)`);

if (unavailable) {
  describe('mlf models serve against a live MLServer (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const work = tempDir('mlf-serve-v2-live-');
  const mlfHome = path.join(work, 'home');
  // The environments and their archives are hundreds of MB each.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe.each(FIXTURES)('mlf models serve against MLServer 1.7.1, fixture %s (e2e)', (fixture) => {
    const model = path.join(fixturesDir, 'models', fixture);
    let mlserver: Mlserver | undefined;
    let mlf: MlfServer | undefined;

    beforeAll(async () => {
      const archive = path.join(work, `${fixture}.tar.gz`);
      const packed = await runMlf(['envs', 'pack', '-m', model, '--env-manager', 'uv', '-o', archive, '--json'], { mlfHome });
      expect(packed.exitCode, packed.stderr).toBe(0);
      const started = await Promise.allSettled([
        startMlserver({ model, tarball: archive, work: path.join(work, fixture) }),
        startMlfServe({ model, envManager: 'uv', mlfHome, path: process.env.PATH ?? '' }),
      ]);
      if (started[0].status === 'fulfilled') mlserver = started[0].value;
      if (started[1].status === 'fulfilled') mlf = started[1].value;
      for (const s of started) if (s.status === 'rejected') throw s.reason;
    }, 400_000);

    afterAll(async () => {
      await Promise.all([mlserver && stopGroup(mlserver.child), mlf && stopServer(mlf.child)]);
    }, 60_000);

    it.each(CORPUS.map((c) => [c.case, c] as const))('%s: what MLServer answers', async (_name, c) => {
      const body = c.body === undefined ? undefined : JSON.stringify(c.body);
      const contentType = 'content_type' in c ? c.content_type : body === undefined ? null : 'application/json';
      const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
      const [ours, theirs] = await Promise.all([send(mlf!.url, c.method, c.path, body, headers, 60_000), send(mlserver!.url, c.method, c.path, body, headers, 60_000)]);
      if (c.path === '/v2') {
        // Server metadata names the server: mlf says mlf.
        expect([ours.status, (JSON.parse(ours.body) as { name: string }).name]).toEqual([theirs.status, 'mlf']);
      } else if (theirs.status === 500) {
        expect(ours.status, ours.body).toBe(400);
        expect(JSON.parse(ours.body)).toEqual({ error: expect.any(String) });
      } else if (theirs.body === '') {
        // MLServer's health routes answer with no body; mlf's say {"live": true} and so on.
        expect(ours.status, ours.body).toBe(theirs.status);
      } else if (theirs.status === 422) {
        expect(ours.status, ours.body).toBe(422);
      } else {
        expect(ours.status, ours.body).toBe(theirs.status);
        const mine = JSON.parse(ours.body) as Record<string, unknown>;
        const mlservers = JSON.parse(theirs.body) as Record<string, unknown>;
        // Each server makes up its own id when the request has none.
        if ('id' in mlservers && !(c.body as { id?: unknown } | undefined)?.id) mine.id = mlservers.id;
        expect(mine).toEqual(mlservers);
      }
    }, 120_000);
  });
}
