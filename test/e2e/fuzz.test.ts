/**
 * A seeded, time-bounded fuzz test of the built CLI (issue 9): mutated copies of the fixture
 * models (MLmodel, requirements, conda.yaml, python_env.yaml, signatures, input examples, model
 * files), mutated predict payloads, package and requirement arguments, and leftover journal and
 * lock state, each run through one of validate, validate --fix, update-pip-requirements add/remove,
 * package and predict --env-manager local, with or without --json. Every case must keep the
 * promises in test/support/fuzz/invariants.ts; failures are reported grouped by (command,
 * input/mutation), one reproducible example each.
 *
 *   MLF_FUZZ_SEED       the run's seed (default below); printed, so a failing run can be repeated
 *   MLF_FUZZ_CASES      how many cases to plan (default 240: about 2-3 minutes on 2 cores)
 *   MLF_FUZZ_SECONDS    stop starting new cases after this long (default 150)
 *   MLF_FUZZ_JOBS       cases run at once (default 2)
 *   MLF_FUZZ_CASE_SECONDS  a case's time limit; predict gets twice as long (default 20)
 *   MLF_FUZZ_ONLY       run only these case indices (comma-separated), e.g. one from the report
 *   MLF_FUZZ_KEEP=1     keep each case's directory and print where (for MLF_FUZZ_ONLY)
 *
 * Run alone: `npm run test:fuzz` (builds first), or
 * `MLF_E2E_PYTHON=.e2e/venv/bin/python npx vitest run --project e2e test/e2e/fuzz.test.ts`.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, tempDir } from '../support/cli.js';
import { snapshotDirectory } from '../support/files.js';
import { planCase, planCases } from '../support/fuzz/cases.js';
import type { FixtureInventory, FuzzCase } from '../support/fuzz/cases.js';
import { checkOutcome } from '../support/fuzz/invariants.js';
import { formatReport, groupFailures, stderrExcerpt } from '../support/fuzz/report.js';
import type { Failure } from '../support/fuzz/report.js';
import { runMlfCase } from '../support/fuzz/runner.js';
import { materialize } from '../support/fuzz/workspace.js';

const unavailable = e2eUnavailableReason();
const env = process.env;
const count = (name: string, fallback: number) => {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const SEED = env.MLF_FUZZ_SEED || '9000';
const CASES = count('MLF_FUZZ_CASES', 240);
const SECONDS = count('MLF_FUZZ_SECONDS', 150);
const JOBS = count('MLF_FUZZ_JOBS', 2);
const CASE_SECONDS = count('MLF_FUZZ_CASE_SECONDS', 20);
const ONLY = env.MLF_FUZZ_ONLY ? new Set(env.MLF_FUZZ_ONLY.split(',').map((s) => Number(s.trim()))) : undefined;
const KEEP = env.MLF_FUZZ_KEEP === '1';

const modelsDir = path.join(fixturesDir, 'models');

/** The fixture models as the planner sees them: their regular files. */
function inventory(): FixtureInventory[] {
  const list = (dir: string, prefix = ''): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(path.join(dir, e.name), `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : []));
  return readdirSync(modelsDir).sort().map((name) => ({ name, files: list(path.join(modelsDir, name)) }));
}

if (unavailable) {
  describe('mlf fuzz (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const root = tempDir('mlf-fuzz-');
  const mlfHome = path.join(root, 'home');
  const childEnv: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>),
    NO_COLOR: '1',
    MLF_HOME: mlfHome,
    // --env-manager local runs the first python on PATH: the MLflow test environment's, so no
    // environment is built (as test/e2e/predict.test.ts does).
    PATH: `${path.dirname(python)}${path.delimiter}${env.PATH ?? ''}`,
  };

  afterAll(() => {
    if (!KEEP) rmSync(root, { recursive: true, force: true });
  });

  describe('mlf fuzz (e2e)', () => {
    it(`keeps its promises on hostile input (seed ${SEED})`, async () => {
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      const fixtures = inventory();
      const planned = ONLY ? [...ONLY].map((index) => planCase(SEED, index, fixtures)) : planCases(SEED, CASES, fixtures);
      console.log(`fuzz: seed ${SEED}, ${planned.length} cases planned, ${JOBS} at a time, at most ${SECONDS} s (MLF_FUZZ_SEED=${SEED} to repeat)`);

      const failures: Failure[] = [];
      const exits = new Map<string, number>();
      const times = new Map<string, number[]>();
      let ran = 0;
      let next = 0;
      const worker = async () => {
        while (next < planned.length && Date.now() < deadline) {
          const fuzzCase = planned[next++]!;
          const failure = await runCase(fuzzCase, exits, times);
          ran++;
          if (failure) failures.push(failure);
        }
      };
      await Promise.all(Array.from({ length: JOBS }, worker));

      const seconds = (Date.now() - started) / 1000;
      const exitSummary = [...exits.entries()].sort().map(([exit, n]) => `${exit} ×${n}`).join(', ');
      const timeSummary = [...times.entries()].sort().map(([command, ms]) => `${command} ×${ms.length} (median ${median(ms)} ms)`).join(', ');
      const report = formatReport(groupFailures(failures), { seed: SEED, planned: planned.length, ran, seconds });
      console.log(`fuzz: ${ran} cases in ${seconds.toFixed(0)} s: ${exitSummary}; ${timeSummary}; ${failures.length} failed`);
      expect(ran, 'no case ran').toBeGreaterThan(0);
      expect(failures.length, report).toBe(0);
    }, (SECONDS + 4 * CASE_SECONDS + 120) * 1000);
  });

  async function runCase(fuzzCase: FuzzCase, exits: Map<string, number>, times: Map<string, number[]>): Promise<Failure | undefined> {
    const caseDir = path.join(root, 'cases', String(fuzzCase.index));
    mkdirSync(caseDir, { recursive: true });
    try {
      const ws = materialize(fuzzCase, caseDir, { modelsDir, picklePath: path.join(fixturesDir, 'pickles', 'sklearn-logreg-cloudpickle.pkl'), python, host: os.hostname() });
      const timeoutMs = CASE_SECONDS * 1000 * (fuzzCase.command === 'predict' ? 2 : 1);
      // A private TMPDIR: what mlf (or Python under it) leaves in the temp dir is seen, and removed.
      const tmp = path.join(caseDir, 'tmp');
      mkdirSync(tmp);
      const before = snapshotDirectory(ws.watched);
      const outcome = await runMlfCase(ws.args, { cwd: ws.cwd, env: { ...childEnv, TMPDIR: tmp }, timeoutMs });
      const after = snapshotDirectory(ws.watched);
      const exit = outcome.timedOut ? 'timeout' : outcome.exitCode === null ? `signal ${outcome.signal}` : `exit ${outcome.exitCode}`;
      exits.set(exit, (exits.get(exit) ?? 0) + 1);
      times.set(fuzzCase.command, [...(times.get(fuzzCase.command) ?? []), outcome.ms]);
      const violations = checkOutcome(outcome, {
        json: fuzzCase.json,
        readOnly: fuzzCase.command === 'validate' || fuzzCase.command === 'predict',
        mayChange: ws.mayChange,
        lockPlanted: ws.lockPlanted,
        mustReject: ws.mustReject,
        exitOneIsFindings: fuzzCase.command === 'validate' || fuzzCase.command === 'validate --fix',
        timeoutMs,
      }, before, after, readdirSync(tmp));
      if (KEEP) console.log(`fuzz: case ${fuzzCase.index} kept in ${caseDir}: ${exit}\n${outcome.stderr}`);
      if (violations.length === 0) return undefined;
      const shown = (arg: string) => {
        const text = arg.split(ws.watched).join(fuzzCase.command === 'package' ? '<project>' : '<model>').split(caseDir).join('<case>').split(python).join('<python>');
        const cut = text.length > 80 ? `${text.slice(0, 60)}...(${text.length} chars)` : text;
        return /[\s"'\\]|^$/.test(cut) ? JSON.stringify(cut) : cut;
      };
      return {
        fuzzCase,
        commandLine: `mlf ${ws.args.map(shown).join(' ')}`,
        subject: ws.subject,
        detail: ws.detail,
        exit,
        stderr: outcome.stderr ? stderrExcerpt(outcome.stderr) : '',
        violations,
      };
    } finally {
      if (!KEEP) rmSync(caseDir, { recursive: true, force: true });
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
