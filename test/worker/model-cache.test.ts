/**
 * The worker's skops transcoding cache (mlf_worker/cache/skops.py), its bytecode prefix and its quick exit, run
 * for real with the Python that has MLflow (MLF_E2E_PYTHON, default <repo>/.e2e/venv/bin/python).
 *
 * The model is a copy of fixtures/models/sklearn-iris (saved by MLflow 3.17 in skops format);
 * "a changed model" is a DummyClassifier dumped with skops over its model.skops, so a stale cache
 * entry would show as wrong predictions, not only as a log line.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkerClient } from '../../src/worker/worker-client.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const PYTHON = process.env.MLF_E2E_PYTHON ?? path.join(REPO, '.e2e', 'venv', 'bin', 'python');
const FIXTURE = path.join(REPO, 'fixtures', 'models', 'sklearn-iris');
const SLOW = 300_000;

const IRIS_INPUT = JSON.stringify({
  dataframe_split: {
    columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [7.0, 3.2, 4.7, 1.4],
      [6.3, 3.3, 6.0, 2.5],
    ],
  },
});
const IRIS_OUTPUT = '{"predictions": [0, 1, 2]}';
/** What the DummyClassifier written by `beforeAll` predicts for any row. */
const DUMMY_OUTPUT = '{"predictions": [7, 7, 7]}';
const MAGIC = 'mlf-skops-pickle 1\n';

