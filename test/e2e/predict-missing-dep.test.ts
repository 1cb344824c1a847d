/**
 * The troubleshooting story of the seeds, end to end with real uv environments: the
 * `missing-dep` fixture's code imports `tabulate`, which its requirements lack.
 *   1. `mlf models predict` fails with exit 1, naming the module and the commands to try;
 *   2. the first command (`--pip-requirements-override tabulate==...`) predicts;
 *   3. the model directory is byte-identical afterwards;
 *   4. the second command (`update-pip-requirements add`) fixes the model for good: a plain
 *      predict then works.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixtureModel, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { snapshotDirectory } from '../support/files.js';

const unavailable = e2eUnavailableReason();
/** tabulate's "plain" format of the rows ["ada", 3] and ["bob", 14], one string per row. */
const EXPECTED = '{"predictions": ["ada  3", "bob  14"]}';

if (unavailable) {
  describe('the missing-dependency story (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  describe('the missing-dependency story (e2e)', () => {
    it('fails with the hint, predicts with the override, leaves the model as it was, then is fixed for good', async () => {
      const mlfHome = tempDir('mlf-missing-dep-home-');
      const model = copyFixtureModel('missing-dep');
      const input = path.join(fixturesDir, 'models', 'missing-dep', 'serving_input_example.json');
      const before = snapshotDirectory(model);
      const base = ['models', 'predict', '-m', model, '-i', input, '--env-manager', 'uv'];

      const failed = await runMlf(base, { mlfHome });
      expect(failed.exitCode).toBe(1);
      expect(failed.stdout).toBe('');
      // The environment's build progress comes first, then the error block.
      const all = failed.stderr.trimEnd().split('\n');
      const lines = all.slice(all.findIndex((l) => l.startsWith('error:')));
      expect(all.slice(0, all.length - lines.length).every((l) => /^(creating|installing|built) /.test(l))).toBe(true);
      expect(lines[0]).toBe(
        "error: the model could not be loaded: ModuleNotFoundError: No module named 'tabulate'; `tabulate` is provided by the distribution `tabulate`, which is not installed in the model's environment",
      );
      // The hint pins the version an install would pick today (asked of uv's resolver).
      const pinned = /--pip-requirements-override (tabulate==\S+)$/.exec(lines[2] ?? '')?.[1];
      expect(pinned, lines.join('\n')).toMatch(/^tabulate==\d+(\.\d+)*$/);
      const version = pinned!.slice('tabulate=='.length);
      expect(lines.slice(1)).toEqual([
        '  Try, in order:',
        `    mlf models predict -m ${model} -i ${input} --env-manager uv --pip-requirements-override ${pinned}`,
        `    mlf models update-pip-requirements -m ${model} add ${pinned}`,
        `  (tabulate ${version} is the version an install would pick today; pin the one you tested if it differs)`,
      ]);

      const overridden = await runMlf([...base, '--pip-requirements-override', pinned!], { mlfHome });
      expect(overridden.exitCode, overridden.stderr).toBe(0);
      expect(overridden.stdout).toBe(EXPECTED);
      expect(snapshotDirectory(model)).toEqual(before);

      const updated = await runMlf(['models', 'update-pip-requirements', '-m', model, 'add', pinned!], { mlfHome });
      expect(updated.exitCode, updated.stderr).toBe(0);
      expect(readFileSync(path.join(model, 'requirements.txt'), 'utf8')).toContain(pinned!);

      const fixed = await runMlf(base, { mlfHome });
      expect(fixed.exitCode, fixed.stderr).toBe(0);
      expect(fixed.stdout).toBe(EXPECTED);
    }, 1_800_000);
  });
}

/** Every file under a directory with its bytes (as base64), for a byte-for-byte comparison. */
