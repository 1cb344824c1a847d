/**
 * `mlf models predict` on hostile and broken input, end to end (the built CLI, the real worker in
 * the MLflow test Python with `--env-manager local`, so nothing is built): every failure is one
 * line on stderr with the file and what is wrong, the exit code of README "Exit codes" (2 for bad
 * input and damaged model files, 1 for the model's own failure), no Python frames, and the
 * traceback only under --verbose. The model directory is left as it was.
 */
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { snapshotDirectory } from '../support/files.js';
import { IRIS_COLUMNS } from '../support/iris.js';

const unavailable = e2eUnavailableReason();
const IRIS_HEADER = `${IRIS_COLUMNS.join(',')}\n`;

if (unavailable) {
  describe('mlf models predict on broken input (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const python = e2ePython()!;
  const work = tempDir('mlf-predict-errors-e2e-');
  const mlfHome = path.join(work, 'home');
  /** The local manager uses the Python found first on PATH: the MLflow test environment's. */
  const env = { PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}` };
  const mlf = (args: string[]) => runMlf(args, { mlfHome, env, cwd: work });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A copy of a fixture model under `work`, damaged by `damage`; the path relative to `work`. */
  function damaged(fixture: string, name: string, damage: (dir: string) => void): string {
    const dir = path.join(work, name);
    cpSync(path.join(fixturesDir, 'models', fixture), dir, { recursive: true });
    damage(dir);
    return name;
  }

  function editMlmodel(dir: string, edit: (text: string) => string): void {
    const file = path.join(dir, 'MLmodel');
    writeFileSync(file, Buffer.from(edit(readFileSync(file, 'latin1')), 'latin1'));
  }

  function setSignatureInputs(dir: string, inputs: string): void {
    const file = path.join(dir, 'MLmodel');
    const document = YAML.parse(readFileSync(file, 'utf8')) as { signature: Record<string, unknown> };
    document.signature.inputs = inputs;
    writeFileSync(file, YAML.stringify(document));
  }

  /** An input file under `work`; its name is how mlf is told it, so it is how errors name it. */
  function input(name: string, content: string | Buffer): string {
    writeFileSync(path.join(work, name), content);
    return name;
  }

  const iris = path.join(fixturesDir, 'models', 'sklearn-iris');
  const irisJson = path.join(fixturesDir, 'inputs', 'sklearn-iris', 'dataframe_split.json');

  interface Case {
    name: string;
    /** Model and input, built when the case runs. */
    args: () => string[];
    exitCode: number;
    /** The one line on stderr. */
    line: RegExp;
    /** Whether --verbose shows a Python traceback (false where mlf may refuse before the worker runs). */
    traceback?: boolean;
  }

  const cases: Case[] = [
    {
      name: 'a NUL byte in MLmodel',
      args: () => ['-m', damaged('sklearn-iris', 'nul', (d) => editMlmodel(d, (t) => t.replace('model_uuid: ', 'model_uuid: a\u0000b'))), '-i', irisJson],
      exitCode: 2,
      // The worker's words; mlf's own YAML reader may refuse the file first, in its words.
      line: /^error: nul\/MLmodel:\d+:\d+: .*(#x0000|NUL|control character)/i,
      traceback: false,
    },
    {
      name: 'bytes that are not UTF-8 in MLmodel',
      args: () => ['-m', damaged('sklearn-iris', 'latin1', (d) => editMlmodel(d, (t) => t.replace('model_uuid: ', 'model_uuid: \u00ff\u00fe'))), '-i', irisJson],
      exitCode: 2,
      line: /^error: latin1\/MLmodel:\d+(:\d+)?: .*UTF-8/,
      traceback: false,
    },
    {
      name: 'signature inputs that are not JSON',
      args: () => ['-m', damaged('sklearn-iris', 'sig-json', (d) => setSignatureInputs(d, '[{"type": "double", "name": ')), '-i', irisJson],
      exitCode: 2,
      line: /^error: sig-json\/MLmodel \(field `signature\.inputs`\): the signature's `inputs` is not valid JSON: Expecting value at column 29; /,
    },
    {
      name: 'a signature column whose name is a list',
      args: () => ['-m', damaged('sklearn-iris', 'sig-list', (d) => setSignatureInputs(d, '[{"type": "double", "name": ["a"], "required": true}]')), '-i', irisJson],
      exitCode: 2,
      line: /^error: sig-list\/MLmodel \(field `signature\.inputs`\): the signature's `inputs` entry 1 has a name that is a JSON array, not a string; /,
    },
    {
      name: 'a models-from-code file that is not UTF-8',
      args: () => [
        '-m', damaged('models-from-code', 'code-latin1', (d) => appendFileSync(path.join(d, 'code_model.py'), Buffer.from('x = "\xff"\n', 'latin1'))),
        '-i', path.join(fixturesDir, 'models', 'models-from-code', 'serving_input_example.json'),
      ],
      exitCode: 2,
      line: /^error: code-latin1\/code_model\.py:\d+: the model's code is not UTF-8 text: byte 0xff cannot be decoded \(invalid start byte\); /,
    },
    {
      name: 'a CSV number too large for a float (1e309)',
      args: () => ['-m', iris, '-t', 'csv', '-i', input('inf.csv', `${IRIS_HEADER}1e309,3.5,1.4,0.2\n`)],
      exitCode: 1,
      line: /^error: the model raised an exception while predicting: ValueError: Input X contains infinity or a value too large for dtype\('float64'\)\.; --verbose shows the Python traceback$/,
    },
    {
      name: 'an empty CSV cell',
      args: () => ['-m', iris, '-t', 'csv', '-i', input('null.csv', `${IRIS_HEADER},3.5,1.4,0.2\n`)],
      exitCode: 1,
      line: /^error: the model raised an exception while predicting: ValueError: Input X contains NaN\. .*… \(\d+ more characters; --verbose shows all\); --verbose shows the Python traceback$/,
    },
    {
      name: 'a CSV with a header only',
      args: () => ['-m', iris, '-t', 'csv', '-i', input('header.csv', IRIS_HEADER)],
      exitCode: 1,
      line: /^error: the model raised an exception while predicting: ValueError: Found array with 0 sample\(s\) \(shape=\(0, 4\)\) /,
    },
    {
      name: 'a payload nested 1,000,000 deep',
      args: () => ['-m', iris, '-i', input('deep.json', `{"inputs": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`)],
      exitCode: 2,
      line: /^error: deep\.json: Invalid input\. The JSON nests 1,000,001 levels of arrays and objects deep \(at line 1, column 1000011\): more than Python's JSON parser, which MLflow uses too, can read \(about [\d,]+ levels\); flatten the input$/,
    },
    {
      name: 'a JSON input file that is not UTF-8',
      args: () => ['-m', iris, '-i', input('latin1.json', Buffer.from('{"inputs":\n  {"a": "caf\xe9"}}', 'latin1'))],
      exitCode: 2,
      line: /^error: latin1\.json:2:13: the input is not UTF-8 text: byte 0xe9 cannot be decoded \(invalid continuation byte\); /,
    },
    {
      name: 'a CSV input file that is not UTF-8',
      args: () => ['-m', iris, '-t', 'csv', '-i', input('latin1.csv', Buffer.from(`${IRIS_HEADER}5.1,3.5,1.4,0.2\n5.1,3.5,1.\xe9,0.2\n`, 'latin1'))],
      exitCode: 2,
      line: /^error: latin1\.csv:3:11: the input is not UTF-8 text: byte 0xe9 cannot be decoded \(invalid continuation byte\); /,
    },
    {
      name: 'a CSV file given without -t csv',
      args: () => ['-m', iris, '-i', input('forgot.csv', `${IRIS_HEADER}5.1,3.5,1.4,0.2\n`)],
      exitCode: 2,
      line: /^error: forgot\.csv: Invalid input\. Ensure that input is a valid JSON formatted string\. Error: .*; the input looks like CSV: pass `-t csv`$/,
    },
    {
      name: 'a 10 MB value echoed back by the error',
      args: () => ['-m', iris, '-i', input('huge.json', `{"inputs": "${'x'.repeat(10_000_000)}"}`)],
      exitCode: 2,
      line: /^error: huge\.json: Invalid input\. .*x… \(\d{7} more characters; --verbose shows all\)$/,
    },
    {
      name: 'a missing signature column (MLflow writes a pandas dump into this message)',
      args: () => ['-m', iris, '-i', input('missing-col.json', JSON.stringify({ dataframe_split: { columns: ['x'], data: [[1.0]] } }))],
      exitCode: 2,
      line: /^error: missing-col\.json: the input does not match the model signature: Model is missing inputs \['sepal length \(cm\)', .*\]\. Note that there were extra inputs: \['x'\]\.; /,
    },
  ];

  describe('mlf models predict on broken input (e2e)', () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s: one line, the exit code, frames only with --verbose', async (_name, c) => {
      const args = ['models', 'predict', ...c.args(), '--env-manager', 'local'];
      const modelDir = path.resolve(work, args[args.indexOf('-m') + 1]!);
      const before = snapshotDirectory(modelDir);

      const plain = await mlf(args);
      expect(plain.exitCode, plain.stderr).toBe(c.exitCode);
      expect(plain.stdout).toBe('');
      const lines = plain.stderr.split('\n').filter((l) => l !== '');
      expect(lines, plain.stderr.slice(0, 2_000)).toHaveLength(1);
      expect(lines[0]).toMatch(c.line);
      expect(lines[0]!.length).toBeLessThan(700);
      expect(plain.stderr).not.toMatch(/Traceback|File ".*", line \d+/);

      const verbose = await mlf([...args, '--verbose']);
      expect(verbose.exitCode).toBe(c.exitCode);
      expect(verbose.stderr.split('\n').find((l) => l.startsWith('error:'))).toBe(lines[0]);
      if (c.traceback !== false) expect(verbose.stderr).toContain('Traceback (most recent call last):');

      expect(snapshotDirectory(modelDir)).toEqual(before);
    }, 300_000);

    it('with --json, a worker failure is exactly one JSON object on stdout and nothing on stderr', async () => {
      const result = await mlf(['models', 'predict', '-m', iris, '-t', 'csv', '-i', input('inf-json.csv', `${IRIS_HEADER}1e309,3.5,1.4,0.2\n`), '--env-manager', 'local', '--json']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as { ok: boolean; error: Record<string, unknown> };
      expect(report.ok).toBe(false);
      expect(report.error).toMatchObject({ code: 'MODEL_PREDICT_FAILED', category: 'model', exitCode: 1, data: { workerKind: 'model_error', stage: 'predict' } });
      expect(String(report.error.message)).not.toContain('\n');
    }, 300_000);

    it('stdin that is not UTF-8 is refused with its line, not mended into other text', async () => {
      const bytes = Buffer.concat([Buffer.from('{"dataframe_split": {"columns": ["a"],\n"data": [["'), Buffer.from([0xff]), Buffer.from('"]]}}\n')]);
      const result = await runMlf(['models', 'predict', '-m', iris, '-i', '-', '--env-manager', 'local'], { mlfHome, env, cwd: work, input: bytes });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toBe('error: <stdin>:2: the input on stdin is not UTF-8 text; convert the input to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)\n');
    }, 300_000);

    it('an output file that cannot be written is named, exit 2', async () => {
      mkdirSync(path.join(work, 'ro'), { recursive: true });
      const result = await mlf(['models', 'predict', '-m', iris, '-i', irisJson, '-o', 'ro', '--env-manager', 'local']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^error: ro: cannot write the output file: Is a directory\n$/);
    }, 300_000);
  });
}
