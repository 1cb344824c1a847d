/**
 * update-pip-requirements against real MLflow: for every fixture and a table of operations,
 * mlf writes the same requirements.txt and conda.yaml bytes as
 * `mlflow.models.update_model_requirements` on a copy, except where mlf deliberately differs
 * (mlflow-format.md §13; asserted separately below), and MLflow still loads what mlf wrote.
 */
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRequirementsFile } from '../../src/deps/requirements-txt.js';
import { canonicalizeName, formatRequirement, parseRequirement } from '../../src/deps/pep508.js';
import { getPipDependencies, parseCondaEnv, serializeCondaEnv, withPipDependencies } from '../../src/model/conda-env.js';
import { copyFixtureModel, e2ePython, e2eUnavailableReason, fixturesDir, repoRoot, runMlf, type MlfResult } from '../support/cli.js';
import { writeFileSync } from 'node:fs';

const unavailable = e2eUnavailableReason();
const python = e2ePython()!;
import { existsSync } from 'node:fs';
/** Every fixture that has a requirements.txt (the MLflow 1.x one has only conda.yaml: see below). */
const fixtureNames = readdirSync(path.join(fixturesDir, 'models'))
  .filter((name) => existsSync(path.join(fixturesDir, 'models', name, 'requirements.txt')))
  .sort();

/** Fixtures whose requirements hold `-c` or comment lines: MLflow's update crashes on them (§13). */
const MLFLOW_CRASHES_ON = new Set(['constraints', 'locked']);

interface Job {
  fixture: string;
  operation: 'add' | 'remove';
  requirements: string[];
}

function lastRequirementName(fixture: string): string {
  const text = readFileSync(path.join(fixturesDir, 'models', fixture, 'requirements.txt'), 'utf8');
  const names = parseRequirementsFile(text).statements.flatMap((s) => (s.kind === 'requirement' ? [s.requirement.name] : []));
  return names[names.length - 1]!;
}

const jobs: Job[] = fixtureNames.flatMap((fixture) => [
  { fixture, operation: 'add', requirements: ['pandas==2.2.3'] },
  { fixture, operation: 'add', requirements: ['tabulate==0.9.0'] },
  { fixture, operation: 'add', requirements: ['scikit-learn>=1.5', 'numpy<3', 'Cloudpickle==3.1.2'] },
  { fixture, operation: 'add', requirements: ['requests[socks] >= 2.31, != 2.32.0'] },
  { fixture, operation: 'remove', requirements: ['mlflow'] },
  { fixture, operation: 'remove', requirements: [lastRequirementName(fixture)] },
]);

