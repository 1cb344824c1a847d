/**
 * Hints that never mislead, end to end against a package index on 127.0.0.1 (never the
 * internet): `validate --online` reports a misspelled requirement at its line; predict's
 * missing-module hint names a distribution only when the index's wheel of that name installs
 * the module, calls an unknown module local code, and never proposes a requirement the model
 * already lists.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePython, e2eUnavailableReason, fixturesDir, runMlf } from '../support/cli.js';
import { startLocalIndex, type LocalIndex } from '../support/local-index.js';

const unavailable = e2eUnavailableReason();

/** A protocol-2 pickle whose only global is `module.name` (as fixtures/broken/make-broken.mjs writes). */
function pickleOf(module: string, name: string): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from(`c${module}\n${name}\n`, 'latin1'), Buffer.from(')\x81.', 'latin1')]);
}

if (unavailable) {
  describe('hints that never mislead (e2e)', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  describe('hints that never mislead (e2e)', () => {
    const python = e2ePython()!;
    let index: LocalIndex;
    let work: string;
    const dirs: string[] = [];

    beforeAll(async () => {
      work = mkdtempSync(path.join(os.tmpdir(), 'mlf-hints-'));
      index = await startLocalIndex(python, [
        { name: 'goodpkg', version: '1.0', files: { 'goodpkg/__init__.py': 'VALUE = 1\n' } },
        // A wheel named like the missing module that installs it, and one that installs something else.
        { name: 'vouched', version: '2.0', files: { 'vouched/__init__.py': '' } },
        { name: 'impostor', version: '0.1', files: { 'other_module/__init__.py': '' } },
      ]);
    }, 60_000);
    afterAll(async () => {
      await index?.close();
      for (const dir of [work, ...dirs]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A copy of a broken fixture, its expectations file removed. */
    const brokenModel = (name: string, edit: (dir: string) => void = () => undefined): string => {
      const dir = path.join(mkdtempSync(path.join(work, 'm-')), name);
      cpSync(path.join(fixturesDir, 'broken', name), dir, { recursive: true });
      rmSync(path.join(dir, 'expected.json'));
      edit(dir);
      return dir;
    };
    const indexEnv = (extra: Record<string, string> = {}) => ({ UV_INDEX_URL: index.url, UV_CACHE_DIR: path.join(work, 'uv-cache'), ...extra });

    describe('validate --online', () => {
      const model = () =>
        brokenModel('pickle-module-unprovided', (dir) => writeFileSync(path.join(dir, 'requirements.txt'), 'goodpkg==1.0\nscikit_lern==1.9.1\ngoodpkg2==3\n'));
      const online = (diagnostics: { code: string }[]) => diagnostics.filter((d) => d.code.startsWith('MLF9'));

      it('reports every requirement the index cannot satisfy at its line, and resolves the rest (UV_INDEX_URL)', async () => {
        const result = await runMlf(['models', 'validate', '--online', '--json', model()], { env: indexEnv(), mlfHome: path.join(work, 'home') });
        expect(result.exitCode, result.stderr).toBe(1);
        const [report] = JSON.parse(result.stdout).models;
        expect(online(report.diagnostics)).toEqual([
          expect.objectContaining({
            code: 'MLF901',
            rule: 'requirement-unresolvable',
            severity: 'error',
            file: 'requirements.txt',
            line: 2,
            message: expect.stringMatching(/^`scikit_lern==1\.9\.1` cannot be resolved against the configured index: Because scikit-lern was not found in the package registry/),
            hint: expect.stringMatching(/^the index has no distribution called `scikit-lern` \(did you mean `scikit-learn`\?\): correct the name, or remove the line \(`mlf models update-pip-requirements -m \S+ remove scikit-lern`\)$/),
          }),
          expect.objectContaining({ code: 'MLF901', file: 'requirements.txt', line: 3 }),
        ]);
      }, 120_000);

      it("honours pip's PIP_INDEX_URL", async () => {
        const result = await runMlf(['models', 'validate', '--online', '--json', model()], {
          env: { PIP_INDEX_URL: index.url, UV_CACHE_DIR: path.join(work, 'uv-cache') },
          mlfHome: path.join(work, 'home'),
        });
        const [report] = JSON.parse(result.stdout).models;
        expect(online(report.diagnostics).map((d: { code: string; line?: number }) => [d.code, d.line])).toEqual([
          ['MLF901', 2],
          ['MLF901', 3],
        ]);
      }, 120_000);

      it('a model whose requirements resolve gets no online diagnostic', async () => {
        const good = brokenModel('pickle-module-unprovided', (dir) => writeFileSync(path.join(dir, 'requirements.txt'), 'goodpkg==1.0\n'));
        const result = await runMlf(['models', 'validate', '--online', '--json', good], { env: indexEnv(), mlfHome: path.join(work, 'home') });
        expect(online(JSON.parse(result.stdout).models[0].diagnostics)).toEqual([]);
      }, 120_000);

      it('an unreachable index is MLF902 (not checked), never a silent pass', async () => {
        const result = await runMlf(['models', 'validate', '--online', '--json', model()], {
          env: { UV_INDEX_URL: 'http://127.0.0.1:9/simple', UV_CACHE_DIR: path.join(work, 'uv-cache-empty'), UV_HTTP_RETRIES: '0' },
          mlfHome: path.join(work, 'home'),
        });
        const found = online(JSON.parse(result.stdout).models[0].diagnostics);
        expect(found).toEqual([expect.objectContaining({ code: 'MLF902', severity: 'warning', file: 'requirements.txt' })]);
      }, 120_000);
    });

    it('an install that fails on a misspelled name points at its line and at `remove`, not at an override', async () => {
      const model = brokenModel('pickle-module-unprovided', (dir) => {
        writeFileSync(path.join(dir, 'python_env.yaml'), 'python: 3.11.7\nbuild_dependencies: []\ndependencies:\n- -r requirements.txt\n');
        writeFileSync(path.join(dir, 'requirements.txt'), 'goodpkg==1.0\nscikit_lern==1.9.1\n');
      });
      const result = await runMlf(['models', 'prepare-env', '-m', model, '--env-manager', 'uv', '-q'], { env: indexEnv(), mlfHome: path.join(work, 'home') });
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr.split('\n')[0]).toBe(
        `error: ${model}/requirements.txt:2: installing the model's requirements failed: \`uv\` exited with code 1; the requirement that failed: \`scikit_lern==1.9.1\` (from \`requirements.txt:2\`); ` +
          `the index has no distribution called \`scikit-lern\` (did you mean \`scikit-learn\`?): correct or remove line requirements.txt:2 (\`mlf models update-pip-requirements -m ${model} remove scikit-lern\`, then \`add\` the right name with its version)`,
      );
    }, 180_000);

    describe('predict, missing module (--env-manager local)', () => {
      // The local manager runs the interpreter first on PATH: the MLflow test environment's.
      const localEnv = () => indexEnv({ PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}` });
      const predict = (model: string) =>
        runMlf(['models', 'predict', '-m', model, '-i', path.join(model, 'serving_input_example.json'), '--env-manager', 'local'], {
          env: localEnv(),
          mlfHome: path.join(work, 'home'),
        });
      const errorBlock = (stderr: string) => stderr.slice(stderr.indexOf('error:'));

      it('a local module saved without code_paths, which the index does not have: the code_paths advice, no package named', async () => {
        const result = await predict(brokenModel('pickle-local-module-unsaved'));
        expect(result.exitCode).toBe(1);
        const block = errorBlock(result.stderr);
        expect(block.split('\n')[0]).toBe(
          "error: the model could not be loaded: ModuleNotFoundError: No module named 'textfeat'; no table of mlf's knows a distribution that installs `textfeat`, and the index has no package of that name that does: `textfeat` looks like local code that was not saved with the model (it is not in `code/`)",
        );
        expect(block).toContain('code_paths=["textfeat.py"]');
        expect(block).toContain('mlf models package ... --code-path textfeat.py');
        expect(block).not.toMatch(/--pip-requirements-override|add textfeat/);
      }, 120_000);

      it("the index has a wheel of the module's name, but it installs another module: not suggested", async () => {
        const model = brokenModel('pickle-local-module-unsaved', (dir) => writeFileSync(path.join(dir, 'python_model.pkl'), pickleOf('impostor', 'Model')));
        const block = errorBlock((await predict(model)).stderr);
        expect(block).toMatch(/looks like local code that was not saved with the model/);
        expect(block).not.toMatch(/add impostor/);
      }, 120_000);

      it("the index's wheel of that name installs the module: suggested, pinned, with a caution", async () => {
        const model = brokenModel('pickle-local-module-unsaved', (dir) => writeFileSync(path.join(dir, 'python_model.pkl'), pickleOf('vouched.core', 'Model')));
        const lines = errorBlock((await predict(model)).stderr).trimEnd().split('\n');
        expect(lines[0]).toMatch(/no table of mlf's knows `vouched`, but the index has a distribution `vouched` whose files install it: make sure it is the package you mean/);
        expect(lines[1]).toBe('  Try, in order:');
        expect(lines[2]).toMatch(/ -m pip install vouched==2\.0$/);
        expect(lines[3]).toMatch(/^ {4}mlf models update-pip-requirements -m \S+ add vouched==2\.0$/);
      }, 120_000);

      it('a module the model already lists: says the local interpreter lacks it, never proposes adding it again', async () => {
        const model = brokenModel('pickle-local-module-unsaved', (dir) => {
          writeFileSync(path.join(dir, 'python_model.pkl'), pickleOf('tabulate', 'tabulate'));
          writeFileSync(path.join(dir, 'requirements.txt'), `${readFileSync(path.join(dir, 'requirements.txt'), 'utf8')}\ntabulate==0.10.0`);
        });
        const result = await predict(model);
        expect(result.exitCode).toBe(1);
        const lines = errorBlock(result.stderr).trimEnd().split('\n');
        expect(lines[0]).toMatch(
          /^error: the model could not be loaded: ModuleNotFoundError: No module named 'tabulate'; the model lists `tabulate==0\.10\.0` \(requirements\.txt:4\), but the local interpreter `[^`]+` does not have it: `--env-manager local` installs nothing/,
        );
        expect(lines.slice(1, 2)).toEqual(['  Try one of:']);
        expect(lines[2]).toMatch(/ -m pip install tabulate==0\.10\.0$/);
        expect(lines[3]).toMatch(/--env-manager uv$/);
        expect(lines.join('\n')).not.toMatch(/update-pip-requirements|--pip-requirements-override/);
      }, 120_000);
    });
  });
}
