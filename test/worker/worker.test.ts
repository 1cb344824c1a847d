/**
 * worker.py run for real, with the Python that has MLflow (MLF_E2E_PYTHON, default
 * <repo>/.e2e/venv/bin/python), on small models saved by models/make-models.py.
 *
 * Every case runs twice: on the fast path (`--runtime auto`, which loads these models without
 * importing mlflow) and through MLflow's own loader and parsers (`--runtime mlflow`). Both must
 * give the same bytes: that is the proof that the fast path's input parsing, schema enforcement
 * and JSON encoding are MLflow's.
 */
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import { WorkerClient } from '../../src/worker/worker-client.js';
import type { RuntimeChoice } from '../../src/worker/protocol.js';
import { IRIS_COLUMNS, IRIS_ROWS } from '../support/iris.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const PYTHON = process.env.MLF_E2E_PYTHON ?? path.join(REPO, '.e2e', 'venv', 'bin', 'python');
const SLOW = 600_000;

if (!existsSync(PYTHON)) {
  describe('worker.py with a real Python', () => {
    it.skip(`skipped: no Python with MLflow at \`${PYTHON}\` (set MLF_E2E_PYTHON or create .e2e/venv)`, () => undefined);
  });
} else {
  describe('worker.py with a real Python', () => {
    let dir: string;
    const workers = new Map<string, Promise<WorkerClient>>();
    const logs = new Map<string, string[]>();

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'mlf-worker-test-'));
      await execa(PYTHON, [path.join(HERE, 'models', 'make-models.py'), path.join(dir, 'models')], { timeout: SLOW });
    }, SLOW);

    afterAll(async () => {
      for (const worker of workers.values()) await (await worker.catch(() => undefined))?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }, SLOW);

    /** One worker per (model, runtime), started on first use and shared by the cases. */
    function worker(model: string, runtime: RuntimeChoice): Promise<WorkerClient> {
      const key = `${model}/${runtime}`;
      let started = workers.get(key);
      if (!started) {
        const lines: string[] = [];
        logs.set(key, lines);
        started = WorkerClient.start({
          pythonPath: PYTHON,
          modelDir: path.join(dir, 'models', model),
          runtime,
          env: { PATH: process.env.PATH, HOME: process.env.HOME },
          cwd: dir,
          // As ops/predict does: without it, executing the model's code writes <model>/__pycache__.
          pycachePrefix: path.join(dir, 'pycache'),
          onStderr: (line) => lines.push(line),
        });
        workers.set(key, started);
      }
      return started;
    }

    type Outcome = { output: string } | { kind: string; code: string; message: string };

    async function run(model: string, runtime: RuntimeChoice, contentType: 'json' | 'csv', data: string): Promise<Outcome> {
      const client = await worker(model, runtime);
      try {
        const reply = await client.predict({ contentType, data });
        return { output: reply.output! };
      } catch (error) {
        if (!(error instanceof MlfError)) throw error;
        return { kind: error.category, code: error.code, message: error.message };
      }
    }

    const ECHO_ROW = '"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "x", "b": true';
    const DTYPES = '"dtypes": "int32,int64,float32,float64,str,bool"';
    const ECHO_ONE = `{"predictions": [{${ECHO_ROW}, ${DTYPES}}]}`;
    const ECHO_TWO = `{"predictions": [{${ECHO_ROW}, ${DTYPES}}, {"i": 3, "l": 4, "f": 0.25, "d": 1.0, "s": "y", "b": false, ${DTYPES}}]}`;
    const ECHO_SCHEMA =
      "'['i': integer (required), 'l': long (required), 'f': float (required), 'd': double (required), 's': string (required), 'b': boolean (required)]'";

    // [case, model, content type, input, expected output or error code + message]
    const cases: [string, string, 'json' | 'csv', string, Outcome][] = [
      ['dataframe_split, cast to the schema dtypes', 'echo', 'json',
        '{"dataframe_split": {"columns": ["i","l","f","d","s","b"], "data": [[1, 2, 1.5, 2.5, "x", true], [3, 4, 0.25, 1, "y", false]]}}',
        { output: ECHO_TWO }],
      ['dataframe_records', 'echo', 'json', `{"dataframe_records": [{${ECHO_ROW}}]}`, { output: ECHO_ONE }],
      ['instances (rows to columns)', 'echo', 'json', `{"instances": [{${ECHO_ROW}}]}`, { output: ECHO_ONE }],
      ['inputs (columns)', 'echo', 'json',
        '{"inputs": {"i": [1, 3], "l": [2, 4], "f": [1.5, 0.25], "d": [2.5, 1], "s": ["x", "y"], "b": [true, false]}}', { output: ECHO_TWO }],
      ['inputs of scalars, params ignored without a params schema', 'echo', 'json', `{"inputs": {${ECHO_ROW}}, "params": {"k": 1}}`, { output: ECHO_ONE }],
      ['an extra column is dropped', 'echo', 'json', `{"dataframe_records": [{${ECHO_ROW}, "zz": 9}]}`, { output: ECHO_ONE }],
      ['CSV read with the schema dtypes (a string column keeps "007")', 'echo', 'csv', 'i,l,f,d,s,b\n1,2,1.5,2.5,007,True\n',
        { output: '{"predictions": [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "007", "b": true, "dtypes": "int32,int64,float32,float64,object,bool"}]}' }],
      ['a missing required column is named', 'echo', 'json', '{"dataframe_records": [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "x"}]}',
        { kind: 'input', code: 'SCHEMA_MISMATCH',
          message: "the input does not match the model signature: Model is missing inputs ['b']." }],
      ['a value that cannot be cast to the column type', 'echo', 'json', '{"dataframe_records": [{"i": 1, "l": 2, "f": 1.5, "d": "x", "s": "x", "b": true}]}',
        { kind: 'input', code: 'BAD_INPUT',
          message: `Invalid input. Data is not compatible with model signature. Failed to convert column d to type 'float64'. Error: 'ValueError("could not convert string to float: 'x'")'` }],
      ['instances with rows of different lengths', 'echo', 'json', `{"instances": [{${ECHO_ROW}}, {"i": 1}]}`,
        { kind: 'input', code: 'BAD_INPUT', message: 'Invalid input. The length of values for each input/column name are not the same' }],
      ['records that are not a list', 'echo', 'json', '{"dataframe_records": {"i": 1}}',
        { kind: 'input', code: 'BAD_INPUT', message: 'Invalid input. Dataframe records format must be a list of records. Got dictionary.' }],
      ['malformed JSON', 'echo', 'json', '{"dataframe_split": [1]',
        { kind: 'input', code: 'BAD_INPUT',
          message: `Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError("Expecting ',' delimiter: line 1 column 24 (char 23)")'` }],
      ['a CSV that does not parse', 'echo', 'csv', 'i,l\n1,2\n3,4,5,6\n',
        { kind: 'input', code: 'BAD_INPUT',
          message: "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: 'Error tokenizing data. C error: Expected 2 fields in line 3, saw 4'" }],
      ['an LLM-style dict is the data, and the answer is not wrapped', 'chat', 'json', '{"prompt": "ab", "n": 2}', { output: '{"text": "abab"}' }],
      ['an unsafe conversion is refused with MLflow\'s words', 'chat', 'json', '{"prompt": "ab", "n": 2.5}',
        { kind: 'input', code: 'SCHEMA_MISMATCH',
          message: 'the input does not match the model signature: Incompatible input types for column n. Can not safely convert float64 to int64.' }],
      ['NaN and infinities are written bare, as json.dump does', 'nonfinite', 'json', '{"dataframe_split": {"columns": ["a"], "data": [[1.0], [2.0], [3.0], [4.0]]}}',
        { output: '{"predictions": [NaN, 1.0, Infinity, -Infinity]}' }],
      ...(['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const).map(
        (shape): [string, string, 'json', string, Outcome] => [`iris classifier, ${shape}`, 'iris', 'json', irisInput(shape), { output: '{"predictions": [0, 1, 2, 2]}' }],
      ),
      ['iris classifier, CSV', 'iris', 'csv', `${IRIS_COLUMNS.join(',')}\n${IRIS_ROWS.map((r) => r.join(',')).join('\n')}\n`, { output: '{"predictions": [0, 1, 2, 2]}' }],
    ];

    it.each(cases)('%s (%s)', async (_name, model, contentType, data, expected) => {
      const fast = await run(model, 'auto', contentType, data);
      expect(fast).toEqual(expected);
      const viaMlflow = await run(model, 'mlflow', contentType, data);
      expect(viaMlflow).toEqual(expected);
    }, SLOW);

    it.each([
      ['two input keys', '{"dataframe_split": {"columns": ["i"], "data": [[1]]}, "inputs": [1]}',
        "Received dictionary with input fields: ['dataframe_split', 'inputs']."],
      ['no input key', '{"columns": ["i"], "data": [[1]]}', 'Received dictionary with input fields: [].'],
      ['a list at the top level', '[1, 2]', 'Received a list.'],
    ])('%s is bad input on both runtimes (MLflow words it around a set, so only part is compared)', async (_name, data, part) => {
      for (const runtime of ['auto', 'mlflow'] as const) {
        const outcome = await run('echo', runtime, 'json', data);
        expect(outcome).toMatchObject({ kind: 'input', code: 'BAD_INPUT' });
        expect((outcome as { message: string }).message).toContain('The input must be a JSON dictionary with exactly one of the input fields {');
        expect((outcome as { message: string }).message).toContain(part);
        // MLflow's note on its 2.0 protocol change (~700 characters) is left to --verbose.
        expect((outcome as { message: string }).message).not.toContain('IMPORTANT');
      }
    }, SLOW);

    it('loads sklearn and models-from-code without mlflow, and says why it used mlflow otherwise', async () => {
      expect((await worker('iris', 'auto')).runtime.name).toBe('sklearn');
      expect((await worker('echo', 'auto')).runtime.name).toBe('code-model');
      expect((await worker('chat', 'auto')).runtime.name).toBe('code-model');
      const usesMlflow = await worker('uses-mlflow', 'auto');
      expect(usesMlflow.runtime).toMatchObject({ name: 'mlflow', fallbackReason: 'the model file imports mlflow modules beyond mlflow.models' });
      expect((await usesMlflow.predict({ contentType: 'json', data: '{"inputs": {"a": [1.0, 2.0]}}' })).output).toBe('{"predictions": ["mlflow", "mlflow"]}');
      expect((await worker('echo', 'mlflow')).runtime).toMatchObject({ name: 'mlflow', fallbackReason: '--runtime mlflow' });
    }, SLOW);

    it('--strict-json writes null for NaN and infinities', async () => {
      const client = await worker('nonfinite', 'auto');
      const reply = await client.predict({ contentType: 'json', data: '{"inputs": {"a": [1.0, 2.0, 3.0, 4.0]}}', strictJson: true });
      expect(reply.output).toBe('{"predictions": [null, 1.0, null, null]}');
    }, SLOW);

    it('a print() in the model goes to stderr, not into the protocol', async () => {
      const client = await worker('echo', 'auto');
      await client.predict({ contentType: 'json', data: `{"dataframe_records": [{${ECHO_ROW}}]}` });
      expect(logs.get('echo/auto')).toContain('model says hi on stdout');
    }, SLOW);

    it('a module missing at predict time is reported with its name', async () => {
      const client = await worker('missing', 'auto');
      const error = (await client.predict({ contentType: 'json', data: '{"inputs": {"a": [1.0]}}' }).catch((e: unknown) => e)) as MlfError;
      expect(error.code).toBe('MISSING_MODULE');
      expect(error.message).toBe("the model failed while predicting: ModuleNotFoundError: No module named 'mlf_surely_absent_pkg'");
      expect(error.data).toMatchObject({ module: 'mlf_surely_absent_pkg', distribution: 'mlf-surely-absent-pkg', known: false });
      // The worker keeps serving after a failed request.
      await client.ping();
    }, SLOW);

    it('reads the input file and writes the output file itself, and leaves no bytecode in the model directory', async () => {
      const client = await worker('iris', 'auto');
      const { writeFile } = await import('node:fs/promises');
      const input = path.join(dir, 'iris.json');
      const output = path.join(dir, 'out.json');
      await writeFile(input, irisInput('dataframe_split'));
      const reply = await client.predict({ contentType: 'json', inputPath: input, outputPath: output });
      expect(reply.output).toBeUndefined();
      expect(reply.output_path).toBe(output);
      expect(await readFile(output, 'utf8')).toBe('{"predictions": [0, 1, 2, 2]}');
      const echoFiles = await readdir(path.join(dir, 'models', 'echo'));
      expect(echoFiles).not.toContain('__pycache__');
    }, SLOW);

    /** The error of a predict, as the user sees it: one line, the rest in the cause (--verbose). */
    async function failure(model: string, runtime: RuntimeChoice, input: Parameters<WorkerClient['predict']>[0]): Promise<MlfError> {
      const client = await worker(model, runtime);
      const error = await client.predict(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof MlfError)) throw new Error(`expected an MlfError, got ${String(error)}`);
      return error;
    }

    /** A copy of a saved test model with one file damaged by `damage`. */
    function damagedCopy(model: string, name: string, damage: (modelDir: string) => void): string {
      const target = path.join(dir, 'damaged', name);
      cpSync(path.join(dir, 'models', model), target, { recursive: true });
      damage(target);
      return target;
    }

    function editSignature(modelDir: string, edit: (signature: Record<string, unknown>) => void): void {
      const file = path.join(modelDir, 'MLmodel');
      const document = YAML.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
      edit(document.signature!);
      writeFileSync(file, YAML.stringify(document));
    }

    function lineOf(file: string, text: string): number {
      return readFileSync(file, 'latin1').split('\n').findIndex((l) => l.includes(text)) + 1;
    }

    const irisInputs = '{"inputs": {"sepal length (cm)": [5.1], "sepal width (cm)": [3.5], "petal length (cm)": [1.4], "petal width (cm)": [0.2]}}';

    // [case, model to damage, the damage, expected where (relative to the copy), message]
    const damages: [string, string, (m: string) => void, (m: string) => string, RegExp][] = [
      ['a NUL byte in MLmodel', 'iris',
        (m) => writeFileSync(path.join(m, 'MLmodel'), readFileSync(path.join(m, 'MLmodel'), 'utf8').replace('model_uuid: ', 'model_uuid: a\u0000b')),
        (m) => `${path.join(m, 'MLmodel')}:${lineOf(path.join(m, 'MLmodel'), 'model_uuid')}:14`,
        /^not valid YAML: unacceptable character #x0000: /],
      ['bytes that are not UTF-8 in MLmodel', 'iris',
        (m) => writeFileSync(path.join(m, 'MLmodel'), Buffer.from(readFileSync(path.join(m, 'MLmodel'), 'latin1').replace('model_uuid: ', 'model_uuid: \u00ff\u00fe'), 'latin1')),
        (m) => `${path.join(m, 'MLmodel')}:${lineOf(path.join(m, 'MLmodel'), 'model_uuid')}:13`,
        /^the file is not UTF-8 text: byte 0xff cannot be decoded \(invalid start byte\)$/],
      ['signature inputs that are not JSON', 'iris',
        (m) => editSignature(m, (sig) => { sig.inputs = '[{"type": "double", "name": '; }),
        (m) => `${path.join(m, 'MLmodel')} (field \`signature.inputs\`)`,
        /^the signature's `inputs` is not valid JSON: Expecting value at column 29$/],
      ['a signature column whose name is a list', 'iris',
        (m) => editSignature(m, (sig) => { sig.inputs = '[{"type": "double", "name": ["a"], "required": true}]'; }),
        (m) => `${path.join(m, 'MLmodel')} (field \`signature.inputs\`)`,
        /^the signature's `inputs` entry 1 has a name that is a JSON array, not a string$/],
      ['a signature that is a JSON object, not a list', 'iris',
        (m) => editSignature(m, (sig) => { sig.inputs = '{"type": "double"}'; }),
        (m) => `${path.join(m, 'MLmodel')} (field \`signature.inputs\`)`,
        /^the signature's `inputs` is not a JSON list \(it is a object\)$/],
      ['a model file MLmodel names that is missing', 'iris',
        (m) => rmSync(path.join(m, 'model.pkl')),
        (m) => path.join(m, 'model.pkl'),
        /^cannot read the model file: No such file or directory$/],
      ['a models-from-code file that is not UTF-8', 'echo',
        (m) => appendFileSync(path.join(m, 'echo.py'), Buffer.from('x = "\xff"\n', 'latin1')),
        (m) => `${path.join(m, 'echo.py')}:${lineOf(path.join(m, 'echo.py'), 'x = "')}`,
        /^the model's code is not UTF-8 text: byte 0xff cannot be decoded \(invalid start byte\)$/],
    ];

    it.each(damages)('%s: the load fails with one line naming the file, exit 2, on both runtimes', async (name, model, damage, where, message) => {
      const modelDir = damagedCopy(model, name.replace(/\W+/g, '-'), damage);
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await WorkerClient.start({
          pythonPath: PYTHON,
          modelDir,
          runtime,
          env: { PATH: process.env.PATH, HOME: process.env.HOME },
          cwd: dir,
          pycachePrefix: path.join(dir, 'pycache'),
        }).then(
          async (client) => {
            await client.close();
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(error, runtime).toBeInstanceOf(MlfError);
        const { code, where: shown, message: line, exitCode, detail } = error as MlfError;
        expect({ runtime, code, shown, exitCode, detail }).toEqual({ runtime, code: 'BAD_MODEL_FILE', shown: where(modelDir), exitCode: 2, detail: undefined });
        expect(line).toMatch(message);
      }
    }, SLOW);

    it.each([
      ['a CSV number too large for a float (1e309)', '1e309,3.5,1.4,0.2\n', /^the model raised an exception while predicting: ValueError: Input X contains infinity or a value too large for dtype\('float64'\)\.$/],
      ['an empty CSV cell', ',3.5,1.4,0.2\n', /^the model raised an exception while predicting: ValueError: Input X contains NaN\. LogisticRegression does not accept .*… \(\d+ more characters; --verbose shows all\)$/],
      ['a CSV with a header only', '', /^the model raised an exception while predicting: ValueError: Found array with 0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is required by LogisticRegression\.$/],
    ])('%s: the model\'s own failure, one line, exit 1, the traceback for --verbose (both runtimes)', async (_name, rows, message) => {
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('iris', runtime, { contentType: 'csv', data: `${IRIS_COLUMNS.join(',')}\n${rows}` });
        expect([error.code, error.exitCode, error.hint]).toEqual(['MODEL_PREDICT_FAILED', 1, '--verbose shows the Python traceback']);
        expect(error.message).toMatch(message);
        expect(error.message.length).toBeLessThan(400);
        expect((error.cause as Error).stack).toMatch(/the Python traceback:\nTraceback \(most recent call last\):\n[\s\S]*sklearn[\s\S]*ValueError/);
      }
    }, SLOW);

    it('a payload nested 1,000,000 deep is refused with its depth, no RecursionError (both runtimes)', async () => {
      const depth = 1_000_000;
      const data = `{"inputs": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('iris', runtime, { contentType: 'json', data });
        expect([error.code, error.exitCode, error.hint]).toEqual(['BAD_INPUT', 2, 'flatten the input']);
        expect(error.message).toBe(
          "Invalid input. The JSON nests 1,000,001 levels of arrays and objects deep (at line 1, column 1000011): more than Python's JSON parser, which MLflow uses too, can read (about 1,000 levels)",
        );
      }
      // The worker is still there.
      expect((await (await worker('iris', 'auto')).predict({ contentType: 'json', data: irisInputs })).output).toBe('{"predictions": [0]}');
    }, SLOW);

    it('a payload that parses but nests too deeply to convert is bad input too (both runtimes)', async () => {
      const data = `{"inputs": ${'['.repeat(900)}1${']'.repeat(900)}}`;
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('iris', runtime, { contentType: 'json', data });
        expect([error.code, error.message]).toEqual(['BAD_INPUT', "Invalid input. The input nests arrays or objects too deeply to be converted to the model's input"]);
      }
    }, SLOW);

    it('a 10 MB value echoed in the message is cut to one line; --verbose keeps all of it (both runtimes)', async () => {
      const huge = 'x'.repeat(10_000_000);
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('iris', runtime, { contentType: 'json', data: `{"inputs": "${huge}"}` });
        expect(error.code).toBe('BAD_INPUT');
        expect(error.message).toMatch(/^Invalid input\. .*x… \(\d{7} more characters; --verbose shows all\)$/);
        expect(error.message.length).toBeLessThan(400);
        expect((error.cause as Error).stack).toContain(huge);
      }
    }, SLOW);

    it('a signature mismatch is one line; MLflow\'s full message with the pandas dump is kept for --verbose (both runtimes)', async () => {
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('echo', runtime, { contentType: 'json', data: '{"dataframe_records": [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "x"}]}' });
        expect(error.message).toBe("the input does not match the model signature: Model is missing inputs ['b'].");
        expect((error.cause as Error).stack).toContain(
          `the worker's full message:\nFailed to enforce schema of data '   i  l    f    d  s\n0  1  2  1.5  2.5  x' with schema ${ECHO_SCHEMA}. Error: Model is missing inputs ['b'].`,
        );
      }
    }, SLOW);

    it('CSV given as JSON: "looks like CSV; pass `-t csv`" (both runtimes)', async () => {
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('iris', runtime, { contentType: 'json', data: `${IRIS_COLUMNS.join(',')}\n5.1,3.5,1.4,0.2\n` });
        expect([error.code, error.hint]).toEqual(['BAD_INPUT', 'the input looks like CSV: pass `-t csv`']);
        expect(error.message).toBe("Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError('Expecting value: line 1 column 1 (char 0)')'");
      }
      // JSON that is merely broken gets no such hint.
      expect((await failure('iris', 'auto', { contentType: 'json', data: '{"inputs": [1, 2}' })).hint).toBeUndefined();
    }, SLOW);

    it('input files that are not UTF-8 are named with the line and column of the first bad byte (JSON and CSV, both runtimes)', async () => {
      const json = path.join(dir, 'latin1.json');
      writeFileSync(json, Buffer.from('{"inputs":\n  {"a": "caf\xe9"}}', 'latin1'));
      const csv = path.join(dir, 'latin1.csv');
      writeFileSync(csv, Buffer.concat([Buffer.from(`${IRIS_COLUMNS.join(',')}\n${'5.1,3.5,1.4,0.2\n'.repeat(100_000)}`), Buffer.from('5.1,3.5,1.\xe9,0.2\n', 'latin1')]));
      for (const runtime of ['auto', 'mlflow'] as const) {
        const fromJson = await failure('iris', runtime, { contentType: 'json', inputPath: json, inputLabel: 'latin1.json' });
        expect([fromJson.code, fromJson.where, fromJson.message]).toEqual(['BAD_INPUT', 'latin1.json:2:13', 'the input is not UTF-8 text: byte 0xe9 cannot be decoded (invalid continuation byte)']);
        const fromCsv = await failure('iris', runtime, { contentType: 'csv', inputPath: csv });
        expect([fromCsv.code, fromCsv.where, fromCsv.message]).toEqual([
          'BAD_INPUT', `${csv}:100002:11`, 'the input is not UTF-8 text: byte 0xe9 cannot be decoded (invalid continuation byte)',
        ]);
      }
    }, SLOW);

    it('an output the model returns that JSON cannot hold is the model\'s failure (both runtimes)', async () => {
      for (const runtime of ['auto', 'mlflow'] as const) {
        const error = await failure('unencodable', runtime, { contentType: 'json', data: '{"inputs": {"a": [1.0]}}' });
        expect([error.code, error.exitCode, error.message]).toEqual([
          'MODEL_PREDICT_FAILED', 1, "the model raised an exception while predicting: the model's output cannot be written as JSON: TypeError: Object of type object is not JSON serializable",
        ]);
      }
    }, SLOW);

    it('an output file that cannot be written is named', async () => {
      const error = await failure('iris', 'auto', { contentType: 'json', data: irisInputs, outputPath: path.join(dir, 'no-such-dir', 'o.json'), outputLabel: 'no-such-dir/o.json' });
      expect([error.code, error.where, error.message]).toEqual(['BAD_INPUT', 'no-such-dir/o.json', 'cannot write the output file: No such file or directory']);
    }, SLOW);

    it('a missing input file is bad input', async () => {
      const client = await worker('iris', 'auto');
      const error = (await client.predict({ contentType: 'csv', inputPath: path.join(dir, 'nope.csv') }).catch((e: unknown) => e)) as MlfError;
      expect([error.code, error.where, error.message]).toEqual(['BAD_INPUT', path.join(dir, 'nope.csv'), 'the input file does not exist']);
    }, SLOW);
  });
}

function irisInput(shape: 'dataframe_split' | 'dataframe_records' | 'instances' | 'inputs'): string {
  const records = IRIS_ROWS.map((row) => Object.fromEntries(IRIS_COLUMNS.map((c, i) => [c, row[i]])));
  switch (shape) {
    case 'dataframe_split':
      return JSON.stringify({ dataframe_split: { columns: IRIS_COLUMNS, data: IRIS_ROWS } });
    case 'dataframe_records':
      return JSON.stringify({ dataframe_records: records });
    case 'instances':
      return JSON.stringify({ instances: records });
    case 'inputs':
      return JSON.stringify({ inputs: Object.fromEntries(IRIS_COLUMNS.map((c, i) => [c, IRIS_ROWS.map((r) => r[i])])) });
  }
}
