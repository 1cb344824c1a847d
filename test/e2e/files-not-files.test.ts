/**
 * Files that are not files (issue 9): `/dev/zero`, a FIFO, a directory, a dangling symlink or a
 * symlink loop where mlf expects a file. Each command refuses at once with exit code 2 and one
 * line (validate: one MLF100 diagnostic in its report), no stack trace, and leaves the model
 * directory as it was. None of these reach Python, so they need only the built CLI.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliIsBuilt, fixturesDir, type MlfResult, runMlf, tempDir } from '../support/cli.js';
import { snapshotDirectory } from '../support/files.js';

const built = cliIsBuilt();
const posix = process.platform !== 'win32';
/** "Within a few seconds" on a loaded 2-core machine; a hang would run until the test's timeout. */
const QUICK_MS = 10_000;

// Skipped without a built CLI (the title says so), or on Windows, which has no FIFOs, devices or UNIX sockets.
describe.skipIf(!built || !posix)(`files that are not files${built ? '' : ' (skipped: run `npm run build`)'}`, () => {
  let root: string;
  let mlfHome: string;
  let count = 0;

  beforeAll(() => {
    root = realpathSync(tempDir('mlf-not-files-'));
    mlfHome = path.join(root, 'mlf-home');
  });

  /** A private copy of a fixture model, changed by `change`. */
  const model = (change: (dir: string) => void, fixture = 'sklearn-iris'): string => {
    const dir = path.join(root, `model-${++count}`);
    cpSync(path.join(fixturesDir, 'models', fixture), dir, { recursive: true });
    change(dir);
    return dir;
  };

  const run = async (args: string[], cwd = root): Promise<MlfResult & { ms: number }> => {
    const started = Date.now();
    const result = await runMlf(args, { cwd, mlfHome });
    return { ...result, ms: Date.now() - started };
  };

  /** Exit 2, one `error:` line holding every part, nothing on stdout, no trace, quickly. */
  const expectOneLine = (result: MlfResult & { ms: number }, parts: string[]) => {
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    for (const part of parts) expect(lines[0]).toContain(part);
    expect(lines[0]).not.toMatch(/internal error|Invalid string length|ENOENT|ELOOP|EISDIR/);
    expect(result.ms).toBeLessThan(QUICK_MS);
  };

  describe('update-pip-requirements', () => {
    it.each([
      {
        name: 'MLmodel is a symlink to /dev/zero',
        change: (dir: string) => {
          rmSync(path.join(dir, 'MLmodel'));
          symlinkSync('/dev/zero', path.join(dir, 'MLmodel'));
        },
        parts: ['MLmodel` is a symlink to `/dev/zero`, a character device, not a regular file'],
      },
      {
        name: 'MLmodel is a dangling symlink',
        change: (dir: string) => {
          rmSync(path.join(dir, 'MLmodel'));
          symlinkSync('MLmodel.orig', path.join(dir, 'MLmodel'));
        },
        parts: ['MLmodel` is a symlink to `MLmodel.orig`, which does not exist'],
      },
      {
        name: 'MLmodel is a symlink loop',
        change: (dir: string) => {
          rmSync(path.join(dir, 'MLmodel'));
          symlinkSync('MLmodel.b', path.join(dir, 'MLmodel'));
          symlinkSync('MLmodel', path.join(dir, 'MLmodel.b'));
        },
        parts: ['MLmodel` is a symlink that loops'],
      },
      {
        name: 'conda.yaml is a dangling symlink (not skipped: MLflow would fail to open it)',
        change: (dir: string) => {
          rmSync(path.join(dir, 'conda.yaml'));
          symlinkSync('envs/conda.yaml', path.join(dir, 'conda.yaml'));
        },
        parts: ['conda.yaml` is a symlink to `envs/conda.yaml`, which does not exist'],
      },
      {
        name: 'requirements.txt is a FIFO',
        change: (dir: string) => {
          rmSync(path.join(dir, 'requirements.txt'));
          execFileSync('mkfifo', [path.join(dir, 'requirements.txt')]);
        },
        parts: ['requirements.txt` is a FIFO (named pipe), not a regular file'],
      },
      {
        name: 'requirements.txt is not UTF-8',
        change: (dir: string) => appendFileSync(path.join(dir, 'requirements.txt'), Buffer.from([0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a])),
        parts: ['requirements.txt:', 'is not valid UTF-8 (line'],
      },
    ])('$name', async ({ change, parts }) => {
      const dir = model(change);
      const before = snapshotDirectory(dir);
      expectOneLine(await run(['models', 'update-pip-requirements', '-m', dir, 'add', 'numpy==2.0']), parts);
      expect(snapshotDirectory(dir)).toEqual(before);
    }, 30_000);
  });

  describe('validate', () => {
    it('reports MLmodel -> /dev/zero as one MLF100 diagnostic, exit 2, and checks the other models', async () => {
      const dir = model((d) => {
        rmSync(path.join(d, 'MLmodel'));
        symlinkSync('/dev/zero', path.join(d, 'MLmodel'));
      });
      const good = model(() => undefined);
      const before = snapshotDirectory(dir);
      const result = await run(['models', 'validate', '--format', 'json', dir, good]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toBe('');
      expect(result.ms).toBeLessThan(QUICK_MS);
      const report = JSON.parse(result.stdout) as { models: { path: string; ok: boolean; diagnostics: { code: string; file: string; message: string }[] }[] };
      const bad = report.models.find((m) => m.path === dir)!;
      expect(bad.diagnostics).toHaveLength(1);
      expect(bad.diagnostics[0]).toMatchObject({ code: 'MLF100', file: 'MLmodel' });
      expect(bad.diagnostics[0]!.message).toContain('`MLmodel` is a symlink to `/dev/zero`, a character device, not a regular file');
      expect(report.models.find((m) => m.path === good)!.ok).toBe(true);
      expect(snapshotDirectory(dir)).toEqual(before);
    }, 30_000);

    it('reports a dangling conda.yaml the same way in the text report, with no trace', async () => {
      const dir = model((d) => {
        rmSync(path.join(d, 'conda.yaml'));
        symlinkSync('gone.yaml', path.join(d, 'conda.yaml'));
      });
      const result = await run(['models', 'validate', dir]);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toContain('`conda.yaml` is a symlink to `gone.yaml`, which does not exist [MLF100]');
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    }, 30_000);
  });

  describe('predict', () => {
    const inputFile = () => {
      const file = path.join(root, 'input.json');
      writeFileSync(file, '{"dataframe_split": {"columns": ["a"], "data": [[1]]}}');
      return file;
    };

    it.each([
      { name: '-i /dev/zero', input: () => '/dev/zero', parts: ['`/dev/zero` is a character device, not a regular file'] },
      {
        name: '-i a FIFO',
        input: () => {
          const fifo = path.join(root, `fifo-${++count}`);
          execFileSync('mkfifo', [fifo]);
          return fifo;
        },
        parts: ['is a FIFO (named pipe), not a regular file'],
      },
      {
        name: '-i a dangling symlink',
        input: () => {
          const link = path.join(root, `dangling-${++count}.json`);
          symlinkSync('gone.json', link);
          return link;
        },
        parts: ['is a symlink to `gone.json`, which does not exist'],
      },
    ])('refuses $name before the worker reads it', async ({ input, parts }) => {
      const dir = model(() => undefined);
      expectOneLine(await run(['models', 'predict', '-m', dir, '-i', input(), '--env-manager', 'local']), parts);
    }, 30_000);

    it('refuses `-r /dev/zero` in requirements.txt at its line, before building anything', async () => {
      const dir = model((d) => appendFileSync(path.join(d, 'requirements.txt'), '\n-r /dev/zero\n'));
      const before = snapshotDirectory(dir);
      expectOneLine(await run(['models', 'predict', '-m', dir, '-i', inputFile(), '--env-manager', 'uv']), [
        'requirements.txt:7',
        '`/dev/zero` is a character device, not a regular file (included by `-r /dev/zero`)',
      ]);
      expect(snapshotDirectory(dir)).toEqual(before);
    }, 30_000);
  });

  describe('package', () => {
    let project: string;
    beforeAll(() => {
      project = path.join(root, 'project');
      mkdirSync(path.join(project, 'weights'), { recursive: true });
      cpSync(path.join(fixturesDir, 'pickles', 'stdlib-p4.pkl'), path.join(project, 'model.pkl'));
      execFileSync('mkfifo', [path.join(project, 'pipe.py')]);
    });
    const sklearn = ['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'model.pkl'];

    it.each([
      {
        name: '-r /dev/zero in --extra-pip-requirements',
        args: [...sklearn, '--extra-pip-requirements', '-r /dev/zero'],
        parts: ['--extra-pip-requirements:1', '`/dev/zero` is a character device, not a regular file (included by `-r /dev/zero`)'],
      },
      {
        name: '--model-file naming a directory',
        args: ['models', 'package', '-o', 'out', '--flavor', 'sklearn', '--model-file', 'weights'],
        parts: ['`weights` is a directory, not a regular file', 'name the file itself'],
      },
      {
        name: '--code-path naming a FIFO',
        args: [...sklearn, '--code-path', 'pipe.py'],
        parts: ['code path `pipe.py` is a FIFO (named pipe), not a regular file or a directory'],
      },
      {
        name: '--input-example /dev/zero',
        args: [...sklearn, '--input-example', '/dev/zero'],
        parts: ['`/dev/zero` is a character device, not a regular file'],
      },
    ])('refuses $name at once and leaves no OUT_DIR', async ({ args, parts }) => {
      expectOneLine(await run(args, project), parts);
      expect(existsSync(path.join(project, 'out'))).toBe(false);
    }, 30_000);
  });
});