if (!existsSync(PYTHON)) {
  describe('the skops transcoding cache', () => {
    it.skip(`skipped: no Python with MLflow at \`${PYTHON}\` (set MLF_E2E_PYTHON or create .e2e/venv)`, () => undefined);
  });
} else {
  describe('the skops transcoding cache', () => {
    let work: string;
    let model: string;
    let cacheDir: string;
    let dummySkops: Buffer;

    beforeAll(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'mlf-model-cache-test-'));
      const dummy = path.join(work, 'dummy.skops');
      await execa(PYTHON, [
        '-c',
        [
          'import sys, skops.io',
          'from sklearn.dummy import DummyClassifier',
          'm = DummyClassifier(strategy="constant", constant=7).fit([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]], [7, 8])',
          'skops.io.dump(m, sys.argv[1])',
        ].join('\n'),
        dummy,
      ]);
      dummySkops = await readFile(dummy);
    }, SLOW);

    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    beforeEach(async (context) => {
      const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      model = path.join(work, name, 'model');
      cacheDir = path.join(work, name, 'env', 'mlf-model-cache');
      await cp(FIXTURE, model, { recursive: true });
    });

    /** Starts a worker on `model`, predicts once, closes it; its output and its `log` messages (as `level: message`) and stderr lines. */
    async function predictOnce(options: { modelCacheDir?: string; env?: Record<string, string> } = {}) {
      const logs: string[] = [];
      const client = await WorkerClient.start({
        pythonPath: PYTHON,
        modelDir: model,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
        cwd: work,
        pycachePrefix: path.join(work, 'pycache'),
        modelCacheDir: 'modelCacheDir' in options ? options.modelCacheDir : cacheDir,
        onLog: (log) => logs.push(`${log.level}: ${log.message}`),
        onStderr: (line) => logs.push(line),
      });
      try {
        expect(client.runtime.name).toBe('sklearn');
        const reply = await client.predict({ contentType: 'json', data: IRIS_INPUT });
        return { output: reply.output, logs };
      } finally {
        await client.close();
      }
    }

    async function cacheFiles(): Promise<string[]> {
      return (await readdir(cacheDir).catch(() => [] as string[])).sort();
    }

    const cachedLine = (file: string) => `info: cached the skops model as a pickle in \`${path.join(cacheDir, file)}\``;
    const hitLine = (file: string) => `info: loaded the skops model from mlf's cache \`${path.join(cacheDir, file)}\``;

    it('the first load goes through skops and writes the cache; the second is served from it, with the same bytes', async () => {
      const first = await predictOnce();
      expect(first.output).toBe(IRIS_OUTPUT);
      const files = await cacheFiles();
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^[0-9a-f]{64}\.pkl$/);
      expect(first.logs).toContain(cachedLine(files[0]!));

      const second = await predictOnce();
      expect(second.output).toBe(IRIS_OUTPUT);
      expect(second.logs).toContain(hitLine(files[0]!));
      expect(second.logs.filter((l) => l.includes('cached the skops model'))).toEqual([]);
      expect(await cacheFiles()).toEqual(files);

      // The file: mlf's header, the payload's SHA-256, the payload; owner-only, no temp files left.
      const blob = await readFile(path.join(cacheDir, files[0]!));
      const header = MAGIC.length + 64 + 1;
      expect(blob.subarray(0, MAGIC.length).toString()).toBe(MAGIC);
      expect(blob.subarray(MAGIC.length, header - 1).toString()).toBe(createHash('sha256').update(blob.subarray(header)).digest('hex'));
      expect((await stat(path.join(cacheDir, files[0]!))).mode & 0o777).toBe(0o600);
    }, SLOW);

    it('probabilities (floats) are byte-identical from skops, from the cache and from MLflow\'s own loader', async () => {
      const mlmodel = path.join(model, 'MLmodel');
      await writeFile(mlmodel, (await readFile(mlmodel, 'utf8')).replace('predict_fn: predict\n', 'predict_fn: predict_proba\n'));
      const fromSkops = await predictOnce();
      const fromCache = await predictOnce();
      expect(fromCache.logs.some((l) => l.includes("from mlf's cache"))).toBe(true);
      expect(fromSkops.output).toMatch(/^\{"predictions": \[\[0\.9\d+, /);
      expect(fromCache.output).toBe(fromSkops.output);
      const client = await WorkerClient.start({
        pythonPath: PYTHON,
        modelDir: model,
        runtime: 'mlflow',
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        cwd: work,
        pycachePrefix: path.join(work, 'pycache'),
      });
      try {
        expect((await client.predict({ contentType: 'json', data: IRIS_INPUT })).output).toBe(fromSkops.output);
      } finally {
        await client.close();
      }
    }, SLOW);

    it('a changed model file is a different key: the new model is loaded with skops, never the stale pickle', async () => {
      expect((await predictOnce()).output).toBe(IRIS_OUTPUT);
      const [irisFile] = await cacheFiles();
      await writeFile(path.join(model, 'model.skops'), dummySkops);

      const changed = await predictOnce();
      expect(changed.output).toBe(DUMMY_OUTPUT);
      const files = await cacheFiles();
      expect(files).toHaveLength(2);
      const dummyFile = files.find((f) => f !== irisFile)!;
      expect(changed.logs).toContain(cachedLine(dummyFile));
      expect(changed.logs.some((l) => l.includes("from mlf's cache"))).toBe(false);

      const again = await predictOnce();
      expect(again.output).toBe(DUMMY_OUTPUT);
      expect(again.logs).toContain(hitLine(dummyFile));
    }, SLOW);

    /** Each corruption of a cache file, and the reason the warning gives. */
    const corruptions: [string, (blob: Buffer) => Buffer, string][] = [
      ['a byte of the payload flipped', (blob) => flipLastByte(blob), 'its checksum does not match its contents'],
      ['truncated', (blob) => blob.subarray(0, blob.length - 10), 'its checksum does not match its contents'],
      ['empty', () => Buffer.alloc(0), "it does not start with mlf's header"],
      ['a bare pickle (no header)', (blob) => blob.subarray(MAGIC.length + 65), "it does not start with mlf's header"],
      ['a well-formed header around bytes that are not a pickle', () => withHeader(Buffer.from('not a pickle')),
        'it does not unpickle: UnpicklingError: invalid load key, \'n\'.'],
    ];

    it.each(corruptions)('a corrupt cache file (%s) is discarded with a warning and rebuilt', async (_name, corrupt, reason) => {
      expect((await predictOnce()).output).toBe(IRIS_OUTPUT);
      const [file] = await cacheFiles();
      const full = path.join(cacheDir, file!);
      const good = await readFile(full);
      await writeFile(full, corrupt(good));

      const rebuilt = await predictOnce();
      expect(rebuilt.output).toBe(IRIS_OUTPUT);
      expect(rebuilt.logs).toContain(
        `warning: discarding the corrupt model cache file \`${full}\` (${reason}); loading the model with skops and caching it again`,
      );
      expect(rebuilt.logs).toContain(cachedLine(file!));
      expect(await readFile(full)).toEqual(good);
      expect((await predictOnce()).logs).toContain(hitLine(file!));
    }, SLOW);

    it('never writes inside the model directory: a cache directory there is refused, and the model is left byte for byte', async () => {
      const before = await snapshot(model);
      const inside = path.join(model, 'cache');
      const run = await predictOnce({ modelCacheDir: inside });
      expect(run.output).toBe(IRIS_OUTPUT);
      expect(run.logs).toContain(`info: not caching the model: the cache directory \`${inside}\` is inside the model directory`);
      expect(await snapshot(model)).toEqual(before);

      // The ordinary case writes only into the cache directory.
      await predictOnce();
      expect(await snapshot(model)).toEqual(before);
      expect(await cacheFiles()).toHaveLength(1);
    }, SLOW);

    it('without a cache directory, nothing is cached', async () => {
      const run = await predictOnce({ modelCacheDir: undefined });
      expect(run.output).toBe(IRIS_OUTPUT);
      expect(run.logs.filter((l) => l.includes('cache'))).toEqual([]);
      expect(await cacheFiles()).toEqual([]);
    }, SLOW);

    it('writes bytecode under the pycache prefix even with PYTHONDONTWRITEBYTECODE set (nothing next to any source)', async () => {
      const prefix = path.join(work, 'pycache');
      await rm(prefix, { recursive: true, force: true });
      await predictOnce({ env: { PYTHONDONTWRITEBYTECODE: '1' } });
      const yamlBytecode = await findFiles(prefix, (f) => /[\\/]yaml[\\/]__init__\.cpython-\d+\.pyc$/.test(f));
      expect(yamlBytecode).toHaveLength(1);
      expect(await findFiles(model, (f) => f.endsWith('.pyc'))).toEqual([]);
    }, SLOW);
  });

  describe('the worker\'s quick exit', () => {
    let work: string;
    beforeAll(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'mlf-worker-exit-test-'));
    });
    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    /** A models-from-code model whose code leaves work for the interpreter's exit. */
    async function codeModel(name: string, source: string): Promise<string> {
      const dir = path.join(work, name);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'model.py'), source);
      await writeFile(
        path.join(dir, 'MLmodel'),
        'flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.loaders.code_model\n    model_code_path: model.py\n',
      );
      return dir;
    }

    // [case, model source, the file it must have written by the time close() returns, its content]
    const cases: [string, string, string][] = [
      [
        'a file left open with buffered writes is flushed',
        'import os\nfrom mlflow.models import set_model\nsink = open(os.environ["SINK"], "w")\nsink.write("opened\\n")\n' +
          'def predict(model_input):\n    sink.write("predicted\\n")\n    return [1]\nset_model(predict)\n',
        'opened\npredicted\n',
      ],
      [
        'atexit handlers run',
        'import atexit, os\nfrom mlflow.models import set_model\n' +
          'def bye():\n    with open(os.environ["SINK"], "w") as f:\n        f.write("atexit ran")\natexit.register(bye)\n' +
          'def predict(model_input):\n    return [1]\nset_model(predict)\n',
        'atexit ran',
      ],
      [
        'what C code wrote through stdio and never flushed reaches the file',
        'import ctypes, os\nfrom mlflow.models import set_model\nlibc = ctypes.CDLL(None)\n' +
          'libc.fopen.restype = ctypes.c_void_p\nlibc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]\n' +
          'libc.fputs.argtypes = [ctypes.c_char_p, ctypes.c_void_p]\n' +
          'stream = libc.fopen(os.environ["SINK"].encode(), b"w")\n' +
          'def predict(model_input):\n    libc.fputs(b"written by C", stream)\n    return [1]\nset_model(predict)\n',
        'written by C',
      ],
      [
        'a non-daemon thread still running is waited for',
        'import os, threading, time\nfrom mlflow.models import set_model\n' +
          'def late():\n    time.sleep(1.0)\n    with open(os.environ["SINK"], "w") as f:\n        f.write("thread finished")\n' +
          'def predict(model_input):\n    threading.Thread(target=late).start()\n    return [1]\nset_model(predict)\n',
        'thread finished',
      ],
    ];

    it.each(cases)('%s', async (name, source, expected) => {
      const dir = await codeModel(name.replace(/[^a-z]+/g, '-'), source);
      const sink = path.join(work, `${path.basename(dir)}.out`);
      const client = await WorkerClient.start({
        pythonPath: PYTHON,
        modelDir: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, SINK: sink },
        cwd: work,
        pycachePrefix: path.join(work, 'pycache'),
      });
      expect(client.runtime.name).toBe('code-model');
      expect((await client.predict({ contentType: 'json', data: '{"inputs": [1.0]}' })).output).toBe('{"predictions": [1]}');
      await client.close();
      expect(await readFile(sink, 'utf8')).toBe(expected);
    }, SLOW);
  });
}

function flipLastByte(blob: Buffer): Buffer {
  const copy = Buffer.from(blob);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
  return copy;
}

function withHeader(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(MAGIC), Buffer.from(createHash('sha256').update(payload).digest('hex') + '\n'), payload]);
}

/** Every file under `root` with the SHA-256 of its bytes (directories listed too). */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of await findFiles(root, () => true)) out[path.relative(root, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  return out;
}

async function findFiles(root: string, keep: (file: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        found.push(`${full}${path.sep}`);
        pending.push(full);
      } else if (keep(full)) found.push(full);
    }
  }
  return found.filter((f) => !f.endsWith(path.sep) || keep(f)).sort();
}
