/**
 * The early start of `mlf models predict` (src/cli/early-start.ts over src/worker/early-worker.ts)
 * end to end, through bin/mlf.js as a user runs it: the first run records how its worker
 * started, the next run of the same command (any input) starts that worker before the CLI loads
 * and predict adopts it; a changed MLmodel, `--env` or MLF_EARLY_START=0 start nothing early;
 * the predictions never change and the model directory is never written.
 */
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixtureModel, e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { snapshotDirectory } from '../support/files.js';

const unavailable = e2eUnavailableReason();

if (unavailable) {
  describe('mlf models predict, early start (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  describe('mlf models predict, early start (e2e)', () => {
    it('adopts the worker of the last identical command, for any input, and starts none when it cannot know', async () => {
      const model = copyFixtureModel('sklearn-iris');
      const before = snapshotDirectory(model);
      const mlfHome = tempDir('mlf-early-home-');
      const inputs = path.join(fixturesDir, 'inputs', 'sklearn-iris');
      const expected = JSON.parse(readFileSync(path.join(inputs, 'expected-response.json'), 'utf8'));
      const predict = async (input: string, options: { env?: Record<string, string>; extra?: string[]; stdin?: string } = {}) => {
        const args = ['models', 'predict', '-m', model, '-i', input, '--env-manager', 'uv', '--json', ...(options.extra ?? [])];
        const result = await runMlf(args, { mlfHome, ...(options.env ? { env: options.env } : {}), ...(options.stdin !== undefined ? { input: options.stdin } : {}) });
        expect(result.stderr).toBe('');
        expect(result.exitCode).toBe(0);
        const parsed = JSON.parse(result.stdout) as { earlyStart: string; output: string };
        expect(JSON.parse(parsed.output)).toEqual(expected);
        return parsed.earlyStart;
      };

      expect(await predict(path.join(inputs, 'dataframe_split.json'))).toBe('none');
      expect(await predict(path.join(inputs, 'dataframe_split.json'))).toBe('adopted');
      // Another input, another shape, stdin: still the same command.
      expect(await predict(path.join(inputs, 'dataframe_records.json'))).toBe('adopted');
      expect(await predict('-', { stdin: readFileSync(path.join(inputs, 'instances.json'), 'utf8') })).toBe('adopted');

      // A touched MLmodel: nothing early (the record no longer matches), then a new record.
      const now = new Date();
      utimesSync(path.join(model, 'MLmodel'), now, new Date(now.getTime() + 5_000));
      expect(await predict(path.join(inputs, 'dataframe_split.json'))).toBe('none');
      expect(await predict(path.join(inputs, 'dataframe_split.json'))).toBe('adopted');

      // Turned off, and with --env (whose values a record would have to keep): nothing early.
      expect(await predict(path.join(inputs, 'dataframe_split.json'), { env: { MLF_EARLY_START: '0' } })).toBe('none');
      expect(await predict(path.join(inputs, 'dataframe_split.json'), { extra: ['--env', 'MLF_TEST_TOKEN=x'] })).toBe('none');
      expect(await predict(path.join(inputs, 'dataframe_split.json'), { extra: ['--env', 'MLF_TEST_TOKEN=x'] })).toBe('none');

      expect(snapshotDirectory(model)).toEqual(before);
    }, 300_000);

    it('loads the model once per run, and not at all for a run that stops first (a missing input)', async () => {
      // models-from-code whose file notes every load: which runs executed model code, and how often.
      const model = copyFixtureModel('models-from-code');
      const loads = path.join(tempDir(), 'loads.txt');
      const code = readFileSync(path.join(model, 'code_model.py'), 'utf8');
      writeFileSync(
        path.join(model, 'code_model.py'),
        code.replace('from mlflow.models import set_model\n', 'import os\n\nfrom mlflow.models import set_model\n\nwith open(os.environ["MLF_TEST_LOADS"], "a") as f:\n    f.write("load\\n")\n'),
      );
      const mlfHome = tempDir('mlf-early-home-');
      const input = path.join(tempDir(), 'in.json');
      writeFileSync(input, '{"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 2.0]]}}');
      // The local manager: the interpreter first on PATH, the MLflow test environment's.
      const env = { MLF_TEST_LOADS: loads, PATH: `${path.dirname(e2ePython()!)}${path.delimiter}${process.env.PATH ?? ''}` };
      const predict = (file: string) => runMlf(['models', 'predict', '-m', model, '-i', file, '--env-manager', 'local', '--json'], { mlfHome, env });
      const loadCount = () => (existsSync(loads) ? readFileSync(loads, 'utf8').split('\n').filter(Boolean).length : 0);

      const first = await predict(input);
      expect(first.exitCode).toBe(0);
      expect(JSON.parse(JSON.parse(first.stdout).output)).toEqual({ predictions: [4.0] });
      expect(loadCount()).toBe(1);

      const missing = await predict(path.join(tempDir(), 'missing.json'));
      expect(missing.exitCode).toBe(2);
      expect(JSON.parse(missing.stdout).error.message).toContain('missing.json');
      expect(loadCount()).toBe(1);

      const second = await predict(input);
      expect(second.exitCode).toBe(0);
      expect(JSON.parse(second.stdout).earlyStart).toBe('adopted');
      expect(loadCount()).toBe(2);
    }, 300_000);
  });
}
