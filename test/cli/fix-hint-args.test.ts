/** The flags a fix hint repeats (cli/fix-hint-args.ts), read from predict's flag table. */
import { describe, expect, it } from 'vitest';
import { fixHintArgs } from '../../src/cli/fix-hint-args.js';
import { PREDICT_FLAGS } from '../../src/cli/predict-flags.js';

describe('fixHintArgs', () => {
  it('repeats the format, the manager and each override, quoted, in that order', () => {
    const flags = { contentType: 'csv', envManager: 'uv', pipRequirementsOverride: ['six', 'a b'], runtime: 'mlflow', env: ['K=V'], inputPath: 'in.csv' };
    expect(fixHintArgs(PREDICT_FLAGS, flags)).toEqual(['-t', 'csv', '--env-manager', 'uv', '--pip-requirements-override', 'six', '--pip-requirements-override', "'a b'"]);
  });

  it('leaves out what the run left at its default', () => {
    expect(fixHintArgs(PREDICT_FLAGS, { contentType: 'json', pipRequirementsOverride: [], env: [], runtime: 'auto' })).toEqual([]);
  });
});
