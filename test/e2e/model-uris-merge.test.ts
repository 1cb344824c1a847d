/**
 * `runs:/<run_id>/model` of a run that has files of its own under `model/` and also logged a model
 * named `model` (MLflow 3): MLflow's client downloads both into one directory, the logged model's
 * files over the run's (runs_artifact_repo.py `download_artifacts`). Against a real `mlflow server`,
 * with the run and the model logged by MLflow's client: `mlf models download` writes exactly the
 * files (and bytes) `mlflow.artifacts.download_artifacts` writes, and `mlf models predict` gives
 * what `mlflow.pyfunc.load_model` predicts.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { startMlflowServer, type MlflowServer } from '../support/mlflow-server.js';

const unavailable = e2eUnavailableReason();

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full).split(path.sep).join('/')] = createHash('sha256').update(readFileSync(full)).digest('hex');
  }
  return out;
}

if (unavailable) {
  describe('runs:/ merge of run and logged-model files (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const localPath = `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`;
  const mlfHome = tempDir('mlf-merge-home-');
  let server: MlflowServer;
  beforeAll(async () => {
    server = await startMlflowServer();
  }, 600_000);
  afterAll(async () => server?.stop());

  describe('runs:/ merge of run and logged-model files (e2e)', () => {
    it('downloads and predicts what MLflow\'s client makes of the run\'s files and its logged model\'s together', async () => {
      const input = path.join(fixturesDir, 'inputs', 'sklearn-iris', 'dataframe_split.json');
      const theirs = tempDir('mlf-merge-mlflow-');
      const logged = await execa(python, [path.join(import.meta.dirname, 'py', 'log_run_and_model_files.py'), path.join(fixturesDir, 'models', 'sklearn-iris'), input, theirs], {
        reject: false,
        cwd: tempDir('mlf-merge-cwd-'),
        env: { MLFLOW_TRACKING_URI: server.url, TMPDIR: tempDir('mlf-merge-tmp-') },
      });
      expect(logged.exitCode, logged.stderr).toBe(0);
      const mlflow = JSON.parse(logged.stdout.trim().split('\n').pop()!) as { run_id: string; files: Record<string, string>; predictions: unknown[] };
      // The merge is real: the run's extra file and the model's MLmodel (not the run's) are both there.
      expect(Object.keys(mlflow.files)).toContain('notes/run_only.txt');
      expect(mlflow.files.MLmodel).toBe(createHash('sha256').update(readFileSync(path.join(fixturesDir, 'models', 'sklearn-iris', 'MLmodel'))).digest('hex'));

      const uri = `runs:/${mlflow.run_id}/model`;
      const env = { PATH: localPath, MLFLOW_TRACKING_URI: server.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' };
      const out = path.join(tempDir('mlf-merge-out-'), 'model');
      const downloaded = await runMlf(['models', 'download', '-m', uri, '-o', out], { mlfHome, env });
      expect(downloaded.exitCode, downloaded.stderr).toBe(0);
      expect(digests(out)).toEqual(mlflow.files);

      const predicted = await runMlf(['models', 'predict', '-m', uri, '-i', input, '--env-manager', 'local'], { mlfHome, env });
      expect(predicted.exitCode, predicted.stderr).toBe(0);
      expect(JSON.parse(predicted.stdout)).toEqual({ predictions: mlflow.predictions });
    });
  });
}
