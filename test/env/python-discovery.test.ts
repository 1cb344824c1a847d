import { chmodSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPython, matchesExactly, selectCompatible, type InterpreterInfo } from '../../src/env/python-discovery.js';
import { fakePyenv, fakePython, tempDir } from './helpers.js';
import { rejectedMlfError } from '../support/errors.js';


function envWith(pathDirs: string[], pyenvRoot?: string): Record<string, string | undefined> {
  return { PATH: pathDirs.join(':'), ...(pyenvRoot ? { PYENV_ROOT: pyenvRoot } : { HOME: tempDir() }) };
}

describe('findPython', () => {
  it('finds the exact version in pyenv versions', async () => {
    const root = fakePyenv(['3.10.13', '3.11.7', '2.7.18']);
    const found = await findPython({ version: '3.11.7', strategy: 'exact' }, { env: envWith([], root), cwd: root });
    expect(found.interpreter).toMatchObject({ version: '3.11.7', path: path.join(root, 'versions/3.11.7/bin/python3'), source: 'pyenv' });
    expect(found.warning).toBeUndefined();
  });

  it('prefers PATH, and looks at pythonX.Y, python3 and python there', async () => {
    const bin = tempDir();
    fakePython(path.join(bin, 'python3'), '3.11.7');
    const root = fakePyenv(['3.11.7']);
    const found = await findPython({ version: '3.11.7', strategy: 'exact' }, { env: envWith([bin], root), cwd: bin });
    expect(found.interpreter).toMatchObject({ path: path.join(bin, 'python3'), source: 'PATH' });
  });

  it("skips pyenv's shims directory (its versions are looked at directly)", async () => {
    const root = fakePyenv(['3.11.7']);
    fakePython(path.join(root, 'shims', 'python3.11'), '3.11.5');
    const error = await rejectedMlfError(findPython({ version: '3.11.5', strategy: 'exact' }, { env: envWith([path.join(root, 'shims')], root), cwd: root }));
    expect(error.code).toBe('PYTHON_NOT_FOUND');
  });

  it('ignores a candidate that does not run', async () => {
    const bin = tempDir();
    writeFileSync(path.join(bin, 'python3.11'), '#!/bin/sh\necho "pyenv: python3.11: command not found" >&2\nexit 127\n');
    chmodSync(path.join(bin, 'python3.11'), 0o755);
    fakePython(path.join(bin, 'python3'), '3.11.7');
    const found = await findPython({ version: '3.11.7', strategy: 'exact' }, { env: envWith([bin]), cwd: bin });
    expect(found.interpreter.path).toBe(path.join(bin, 'python3'));
  });

  it('names the version asked for, the versions found and the flag (exit 3)', async () => {
    const root = fakePyenv(['3.10.13', '3.11.7', '2.7.18']);
    const error = await rejectedMlfError(findPython({ version: '3.11.5', strategy: 'exact' }, { env: envWith([], root), cwd: root }));
    expect(error.exitCode).toBe(3);
    expect(error.category).toBe('environment');
    expect(error.message).toBe(
      "no Python `3.11.5` interpreter found (asked for by the model's python_env.yaml); versions found: `3.11.7`, `3.10.13`, `2.7.18`",
    );
    expect(error.hint).toBe(
      'install it (e.g. `uv python install 3.11.5` or `pyenv install 3.11.5`), or pass `--python-version-strategy minor` to accept `3.11.7`',
    );
  });

  it('accepts the highest same-minor version with --python-version-strategy minor, with a warning', async () => {
    const root = fakePyenv(['3.11.2', '3.11.7', '3.12.1']);
    const found = await findPython({ version: '3.11.5', strategy: 'minor' }, { env: envWith([], root), cwd: root });
    expect(found.interpreter.version).toBe('3.11.7');
    expect(found.warning).toBe(
      `python_env.yaml asks for Python \`3.11.5\`, which was not found; using \`3.11.7\` at \`${path.join(root, 'versions/3.11.7/bin/python3')}\` (--python-version-strategy minor)`,
    );
  });

  it('points to the major strategy when no same-minor version exists', async () => {
    const root = fakePyenv(['3.11.7']);
    const error = await rejectedMlfError(findPython({ version: '3.12.1', strategy: 'minor' }, { env: envWith([], root), cwd: root }));
    expect(error.message).toBe("no Python `3.12.1` interpreter found (asked for by the model's python_env.yaml); versions found: `3.11.7`");
    expect(error.hint).toBe(
      'install it (e.g. `uv python install 3.12.1` or `pyenv install 3.12.1`), or pass `--python-version-strategy major` to accept `3.11.7`',
    );
  });

  it('says `none` when nothing is found', async () => {
    const error = await rejectedMlfError(findPython({ version: '3.11.7', strategy: 'exact' }, { env: envWith([tempDir()]), cwd: '/' }));
    expect(error.message).toBe("no Python `3.11.7` interpreter found (asked for by the model's python_env.yaml); versions found: none");
    expect(error.hint).toBe(
      'install it (e.g. `uv python install 3.11.7` or `pyenv install 3.11.7`), or pass `--python-version-strategy minor` to accept a compatible version',
    );
  });

  it('matches any micro version for an X.Y request, newest first', async () => {
    const root = fakePyenv(['3.11.2', '3.11.7']);
    const found = await findPython({ version: '3.11', strategy: 'exact' }, { env: envWith([], root), cwd: root });
    expect(found.interpreter.version).toBe('3.11.7');
  });

  it("asks uv's list when PATH and pyenv have no match", async () => {
    const managed = fakePython(path.join(tempDir(), 'cpython-3.11.5', 'bin', 'python3'), '3.11.5');
    const uv = path.join(tempDir(), 'uv');
    writeFileSync(uv, `#!/bin/sh\necho '[{"version": "3.11.5", "path": "${managed}"}]'\n`);
    chmodSync(uv, 0o755);
    const found = await findPython({ version: '3.11.5', strategy: 'exact' }, { env: envWith([]), cwd: '/', uvPath: uv });
    expect(found.interpreter).toMatchObject({ version: '3.11.5', path: managed, source: 'uv' });
  });

  it('rejects a version that is not X.Y.Z', async () => {
    const error = await rejectedMlfError(findPython({ version: '3.11.x', strategy: 'exact' }, { env: envWith([]), cwd: '/' }));
    expect(error.code).toBe('INVALID_PYTHON_VERSION');
    expect(error.exitCode).toBe(2);
  });

  it('caches answers on disk by path, size and mtime', async () => {
    const mlfHome = tempDir();
    const root = tempDir();
    const file = fakePython(path.join(root, 'versions', '3.11.7', 'bin', 'python3'), '3.11.7');
    const options = { env: envWith([], root), cwd: root, mlfHome };
    const atime = new Date('2024-01-01T00:00:00Z');
    const mtime = new Date('2024-01-01T00:00:00Z');
    utimesSync(file, atime, mtime);
    expect((await findPython({ version: '3.11.7', strategy: 'exact' }, options)).interpreter.version).toBe('3.11.7');
    // Same size and mtime: the cached answer stands even though the file now says otherwise.
    writeFileSync(file, statSyncText(file).replace('3.11.7', '3.11.8'));
    utimesSync(file, atime, mtime);
    expect((await findPython({ version: '3.11.7', strategy: 'exact' }, options)).interpreter.version).toBe('3.11.7');
    // A new mtime invalidates it.
    utimesSync(file, atime, new Date(mtime.getTime() + 5000));
    const error = await rejectedMlfError(findPython({ version: '3.11.7', strategy: 'exact' }, options));
    expect(error.message).toContain('versions found: `3.11.8`');
  });
});

