import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import { describe as describeError } from '../../src/cli/render.js';
import { WorkerClient, type StartWorkerOptions } from '../../src/worker/worker-client.js';
import { failureOfReply, oneLine, replyFailureError, WorkerFailureError, type WorkerFileNames, type WorkerStage } from '../../src/worker/failure.js';
import { PROTOCOL_VERSION, parseWorkerLine, type ErrorReply } from '../../src/worker/protocol.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake', 'fake-worker.mjs');

function fakeOptions(mode: string, extra: Record<string, string> = {}, overrides: Partial<StartWorkerOptions> = {}): StartWorkerOptions {
  return {
    pythonPath: 'unused',
    modelDir: '/models/m',
    env: { PATH: process.env.PATH, FAKE_MODE: mode, ...extra },
    cwd: process.cwd(),
    command: { file: process.execPath, args: [FAKE] },
    helloTimeoutMs: 10_000,
    ...overrides,
  };
}

/** A worker's error reply as the worker layer throws it. */
function workerErrorToMlfError(reply: ErrorReply, stage: WorkerStage, names?: WorkerFileNames): WorkerFailureError {
  return replyFailureError(failureOfReply(reply, stage), names);
}

async function startError(options: StartWorkerOptions): Promise<MlfError> {
  try {
    const client = await WorkerClient.start(options);
    await client.close();
  } catch (error) {
    if (error instanceof MlfError) return error;
    throw error;
  }
  throw new Error('expected WorkerClient.start to fail');
}

