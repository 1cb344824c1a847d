/**
 * `mlf envs pack` end to end: the built CLI packs the sklearn fixture's environment (real uv and
 * virtualenv, from PyPI), the archive is unpacked into another directory, the cached environment
 * it came from is removed, and mlf's worker started from the unpacked tree (its bin/python, its
 * mlf-worker/) predicts exactly what `mlf models predict` printed. Each manager gets its own
 * MLF_HOME, so that removing the entry removes the only copy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePackManifest, type PackManifest } from '../../src/env/pack/manifest.js';
import { startSessionWorker } from '../../src/worker/session.js';
import { e2eUnavailableReason, fixturesDir, runMlf, tempDir } from '../support/cli.js';
import { MLSERVER, MLSERVER_MODEL_NAME, startMlserver, stopGroup } from '../support/mlserver.js';

const unavailable = e2eUnavailableReason();
const MODEL = path.join(fixturesDir, 'models', 'sklearn-iris');
const INPUT = path.join(fixturesDir, 'inputs', 'sklearn-iris', 'dataframe_split.json');
const MANAGERS = ['uv', 'virtualenv'] as const;

interface PackJson {
  ok: boolean;
  archive: string;
  sizeBytes: number;
  manifest: PackManifest;
  environment: { manager: string; envDir: string; key: string; built: boolean };
}

/** Every file and link target under `root` that holds `needle` (GNU grep reads the bytes: hundreds of MB). */
function filesNaming(root: string, needle: string): string[] {
  const grep = spawnSync('grep', ['-rlF', '--', needle, root], { encoding: 'utf8' });
  if (grep.status !== 0 && grep.status !== 1) throw new Error(`grep failed: ${grep.stderr}`);
  const found = grep.stdout.split('\n').filter(Boolean);
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const stat = lstatSync(file);
      if (stat.isSymbolicLink() && readlinkSync(file).includes(needle)) found.push(file);
      else if (stat.isDirectory()) visit(file);
    }
  };
  visit(root);
  return found;
}

/** The pids of processes whose first argument starts with `prefix`. */
function processesUnder(prefix: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.startsWith(prefix);
      } catch {
        return false;
      }
    })
    .map(Number);
}

