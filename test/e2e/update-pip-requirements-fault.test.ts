/**
 * Fault test: `update-pip-requirements` killed with SIGKILL at random moments never leaves a
 * torn file, and never an inconsistent requirements.txt / conda.yaml pair once the journal is
 * recovered (which every writing mlf command does first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOURNAL_NAME, recoverModelDirectory } from '../../src/model/transaction.js';
import { cliIsBuilt, copyFixtureModel, mlfBin, runMlf, tempDir } from '../support/cli.js';

const TRIALS = 200;
const built = cliIsBuilt();
const ARGS = ['add', 'pandas==2.2.3', 'tabulate==0.9.0'];

function state(dir: string) {
  return {
    requirements: readFileSync(path.join(dir, 'requirements.txt'), 'utf8'),
    conda: readFileSync(path.join(dir, 'conda.yaml'), 'utf8'),
    journal: existsSync(path.join(dir, JOURNAL_NAME)),
    leftovers: readdirSync(dir).filter((name) => name.includes('.mlf-tmp-') || name === JOURNAL_NAME),
  };
}

/** Runs the command and kills it after `delayMs`; resolves when the process is gone. */
function runAndKill(dir: string, mlfHome: string, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mlfBin, 'models', 'update-pip-requirements', '-m', dir, ...ARGS], {
      env: { ...process.env, MLF_HOME: mlfHome, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe.skipIf(!built)(`SIGKILL during update-pip-requirements (${TRIALS} trials)${built ? '' : ' (skipped: run `npm run build`)'}`, () => {
  it('leaves each file wholly old or wholly new, and the pair consistent after recovery', async () => {
    const mlfHome = tempDir('mlf-fault-home-');
    const pristine = copyFixtureModel('sklearn-iris');
    const old = state(pristine);

    // The finished result, and how long a whole run takes on this machine.
    const reference = copyFixtureModel('sklearn-iris');
    const started = performance.now();
    const [first] = await Promise.all([
      runMlf(['models', 'update-pip-requirements', '-m', reference, ...ARGS], { mlfHome }),
      runMlf(['models', 'update-pip-requirements', '-m', copyFixtureModel('sklearn-iris'), ...ARGS], { mlfHome }),
      runMlf(['models', 'update-pip-requirements', '-m', copyFixtureModel('sklearn-iris'), ...ARGS], { mlfHome }),
    ]);
    expect(first.exitCode).toBe(0);
    const fullRunMs = performance.now() - started;
    const done = state(reference);
    expect(done.requirements).not.toBe(old.requirements);

    const seen = { old: 0, new: 0, journalPending: 0 };
    const trial = async (index: number) => {
      const dir = copyFixtureModel('sklearn-iris');
      // Most kills land in the last part of the run, where the files are written.
      const delay = Math.random() < 0.25 ? Math.random() * fullRunMs : fullRunMs * (0.5 + Math.random() * 0.7);
      await runAndKill(dir, mlfHome, delay);

      const killed = state(dir);
      const context = `trial ${index}, killed after ${delay.toFixed(0)} ms`;
      expect([old.requirements, done.requirements], context).toContain(killed.requirements);
      expect([old.conda, done.conda], context).toContain(killed.conda);
      if (killed.journal) seen.journalPending++;
      else expect(killed.requirements === done.requirements, context).toBe(killed.conda === done.conda);

      await recoverModelDirectory(dir);
      const recovered = state(dir);
      expect(recovered.leftovers, context).toEqual([]);
      const isNew = recovered.requirements === done.requirements;
      expect(recovered.conda === done.conda, context).toBe(isNew);
      if (isNew) seen.new++;
      else seen.old++;
    };
    // A few at a time: the delays are relative to a full run measured under the same load.
    const PARALLEL = 3;
    for (let first = 0; first < TRIALS; first += PARALLEL) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, TRIALS - first) }, (_, k) => trial(first + k)));
    }
    // The kills must have covered both sides of the commit point for the test to mean anything.
    expect(seen.old, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.new, JSON.stringify(seen)).toBeGreaterThan(0);
    console.log(`fault test outcomes over ${TRIALS} kills: ${JSON.stringify(seen)} (full run ${fullRunMs.toFixed(0)} ms)`);
  });
});

describe.skipIf(!built)(`concurrent update-pip-requirements${built ? '' : ' (skipped: run `npm run build`)'}`, () => {
  it('serialises writers of one model: every addition lands in both files, nothing is left behind', async () => {
    const mlfHome = tempDir('mlf-concurrent-home-');
    const dir = copyFixtureModel('sklearn-iris');
    const additions = ['tabulate==0.9.0', 'six==1.17.0', 'rich==13.9.4', 'click==8.1.7', 'attrs==24.2.0'];
    const results = await Promise.all(additions.map((pin) => runMlf(['models', 'update-pip-requirements', '-m', dir, 'add', pin], { mlfHome })));
    for (const result of results) expect(result.stderr).toMatch(/^Updated requirements.txt and conda.yaml in /);
    expect(results.map((r) => r.exitCode)).toEqual(additions.map(() => 0));
    const after = state(dir);
    for (const pin of additions) {
      expect(after.requirements.split('\n')).toContain(pin);
      expect(after.conda).toContain(`  - ${pin}\n`);
    }
    expect(after.leftovers).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.startsWith('.mlf-lock'))).toEqual([]);
  }, 120_000);
});