function statSyncText(file: string): string {
  return readFileSync(file, 'utf8');
}

describe('selectCompatible', () => {
  const found = (versions: string[]): InterpreterInfo[] =>
    versions.map((version) => ({ version, path: `/py/${version}`, implementation: 'cpython', source: 'PATH' }));

  it.each<[string, 'exact' | 'minor' | 'major', string[], string]>([
    ['3.11.7', 'exact', ['3.11.7', '3.11.8'], '3.11.7'],
    ['3.11.5', 'minor', ['3.11.2', '3.11.10', '3.11.9'], '3.11.10'],
    ['3.11.5', 'major', ['3.9.1', '3.12.1', '3.10.4'], '3.12.1'],
  ])('%s with %s among %j picks %s', (version, strategy, versions, expected) => {
    expect(selectCompatible({ version, strategy }, found(versions)).interpreter.version).toBe(expected);
  });
});

describe('matchesExactly', () => {
  it.each([
    ['3.11.7', '3.11.7', true],
    ['3.11.7', '3.11.70', false],
    ['3.11', '3.11.7', true],
    ['3.1', '3.11.7', false],
    ['3', '3.9.1', true],
  ])('%s ~ %s: %s', (requested, version, expected) => {
    expect(matchesExactly(requested, version)).toBe(expected);
  });
});
