/**
 * `mlf models predict` end to end: the built CLI, real uv and virtualenv environments built from
 * the fixture models' own requirements (from PyPI), and MLflow itself as the reference: for every
 * fixture and input shape, mlf's output must be byte-identical to what
 * `python -m mlflow models predict ... --env-manager local` writes with the MLflow test Python.
 *
 * One MLF_HOME is shared by the whole file (each environment is built once and then reused; that
 * reuse is part of what is tested). uv's and pip's own package caches are the user's, so packages
 * are downloaded at most once per machine.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, repoRoot, runMlf, tempDir } from '../support/cli.js';

const unavailable = e2eUnavailableReason();
const FIXTURES = ['sklearn-iris', 'pyfunc-code', 'models-from-code'] as const;
const SHAPES = ['dataframe_split', 'dataframe_records', 'instances', 'inputs', 'csv'] as const;
type Shape = (typeof SHAPES)[number];
const MANAGERS = ['uv', 'virtualenv', 'local'] as const;

if (unavailable) {
  describe('mlf models predict (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const venvBin = path.dirname(python);
  const work = tempDir('mlf-predict-e2e-');
  const mlfHome = path.join(work, 'home');
  /** The local manager uses the Python found first on PATH: the MLflow test environment's. */
  const localPath = `${venvBin}${path.delimiter}${process.env.PATH ?? ''}`;
  const inputs = new Map<string, string>();
  const reference = new Map<string, string>();

  const key = (fixture: string, shape: Shape) => `${fixture}/${shape}`;
  /** The same PATH for every run: the interpreter found on it is part of an environment's key. */
  const mlf = (args: string[], options: { input?: string; cwd?: string } = {}) => runMlf(args, { mlfHome, env: { PATH: localPath }, ...options });

  // The environments built here are hundreds of MB each.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    // The reference: MLflow's own `models predict` command, in-process (`--env-manager local`),
    // writing to a file; all cases in one Python process (importing mlflow costs seconds).
    const cases: { id: string; out: string; args: string[] }[] = [];
    for (const fixture of FIXTURES) {
      for (const shape of SHAPES) {
        const file = inputFile(fixture, shape, work);
        inputs.set(key(fixture, shape), file);
        const out = path.join(work, `${fixture}-${shape}.mlflow.json`);
        cases.push({
          id: key(fixture, shape),
          out,
          args: ['predict', '-m', path.join(fixturesDir, 'models', fixture), '-i', file, '-o', out,
            '-t', shape === 'csv' ? 'csv' : 'json', '--env-manager', 'local'],
        });
      }
    }
    const result = await execa(python, [path.join(repoRoot, 'test/e2e/py/mlflow_predict_many.py')], {
      input: JSON.stringify(cases.map((c) => c.args)),
      reject: false,
      env: { PATH: localPath, HOME: process.env.HOME ?? work },
    });
    if (result.exitCode !== 0) throw new Error(`mlflow_predict_many.py failed:\n${result.stderr}`);
    const outcomes = JSON.parse(result.stdout) as { exit_code: number; output: string }[];
    cases.forEach((c, index) => {
      const outcome = outcomes[index]!;
      if (outcome.exit_code !== 0) throw new Error(`mlflow models predict failed for ${c.id}:\n${outcome.output}`);
      reference.set(c.id, readFileSync(c.out, 'utf8'));
    });
  }, 1_800_000);

  describe.each(MANAGERS)('--env-manager %s', (manager) => {
    it.each(FIXTURES)('%s: every input shape gives MLflow\'s bytes', async (fixture) => {
      for (const shape of SHAPES) {
        const args = ['models', 'predict', '-m', path.join(fixturesDir, 'models', fixture), '-i', inputs.get(key(fixture, shape))!,
          '-t', shape === 'csv' ? 'csv' : 'json', '--env-manager', manager];
        const result = await mlf(args);
        expect.soft(result.stderr, `${fixture}/${shape} stderr`).not.toMatch(/^error:/m);
        expect(result.exitCode, `${fixture}/${shape}: ${result.stderr}`).toBe(0);
        expect(result.stdout, `${fixture}/${shape}`).toBe(reference.get(key(fixture, shape)));
      }
    }, 1_800_000);
  });

  it('writes -o itself, reads stdin with -i -, and the second predict builds nothing', async () => {
    const fixture = 'sklearn-iris';
    const out = path.join(work, 'o', 'out.json');
    mkdirSync(path.dirname(out), { recursive: true });
    const model = path.join(fixturesDir, 'models', fixture);
    // Built by the uv cases above when the whole file runs; built here when this test runs alone.
    expect((await mlf(['models', 'predict', '-m', model, '-i', inputs.get(key(fixture, 'csv'))!, '-t', 'csv', '--env-manager', 'uv'])).exitCode).toBe(0);
    const toFile = await mlf(['models', 'predict', '-m', `file://${model}`, '-i', inputs.get(key(fixture, 'csv'))!, '-t', 'csv', '-o', out, '--env-manager', 'uv', '--json']);
    expect(toFile.exitCode, toFile.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(reference.get(key(fixture, 'csv')));
    const report = JSON.parse(toFile.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, runtime: 'sklearn', outputPath: out, environment: { manager: 'uv', built: false } });
    expect(report).not.toHaveProperty('output');

    const fromStdin = await mlf(['models', 'predict', '-m', model, '-i', '-', '--env-manager', 'uv'], {
      input: readFileSync(inputs.get(key(fixture, 'inputs'))!, 'utf8'),
    });
    expect(fromStdin.exitCode, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout).toBe(reference.get(key(fixture, 'inputs')));
    expect(fromStdin.stderr).toBe('');
  }, 1_800_000);

  it('--runtime mlflow gives the same bytes as the fast path', async () => {
    for (const fixture of ['sklearn-iris', 'models-from-code'] as const) {
      const args = ['models', 'predict', '-m', path.join(fixturesDir, 'models', fixture), '-i', inputs.get(key(fixture, 'dataframe_split'))!, '--env-manager', 'uv'];
      const viaMlflow = await mlf([...args, '--runtime', 'mlflow', '--json']);
      expect(viaMlflow.exitCode, viaMlflow.stderr).toBe(0);
      const report = JSON.parse(viaMlflow.stdout) as { runtime: string; output: string; fallbackReason?: string };
      expect(report.runtime).toBe('mlflow');
      expect(report.fallbackReason).toBe('--runtime mlflow');
      expect(report.output).toBe(reference.get(key(fixture, 'dataframe_split')));
    }
  }, 1_800_000);

  it.each([
    ['bad-json.json', 'json', 2, /^error: \S+\/bad-json\.json: Invalid input\. Ensure that input is a valid JSON formatted string\. Error: 'JSONDecodeError\("Expecting ',' delimiter: line 2 column 1 \(char 55\)"\)'$/],
    ['two-keys.json', 'json', 2, /^error: \S+\/two-keys\.json: The input must be a JSON dictionary with exactly one of the input fields \{[a-z_', ]+\}\. Received dictionary with input fields: \['dataframe_split', 'instances'\]\.$/],
    ['top-level-list.json', 'json', 2, /^error: \S+\/top-level-list\.json: Invalid input\. The input must be a JSON dictionary with exactly one of the input fields \{[a-z_', ]+\}\. Received a list\./],
    ['bad-csv.csv', 'csv', 2, /^error: \S+\/bad-csv\.csv: Failed to parse input as a Pandas DataFrame\. .* Error: 'Error tokenizing data\. C error: Expected 2 fields in line 3, saw 4'$/],
  ])('malformed input %s (%s): exit %i, one line naming the file and the problem', async (file, type, code, line) => {
    const result = await mlf(
      ['models', 'predict', '-m', path.join(fixturesDir, 'models', 'sklearn-iris'), '-i', path.join(fixturesDir, 'inputs', 'malformed', file), '-t', type, '--env-manager', 'uv'],
    );
    expect(result.exitCode).toBe(code);
    expect(result.stdout).toBe('');
    const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(line);
    expect(result.stderr).not.toContain('Traceback');
  }, 1_800_000);

  it.each([
    [['-i', 'nope.json'], 'error: the input file `nope.json` does not exist'],
    [['-i', 'x.json', '-t', 'parquet'], 'error: invalid value `parquet` for --content-type: choose one of `json`, `csv`'],
    [['-i', 'x.json', '--env', 'NOEQUALS'], 'error: invalid --env value `NOEQUALS`: expected KEY=VALUE'],
    [['-i', 'x.json', '--runtime', 'fast'], 'error: invalid value `fast` for --runtime: choose one of `auto`, `mlflow`'],
  ])('usage problems are exit 2 with one line: %j', async (extra, line) => {
    const result = await mlf(['models', 'predict', '-m', path.join(fixturesDir, 'models', 'sklearn-iris'), ...extra], { cwd: work });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('the worker\'s warnings (MLflow\'s: an extra column dropped, params ignored) are warnings; --quiet and --json leave them out', async () => {
    const input = path.join(work, 'extra-col.json');
    const columns = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)', 'extra'];
    writeFileSync(input, JSON.stringify({ dataframe_split: { columns, data: [[5.1, 3.5, 1.4, 0.2, 9]] }, params: { a: 1 } }));
    const args = ['models', 'predict', '-m', path.join(fixturesDir, 'models', 'sklearn-iris'), '-i', input, '--env-manager', 'uv'];
    const result = await mlf(args);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"predictions": [0]}');
    expect(result.stderr).toBe(
      [
        "warning: Found extra inputs in the model input that are not defined in the model signature: `['extra']`. These inputs will be ignored.",
        'warning: `params` can only be specified at inference time if the model signature defines a params schema. This model does not define a params schema. Ignoring provided params: [\'a\']',
        '',
      ].join('\n'),
    );
    for (const flag of ['--quiet', '--json']) {
      const silent = await mlf([...args, flag]);
      expect(silent.exitCode, silent.stderr).toBe(0);
      expect(silent.stderr, flag).toBe('');
    }
  }, 1_800_000);

  it('a missing required column is exit 2 naming it (MLflow\'s words)', async () => {
    const bad = path.join(work, 'missing-col.json');
    writeFileSync(bad, JSON.stringify({ dataframe_split: { columns: ['x', 'y'], data: [[1.0, 2.0]] } }));
    const result = await mlf(['models', 'predict', '-m', path.join(fixturesDir, 'models', 'pyfunc-code'), '-i', bad, '--env-manager', 'uv']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: \S+missing-col\.json: the input does not match the model signature: Model is missing inputs \['n'\]\.; MLmodel `signature\.inputs` lists the columns/);
    // MLflow's own message (the data and the whole schema) is kept for --verbose.
    const verbose = await mlf(['models', 'predict', '-m', path.join(fixturesDir, 'models', 'pyfunc-code'), '-i', bad, '--env-manager', 'uv', '--verbose']);
    expect(verbose.stderr).toMatch(/Failed to enforce schema of data '.*' with schema '\['x': double \(required\), 'y': double \(required\), 'n': long \(required\)\]'\. Error: Model is missing inputs \['n'\]\./s);
  }, 1_800_000);
}

/**
 * The input file of a fixture in one shape: the committed ones under fixtures/inputs/<fixture>/,
 * or, for a fixture without them, written from the model's serving_input_example.json.
 */
function inputFile(fixture: string, shape: Shape, work: string): string {
  const committed = path.join(fixturesDir, 'inputs', fixture, shape === 'csv' ? 'input.csv' : `${shape}.json`);
  try {
    readFileSync(committed);
    return committed;
  } catch {
    // fall through: derive it
  }
  const example = JSON.parse(readFileSync(path.join(fixturesDir, 'models', fixture, 'serving_input_example.json'), 'utf8')) as {
    dataframe_split: { columns: string[]; data: unknown[][] };
  };
  const { columns, data } = example.dataframe_split;
  const records = data.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
  const file = path.join(work, `${fixture}-${shape}${shape === 'csv' ? '.csv' : '.json'}`);
  const body =
    shape === 'dataframe_split'
      ? { dataframe_split: { columns, data } }
      : shape === 'dataframe_records'
        ? { dataframe_records: records }
        : shape === 'instances'
          ? { instances: records }
          : { inputs: Object.fromEntries(columns.map((c, i) => [c, data.map((row) => row[i])])) };
  writeFileSync(file, shape === 'csv' ? `${columns.join(',')}\n${data.map((row) => row.map((v) => formatCsvNumber(v)).join(',')).join('\n')}\n` : JSON.stringify(body));
  return file;
}

/** Floats as pandas writes them in to_csv (`1.0`, not `1`), so the CSV reads back as float64. */
function formatCsvNumber(value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value) ? value.toFixed(1) : String(value);
}