async function runPython<T>(script: string, input: unknown): Promise<T> {
  const result = await execa(python, [path.join(repoRoot, 'test/e2e/py', script)], { input: JSON.stringify(input), reject: false });
  if (result.exitCode !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface Outcome {
  job: Job;
  /** An untouched copy of the fixture, taken with the others. */
  originalDir: string;
  mlfDir: string;
  mlflowDir: string;
  strippedMlflowDir: string;
  mlf: MlfResult;
  mlflow: { ok: boolean; error: string | null };
  mlflowStripped: { ok: boolean; error: string | null };
}

const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');

/** A copy of a fixture without its non-requirement lines, on which MLflow's update can run. */
function strippedCopy(fixture: string): string {
  const dir = copyFixtureModel(fixture);
  const keep = (line: string) => !/^\s*(#|-|$)/.test(line);
  const requirements = read(dir, 'requirements.txt').split('\n').filter(keep);
  writeFileSync(path.join(dir, 'requirements.txt'), requirements.join('\n'));
  const conda = parseCondaEnv(read(dir, 'conda.yaml')).document;
  writeFileSync(path.join(dir, 'conda.yaml'), serializeCondaEnv(withPipDependencies(conda, (getPipDependencies(conda) ?? []).filter(keep))));
  return dir;
}

/**
 * Requirement lines only, each as packaging's str(): the part both tools must agree on. Packages
 * listed more than once (a lock file's marker-split pins, e.g. contourpy for Python < 3.12 and
 * >= 3.12) are left out: MLflow's name-keyed dict collapses them into one, mlf keeps both.
 */
function requirementProjection(lines: string[], skip: Set<string> = new Set()): string[] {
  return lines
    .filter((line) => !/^\s*(#|-|$)/.test(line))
    .map((line) => parseRequirement(line.trim()))
    .filter((req) => !skip.has(canonicalizeName(req.name)))
    .map(formatRequirement);
}

function namesListedTwice(lines: string[]): Set<string> {
  const names = lines.filter((line) => !/^\s*(#|-|$)/.test(line)).map((line) => canonicalizeName(parseRequirement(line.trim()).name));
  return new Set(names.filter((name, index) => names.indexOf(name) !== index));
}

describe.skipIf(unavailable)(`update-pip-requirements vs MLflow ${unavailable ? `(skipped: ${unavailable})` : ''}`, () => {
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    const prepared = jobs.map((job) => ({
      job,
      originalDir: copyFixtureModel(job.fixture),
      mlfDir: copyFixtureModel(job.fixture),
      mlflowDir: copyFixtureModel(job.fixture),
      strippedMlflowDir: strippedCopy(job.fixture),
    }));
    const toMlflow = (key: 'mlflowDir' | 'strippedMlflowDir') =>
      prepared.map((p) => ({ dir: p[key], operation: p.job.operation, requirements: p.job.requirements }));
    const [mlflow, mlflowStripped] = await Promise.all([
      runPython<Outcome['mlflow'][]>('mlflow_update.py', toMlflow('mlflowDir')),
      runPython<Outcome['mlflow'][]>('mlflow_update.py', toMlflow('strippedMlflowDir')),
    ]);
    for (const [index, p] of prepared.entries()) {
      const mlf = await runMlf(['models', 'update-pip-requirements', '-m', p.mlfDir, p.job.operation, ...p.job.requirements]);
      outcomes.push({ ...p, mlf, mlflow: mlflow[index]!, mlflowStripped: mlflowStripped[index]! });
    }
  });

  const label = (o: Outcome) => `${o.job.fixture}: ${o.job.operation} ${o.job.requirements.join(' ')}`;

  it('mlf succeeds on every fixture and operation', () => {
    for (const o of outcomes) expect(o.mlf, label(o)).toMatchObject({ exitCode: 0 });
  });

  it('equals MLflow byte for byte where MLflow can edit the model', () => {
    const comparable = outcomes.filter((o) => !MLFLOW_CRASHES_ON.has(o.job.fixture));
    expect(comparable.length).toBeGreaterThanOrEqual(20);
    for (const o of comparable) {
      expect(o.mlflow, label(o)).toEqual({ ok: true, error: null });
      expect(read(o.mlfDir, 'requirements.txt'), label(o)).toBe(read(o.mlflowDir, 'requirements.txt'));
      expect(read(o.mlfDir, 'conda.yaml'), label(o)).toBe(read(o.mlflowDir, 'conda.yaml'));
    }
  });

  it('works where MLflow crashes on -c and comment lines (§13), agreeing with MLflow on the requirement lines', () => {
    const crashing = outcomes.filter((o) => MLFLOW_CRASHES_ON.has(o.job.fixture));
    expect(crashing.length).toBeGreaterThan(0);
    for (const o of crashing) {
      expect(o.mlflow.ok, label(o)).toBe(false);
      expect(o.mlflow.error, label(o)).toMatch(/InvalidRequirement|Invalid requirement|Expected/);
      // Every non-requirement line is still there, in order.
      const before = read(o.originalDir, 'requirements.txt').split('\n');
      const after = read(o.mlfDir, 'requirements.txt').split('\n');
      const others = (lines: string[]) => lines.filter((line) => /^\s*(#|-)/.test(line));
      expect(others(after), label(o)).toEqual(others(before));
      // The requirement lines match what MLflow does to the same model without those lines.
      expect(o.mlflowStripped, label(o)).toEqual({ ok: true, error: null });
      const twice = namesListedTwice(before);
      expect(requirementProjection(after, twice), label(o)).toEqual(
        requirementProjection(read(o.strippedMlflowDir, 'requirements.txt').split('\n'), twice),
      );
      // mlf keeps every marker-split pin of a package the operation does not name.
      const named = new Set(o.job.requirements.map((r) => canonicalizeName(parseRequirement(r).name)));
      const splitPins = (lines: string[]) =>
        lines.filter((line) => !/^\s*(#|-|$)/.test(line) && twice.has(canonicalizeName(parseRequirement(line.trim()).name)) && !named.has(canonicalizeName(parseRequirement(line.trim()).name)));
      expect(splitPins(after), label(o)).toEqual(splitPins(before));
      const condaPip = (dir: string) => getPipDependencies(parseCondaEnv(read(dir, 'conda.yaml')).document) ?? [];
      expect(requirementProjection(condaPip(o.mlfDir), twice), label(o)).toEqual(requirementProjection(condaPip(o.strippedMlflowDir), twice));
      expect(others(condaPip(o.mlfDir)), label(o)).toEqual(others(condaPip(o.originalDir)));
    }
  });

  it('leaves python_env.yaml, constraints.txt and MLmodel untouched', () => {
    for (const o of outcomes) {
      const original = o.originalDir;
      for (const name of ['MLmodel', 'python_env.yaml', 'constraints.txt']) {
        let before: string | undefined;
        try {
          before = read(original, name);
        } catch {
          continue;
        }
        expect(read(o.mlfDir, name), `${label(o)} ${name}`).toBe(before);
      }
    }
  });

  it('writes models that real MLflow still loads', async () => {
    const loadable = outcomes.filter((o) => o.job.fixture !== 'missing-dep');
    const results = await runPython<{ ok: boolean; error: string | null }[]>('mlflow_load.py', loadable.map((o) => o.mlfDir));
    results.forEach((result, index) => expect(result, label(loadable[index]!)).toEqual({ ok: true, error: null }));
  });

  it('differs from MLflow on purpose: names compare after normalisation (MLflow keeps both spellings)', async () => {
    const mlfDir = copyFixtureModel('sklearn-iris');
    const mlflowDir = copyFixtureModel('sklearn-iris');
    writeFileSync(path.join(mlfDir, 'requirements.txt'), read(mlfDir, 'requirements.txt').replace('scikit-learn==', 'Scikit_Learn=='));
    writeFileSync(path.join(mlflowDir, 'requirements.txt'), read(mlflowDir, 'requirements.txt').replace('scikit-learn==', 'Scikit_Learn=='));
    expect((await runMlf(['models', 'update-pip-requirements', '-m', mlfDir, 'add', 'scikit-learn==1.5.0'])).exitCode).toBe(0);
    await runPython('mlflow_update.py', [{ dir: mlflowDir, operation: 'add', requirements: ['scikit-learn==1.5.0'] }]);
    const mlfLines = read(mlfDir, 'requirements.txt').split('\n');
    const mlflowLines = read(mlflowDir, 'requirements.txt').split('\n');
    expect(mlfLines.filter((l) => /scikit/i.test(l))).toEqual(['scikit-learn==1.5.0']);
    expect(mlflowLines.filter((l) => /scikit/i.test(l))).toEqual(['Scikit_Learn==1.9.1', 'scikit-learn==1.5.0']);
  });

  it('refuses a model without requirements.txt, as MLflow does', async () => {
    const dir = copyFixtureModel('mlflow1-defaults');
    const before = read(dir, 'conda.yaml');
    const result = await runMlf(['models', 'update-pip-requirements', '-m', dir, 'add', 'pandas==2.2.3']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('requirements.txt` does not exist');
    expect(read(dir, 'conda.yaml')).toBe(before);
    const [mlflow] = await runPython<Outcome['mlflow'][]>('mlflow_update.py', [{ dir: copyFixtureModel('mlflow1-defaults'), operation: 'add', requirements: ['pandas==2.2.3'] }]);
    expect(mlflow!.ok).toBe(false);
  });

  it('differs from MLflow on purpose: removing an unlisted package is an error, not a warning', async () => {
    const dir = copyFixtureModel('sklearn-iris');
    const before = [read(dir, 'requirements.txt'), read(dir, 'conda.yaml')];
    const result = await runMlf(['models', 'update-pip-requirements', '-m', dir, 'remove', 'not-a-package']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('`not-a-package` is not listed, so nothing was changed');
    expect([read(dir, 'requirements.txt'), read(dir, 'conda.yaml')]).toEqual(before);
  });
});