describe('WorkerClient against a fake worker', () => {
  it('says hello, loads, predicts, passes the explicit environment and arguments, and shuts down', async () => {
    const logs: string[] = [];
    const client = await WorkerClient.start(
      fakeOptions('ok', {}, { extraEnv: { FOO: 'bar' }, runtime: 'mlflow', pycachePrefix: '/tmp/pyc', onStderr: (line) => logs.push(line) }),
    );
    expect(client.hello.protocol).toBe(PROTOCOL_VERSION);
    expect(client.runtime).toEqual({ name: 'sklearn', loadMs: 12.5 });
    const reply = await client.predict({ contentType: 'csv', inputPath: '/data/in.csv', outputPath: '/data/out.json' });
    expect(JSON.parse(reply.output!)).toEqual({
      echo: { id: 1, type: 'predict', content_type: 'csv', input_path: '/data/in.csv', output_path: '/data/out.json' },
    });
    const inline = await client.predict({ contentType: 'json', data: '{"inputs": [1]}' });
    expect(JSON.parse(inline.output!)).toEqual({ echo: { id: 2, type: 'predict', content_type: 'json', data: '{"inputs": [1]}' } });
    await client.close();
    expect(logs).toEqual(['started with --model-dir /models/m --runtime mlflow --pycache-prefix /tmp/pyc FOO=bar']);
  });

  it('passes the model cache directory to the worker', async () => {
    const logs: string[] = [];
    const client = await WorkerClient.start(fakeOptions('ok', {}, { modelCacheDir: '/envs/uv-1/mlf-model-cache', onStderr: (line) => logs.push(line) }));
    await client.close();
    expect(logs).toEqual(['started with --model-dir /models/m --runtime auto --model-cache-dir /envs/uv-1/mlf-model-cache FOO=']);
  });

  it('hands `log` messages to onLog, during the load and before a reply, and answers as usual', async () => {
    const logs: unknown[] = [];
    const client = await WorkerClient.start(fakeOptions('log', {}, { onLog: (log) => logs.push(log) }));
    expect(logs).toEqual([{ level: 'info', message: 'loaded from the cache' }]);
    const reply = await client.predict({ contentType: 'json', data: '{}' });
    expect(JSON.parse(reply.output!)).toEqual({ echo: { id: 1, type: 'predict', content_type: 'json', data: '{}' } });
    expect(logs).toEqual([
      { level: 'info', message: 'loaded from the cache' },
      { level: 'warning', message: 'Found extra inputs' },
    ]);
    await client.close();
  });

  it('reports why auto fell back to mlflow', async () => {
    const client = await WorkerClient.start(fakeOptions('fallback'));
    expect(client.runtime).toEqual({ name: 'mlflow', loadMs: 12.5, fallbackReason: 'loader_module `x` needs mlflow' });
    await client.close();
  });

  it.each([
    ['old-protocol', 'internal', 'WORKER_PROTOCOL_MISMATCH', `the worker speaks protocol 99, this mlf speaks ${PROTOCOL_VERSION}`, 'protocol'],
    ['garbage', 'internal', 'WORKER_PROTOCOL', 'the worker wrote a line that is not a protocol message: not JSON (Unexpected token \'h\', "this is not json" is not valid JSON)', 'protocol'],
    ['die-at-start', 'model', 'WORKER_EXITED', 'the model worker exited with code 7 before answering', 'crashed'],
    ['load-missing-module', 'model', 'MISSING_MODULE', "the model could not be loaded: ModuleNotFoundError: No module named 'cv2'", 'missing-module'],
  ])('start-up failure %s -> %s %s', async (mode, category, code, message, kind) => {
    const error = await startError(fakeOptions(mode));
    expect(error.category).toBe(category);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error).toBeInstanceOf(WorkerFailureError);
    expect((error as WorkerFailureError).failure).toMatchObject({ kind, stage: 'load' });
  });

  it('keeps the stderr tail of a worker that dies: its last line in the hint, all of it for --verbose', async () => {
    const error = await startError(fakeOptions('die-at-start'));
    expect(error.detail).toBeUndefined();
    expect(error.hint).toBe('its last line on stderr: `Segmentation fault, or so`; --verbose shows all it wrote');
    expect((error.cause as Error).stack).toBe("the worker's last lines on stderr:\nTraceback (most recent call last):\nSegmentation fault, or so");
    expect(error.exitCode).toBe(1);
  });

  it('fails a pending predict when the worker dies mid-request', async () => {
    const client = await WorkerClient.start(fakeOptions('die-on-predict'));
    const error = await client.predict({ contentType: 'json', inputPath: '/x.json' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe('the model worker exited with code 9 before answering');
    expect((error as WorkerFailureError).failure).toEqual({ kind: 'crashed', stage: 'predict', message: 'the model worker exited with code 9 before answering', stderrTail: 'started with --model-dir /models/m --runtime auto FOO=\nabout to die' });
    expect((error as MlfError).hint).toContain('`about to die`');
    await client.close();
  });

  it('rejects a reply that does not match the schema', async () => {
    const client = await WorkerClient.start(fakeOptions('bad-reply'));
    const error = (await client.predict({ contentType: 'json', inputPath: '/x.json' }).catch((e: unknown) => e)) as MlfError;
    expect(error.code).toBe('WORKER_PROTOCOL');
    expect(error.message).toBe('the worker wrote a line that is not a protocol message: unexpected message shape (timings: Invalid input: expected object, received string)');
    await client.close();
  });

  it.each([
    ['bad_input', "Invalid input. Dataframe split format must be a dictionary. Got list.", 'input', 'BAD_INPUT', 2],
    ['schema', "Failed to enforce schema of data 'x' with schema 'y'. Error: Model is missing inputs ['a'].", 'input', 'SCHEMA_MISMATCH', 2],
    ['model_error', 'ValueError: it failed', 'model', 'MODEL_PREDICT_FAILED', 1],
    ['internal', 'KeyError: 1', 'internal', 'WORKER_INTERNAL', 1],
    ['bad_request', 'unknown request type', 'internal', 'WORKER_INTERNAL', 1],
    ['bad_model_file', 'not valid YAML: unacceptable character #x0000', 'input', 'BAD_MODEL_FILE', 2],
  ])('a predict error of kind %s becomes %s, one line, with the traceback kept for --verbose', async (kind, message, category, code, exitCode) => {
    const client = await WorkerClient.start(fakeOptions('ok', { FAKE_ERROR_KIND: kind, FAKE_ERROR_MESSAGE: message }));
    const error = (await client.predict({ contentType: 'json', inputPath: '/x.json' }).catch((e: unknown) => e)) as MlfError;
    await client.close();
    expect(error).toBeInstanceOf(MlfError);
    expect([error.category, error.code, error.exitCode]).toEqual([category, code, exitCode]);
    expect(error.message).toContain(message);
    expect(error.detail).toBeUndefined();
    expect(describeError(error)).not.toContain('\n');
    expect(describeError(error)).not.toContain('Traceback');
    expect((error.cause as Error).stack).toBe('the Python traceback:\nTraceback (most recent call last):\n  File "x"\nValueError: it failed');
  });

  it('an interpreter that does not exist is reported, not hung on', async () => {
    const error = await startError({ ...fakeOptions('ok'), command: { file: '/nonexistent/python3', args: [] } });
    expect([error.category, error.code, error.exitCode]).toEqual(['environment', 'PYTHON_NOT_FOUND', 3]);
    expect(error.message).toBe("cannot start the environment's interpreter `/nonexistent/python3`");
    expect((error as WorkerFailureError).failure.kind).toBe('no-interpreter');
  });
});

describe('workerErrorToMlfError: one line naming the file, the rest under --verbose', () => {
  const names = {
    modelDir: '/abs/models/m',
    modelLabel: 'models/m',
    inputPath: '/abs/in.csv',
    inputLabel: 'in.csv',
    outputPath: '/abs/out/o.json',
    outputLabel: 'out/o.json',
  };
  const bad = (reply: Partial<ErrorReply>): ErrorReply => ({ ok: false, kind: 'bad_input', message: 'it is bad', ...reply });

  it.each<[string, Partial<ErrorReply>, string, number]>([
    ['a file of the model, with line and column, as the user named the model',
      { kind: 'bad_model_file', message: 'not valid YAML: unacceptable character #x0000: control characters are not allowed', file: '/abs/models/m/MLmodel', line: 20, column: 14 },
      'models/m/MLmodel:20:14: not valid YAML: unacceptable character #x0000: control characters are not allowed', 2],
    ['a field of MLmodel, with the worker\'s hint',
      { kind: 'bad_model_file', message: "the signature's `inputs` is not valid JSON: Expecting value at column 29", file: '/abs/models/m/MLmodel', field: 'signature.inputs', hint: 'correct the signature' },
      "models/m/MLmodel (field `signature.inputs`): the signature's `inputs` is not valid JSON: Expecting value at column 29; correct the signature", 2],
    ['the input file, as the user named it',
      { message: 'the input is not UTF-8 text: byte 0xff cannot be decoded (invalid start byte)', file: '/abs/in.csv', line: 3, column: 5 },
      'in.csv:3:5: the input is not UTF-8 text: byte 0xff cannot be decoded (invalid start byte)', 2],
    ['a bad input the worker names no file for: the input file',
      { message: 'Invalid input. Dataframe records format must be a list of records. Got dictionary.' },
      'in.csv: Invalid input. Dataframe records format must be a list of records. Got dictionary.', 2],
    ['the output file', { message: 'cannot write the output file: Permission denied', file: '/abs/out/o.json' }, 'out/o.json: cannot write the output file: Permission denied', 2],
    ['JSON that looks like CSV',
      { message: "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError('Expecting value: line 1 column 1 (char 0)')'", input_looks_like: 'csv' },
      "in.csv: Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError('Expecting value: line 1 column 1 (char 0)')'; the input looks like CSV: pass `-t csv`", 2],
    ['a signature mismatch names the input',
      { kind: 'schema', message: "Model is missing inputs ['b'].", detail: "Failed to enforce schema of data '   a\n0  1' with schema '['b': long (required)]'. Error: Model is missing inputs ['b']." },
      "in.csv: the input does not match the model signature: Model is missing inputs ['b'].; MLmodel `signature.inputs` lists the columns and types the model takes; --verbose shows MLflow's full message", 2],
    ['the model\'s own exception', { kind: 'model_error', message: 'ValueError: Input X contains NaN.' },
      'the model raised an exception while predicting: ValueError: Input X contains NaN.; --verbose shows the Python traceback', 1],
    ['a load failure names the model file the loader read', { kind: 'load_error', message: 'UnpicklingError: invalid load key', file: '/abs/models/m/model.pkl' },
      'models/m/model.pkl: the model could not be loaded: UnpicklingError: invalid load key; --verbose shows the Python traceback', 1],
    ['a failure of the worker itself', { kind: 'internal', message: 'KeyError: 1' },
      'the model worker failed: KeyError: 1; this is a bug in mlf: --verbose shows the Python traceback; please report it', 1],
  ])('%s', (_name, reply, line, exitCode) => {
    const error = workerErrorToMlfError(bad(reply), 'predict', names);
    expect(describeError(error)).toBe(line);
    expect(error.exitCode).toBe(exitCode);
    expect(error.detail).toBeUndefined();
  });

  it('a message of many lines or many characters is cut to one line; the full text and the traceback are the cause', () => {
    const message = `ValueError: Input X contains NaN.\nLogisticRegression does not accept ${'x'.repeat(400)}`;
    const error = workerErrorToMlfError(bad({ kind: 'model_error', message, traceback: 'Traceback (most recent call last):\n  File "m.py"\nValueError\n' }), 'predict');
    const line = describeError(error);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^the model raised an exception while predicting: ValueError: Input X contains NaN\. LogisticRegression does not accept x+… \(\d+ more characters; --verbose shows all\); --verbose shows the Python traceback$/);
    expect(line.length).toBeLessThan(450);
    expect((error.cause as Error).stack).toBe(`the worker's full message:\n${message}\n\nthe Python traceback:\nTraceback (most recent call last):\n  File "m.py"\nValueError`);
  });

  it('a message the worker has cut already keeps the worker\'s count', () => {
    const message = `Invalid input. Failed to convert data \`${'x'.repeat(250)}… (9999821 more characters; --verbose shows all)`;
    expect(workerErrorToMlfError(bad({ message }), 'predict').message).toBe(message);
  });

  it('oneLine flattens blanks and line breaks, and leaves short text alone', () => {
    expect(oneLine('a\n   b\t c ')).toBe('a b c');
    expect(oneLine('y'.repeat(300))).toBe('y'.repeat(300));
    expect(oneLine('y'.repeat(301))).toBe(`${'y'.repeat(300)}… (1 more characters; --verbose shows all)`);
  });
});