if (unavailable) {
  describe('mlf envs pack (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  const work = tempDir('mlf-pack-e2e-');
  // The environments are hundreds of MB each.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe.each(MANAGERS)('mlf envs pack --env-manager %s (e2e)', (manager) => {
    const mlfHome = path.join(work, `home-${manager}`);
    const unpacked = path.join(work, `unpacked-${manager}`, 'elsewhere');
    let packed: PackJson;
    let reference: string;

    it('packs the environment predict used (reused, not rebuilt), as one JSON object', async () => {
      const predicted = await runMlf(['models', 'predict', '-m', MODEL, '-i', INPUT, '--env-manager', manager], { mlfHome });
      expect(predicted.exitCode, predicted.stderr).toBe(0);
      reference = predicted.stdout.trim();
      expect(JSON.parse(reference)).toEqual(JSON.parse(readFileSync(path.join(fixturesDir, 'inputs', 'sklearn-iris', 'expected-response.json'), 'utf8')));

      const archive = path.join(work, `env-${manager}.tar.gz`);
      const result = await runMlf(['envs', 'pack', '-m', MODEL, '--env-manager', manager, '-o', archive, '--json'], { mlfHome });
      expect(result.exitCode, result.stderr).toBe(0);
      packed = JSON.parse(result.stdout) as PackJson;
      expect(packed.ok).toBe(true);
      expect(packed.archive).toBe(archive);
      expect(packed.sizeBytes).toBe(lstatSync(archive).size);
      expect(packed.environment).toMatchObject({ manager, built: false });
      expect(packed.manifest).toMatchObject({
        format: 'mlf-pack',
        format_version: 1,
        env_manager: manager,
        python: 'bin/python',
        worker: 'mlf-worker',
        python_version: '3.11.7',
        platform: `linux_${process.arch === 'x64' ? 'x86_64' : process.arch}`,
        extra_requirements: [],
        env_key: packed.environment.key,
      });
      expect(packed.manifest.requirements).toContain('scikit-learn==1.9.1');
      expect(readdirSync(work).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    }, 600_000);

    it('unpacks elsewhere and, with the cached environment removed, predicts what mlf models predict did', async () => {
      expect(packed, 'the pack step failed').toBeDefined();
      rmSync(packed.environment.envDir, { recursive: true, force: true });
      mkdirSync(unpacked, { recursive: true });
      execFileSync('tar', ['-xzf', packed.archive, '-C', unpacked]);
      expect(parsePackManifest(readFileSync(path.join(unpacked, 'mlf-pack.json'), 'utf8'))).toEqual(packed.manifest);
      expect(filesNaming(unpacked, packed.environment.envDir)).toEqual([]);

      const python = path.join(unpacked, packed.manifest.python);
      const caches = path.join(work, `caches-${manager}`);
      const worker = await startSessionWorker({
        environment: { pythonPath: python, caches: { pycacheDir: path.join(caches, 'pycache'), modelCacheDir: path.join(caches, 'models') } },
        modelDir: MODEL,
        // A clean environment: no proxies, no PYTHONPATH, nothing that could reach the cache entry.
        env: { PATH: '/usr/bin:/bin', HOME: work },
        cwd: work,
        command: { file: python, args: [path.join(unpacked, packed.manifest.worker_launcher)] },
      });
      try {
        expect(worker.hello.executable).toBe(python);
        const reply = await worker.predict({ contentType: 'json', inputPath: INPUT });
        expect(reply.output).toBe(reference);
      } finally {
        await worker.close();
      }
      // The worker package is importable from the manifest's path (what Spark's executors do).
      const imported = execFileSync(python, ['-c', 'import sys, mlf_worker; print(sys.prefix); print(mlf_worker.__file__)'], {
        env: { PATH: '/usr/bin:/bin', PYTHONPATH: path.join(unpacked, packed.manifest.worker) },
        encoding: 'utf8',
      });
      expect(imported).toBe(`${unpacked}\n${path.join(unpacked, 'mlf-worker', 'mlf_worker', '__init__.py')}\n`);
      // A console script runs through its rewritten shebang.
      expect(execFileSync(path.join(unpacked, 'bin', 'pip'), ['--version'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' })).toContain(unpacked);
    }, 300_000);

    if (manager === 'uv') {

      it('is what a real MLServer takes as a model\'s environment_tarball: its worker runs from the archive and predicts as mlf does', async (context) => {
        expect(packed, 'the pack step failed').toBeDefined();
        if (!existsSync(MLSERVER)) context.skip(`no MLServer venv at ${MLSERVER} (.ci/run makes it from test/e2e/mlserver.lock)`);
        const server = await startMlserver({ model: MODEL, tarball: packed.archive, work });
        try {
          const base = `${server.url}/v2/models/${MLSERVER_MODEL_NAME}`;
          // The model's worker process is the unpacked archive's interpreter.
          const unpackedByServer = readdirSync(server.environments).map((name) => path.join(server.environments, name));
          expect(unpackedByServer).toHaveLength(1);
          expect(readFileSync(path.join(unpackedByServer[0]!, 'mlf-pack.json'), 'utf8')).toBe(`${JSON.stringify(packed.manifest, null, 2)}\n`);
          expect(processesUnder(path.join(unpackedByServer[0]!, 'bin', 'python')).length).toBeGreaterThan(0);
          const frame = JSON.parse(readFileSync(INPUT, 'utf8')) as { dataframe_split: { columns: string[]; data: number[][] } };
          const { columns, data } = frame.dataframe_split;
          const inputs = columns.map((name, i) => ({ name, datatype: 'FP64', shape: [data.length], data: data.map((row) => row[i]) }));
          const response = await fetch(`${base}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'req-1', inputs }) });
          expect(response.status).toBe(200);
          const body = (await response.json()) as { outputs: { data: unknown[] }[] };
          expect(body.outputs[0]!.data).toEqual((JSON.parse(reference) as { predictions: unknown[] }).predictions);
        } finally {
          await stopGroup(server.child);
        }
      }, 400_000);
      it('finds a python3.X of the same version on PATH when the recorded base interpreter is absent, and says so when there is none', () => {
        expect(packed, 'the pack step failed').toBeDefined();
        const moved = path.join(work, 'moved');
        // The unpacked tree as it would be on a machine where the recorded path does not exist.
        execFileSync('cp', ['-a', unpacked, moved]);
        const launcher = path.join(moved, 'bin', 'python');
        const absent = '/nonexistent/mlf-pack-test/python3.11';
        writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(/^recorded=.*$/m, `recorded='${absent}'`));
        const pathDir = path.join(work, 'other-python');
        mkdirSync(pathDir);
        symlinkSync(packed.manifest.base_interpreter.path, path.join(pathDir, packed.manifest.base_interpreter.search));
        const script = 'import sys, sklearn; print(sys.prefix); print(sklearn.__version__)';
        const out = execFileSync(launcher, ['-c', script], { env: { PATH: `${path.join(moved, 'bin')}:${pathDir}:/usr/bin:/bin` }, encoding: 'utf8' });
        expect(out).toBe(`${moved}\n1.9.1\n`);
        let failure: { status: number; stderr: string } | undefined;
        try {
          execFileSync(launcher, ['-c', 'pass'], { env: { PATH: path.join(moved, 'bin') }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (error) {
          failure = error as { status: number; stderr: string };
        }
        expect(failure?.status).toBe(127);
        expect(failure?.stderr).toBe(`mlf-pack: this environment needs cpython 3.11: ${absent} is absent and no python3.11 on PATH is one\n`);
      });
    }
  });
}
