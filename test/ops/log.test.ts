import { describe, expect, it } from 'vitest';
import { logModel, type LogOptions } from '../../src/ops/log.js';
import path from 'node:path';
import { fixturesDir } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const base = (overrides: Partial<LogOptions>): LogOptions => ({
  model: tempDir(),
  cwd: tempDir(),
  env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' },
  home: tempDir(),
  user: 'u',
  ...overrides,
});

describe('logModel flags', () => {
  it.each([
    [{ experimentName: 'e', experimentId: '1' }, 'EXPERIMENT_FLAGS_EXCLUSIVE'],
    [{ runId: 'r', experimentName: 'e' }, 'RUN_AND_EXPERIMENT'],
    [{ alias: 'champion' }, 'ALIAS_WITHOUT_REGISTERED_MODEL'],
    [{ registeredModelName: 'n', alias: 'v3' }, 'INVALID_ALIAS'],
    [{ registeredModelName: 'n', alias: 'latest' }, 'INVALID_ALIAS'],
    [{ name: 'a/b' }, 'INVALID_MODEL_NAME'],
  ] as const)('refuses %o as a usage error (exit 2) before any request', async (flags, code) => {
    await expect(logModel(base(flags))).rejects.toMatchObject({ code, exitCode: 2 });
  });

  it('needs an http(s) tracking URI (exit 2, naming MLFLOW_TRACKING_URI)', async () => {
    // A valid model: the model is checked before the tracking configuration.
    const model = path.join(fixturesDir, 'models', 'sklearn-iris');
    await expect(logModel(base({ model, env: {} }))).rejects.toMatchObject({ code: 'TRACKING_URI_MISSING', exitCode: 2 });
    await expect(logModel(base({ model, env: { MLFLOW_TRACKING_URI: 'file:///tmp/mlruns' } }))).rejects.toThrow(/scheme 'file'/);
  });
});