describe('workerErrorToMlfError: the missing-module story', () => {
  const reply = (module: string): ErrorReply => ({
    ok: false,
    kind: 'missing_module',
    module,
    message: `ModuleNotFoundError: No module named '${module}'`,
  });

  it('names the module and the distribution; the commands are the CLI\'s (cli/fix-commands.ts)', () => {
    const error = workerErrorToMlfError(reply('cv2'), 'load');
    expect(error.exitCode).toBe(1);
    expect(describeError(error)).toBe(
      "the model could not be loaded: ModuleNotFoundError: No module named 'cv2'; `cv2` is provided by the distribution `opencv-python`, which is not installed in the model's environment",
    );
    expect(error.detail).toBeUndefined();
    expect(error.data).toEqual({ module: 'cv2', distribution: 'opencv-python', known: true, pythonMessage: "ModuleNotFoundError: No module named 'cv2'", stage: 'load' });
    expect(error.failure).toEqual({ kind: 'missing-module', stage: 'load', replyKind: 'missing_module', module: 'cv2', message: "ModuleNotFoundError: No module named 'cv2'" });
  });

  it('names no distribution, and proposes no command, for a module no table knows', () => {
    const error = workerErrorToMlfError(reply('foo_bar.baz'), 'predict');
    expect(error.hint).toBe(
      "`foo_bar.baz` is not installed in the model's environment, and no table of mlf's says which distribution provides it: if it is the model's own code, re-save the model with it as a code path",
    );
    expect(error.detail).toBeUndefined();
    expect(error.message).toBe("the model failed while predicting: ModuleNotFoundError: No module named 'foo_bar.baz'");
  });
});

describe('parseWorkerLine', () => {
  it.each([
    ['{"ok": true, "type": "pong", "id": 3}', undefined],
    ['{"ok": false, "kind": "schema", "message": "m", "id": null}', undefined],
    ['{"ok": false, "kind": "exploded", "message": "m"}', 'unexpected message shape'],
    ['{"ok": true, "type": "ready", "runtime": "sklearn"}', 'unexpected message shape'],
    ['[1, 2]', 'unexpected message shape'],
    ['{"predictions": [NaN]}', 'not JSON'],
    ['{"ok": true, "type": "log", "level": "warning", "message": "m"}', undefined],
    ['{"ok": true, "type": "log", "level": "debug", "message": "m"}', 'unexpected message shape (level:'],
    ['{"ok": true, "type": "log", "level": "info"}', 'unexpected message shape (message:'],
  ])('%s', (line, problem) => {
    const parsed = parseWorkerLine(line);
    if (problem === undefined) expect('message' in parsed).toBe(true);
    else expect('problem' in parsed && parsed.problem.startsWith(problem)).toBe(true);
  });
});

