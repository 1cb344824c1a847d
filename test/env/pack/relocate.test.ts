import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVATE_SCRIPT, SCRIPT_TRAMPOLINE, isDroppedBinFile, launcherScript, relocatePyvenvCfg, relocateScript, shellQuote } from '../../../src/env/pack/relocate.js';
import { tempDir } from '../../support/temp.js';

const prefix = '/cache/envs-v1/uv-0123456789abcdef';

describe('relocateScript', () => {
  it('replaces a shebang naming the environment’s python with the trampoline, and keeps the rest', () => {
    const body = 'import sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n';
    expect(relocateScript(`#!${prefix}/bin/python\n${body}`, prefix)).toBe(SCRIPT_TRAMPOLINE + body);
    expect(relocateScript(`#!${prefix}/bin/python3.11\n${body}`, prefix)).toBe(SCRIPT_TRAMPOLINE + body);
  });

  it('replaces pip’s /bin/sh form (a path a shebang cannot hold)', () => {
    const text = `#!/bin/sh\n'''exec' "${prefix}/bin/python" "$0" "$@"\n' '''\nimport sys\n`;
    expect(relocateScript(text, prefix)).toBe(`${SCRIPT_TRAMPOLINE}import sys\n`);
  });

  it('leaves alone what it does not know: another interpreter, the prefix elsewhere in the text', () => {
    expect(relocateScript(`#!/usr/bin/python3\nprint("${prefix}")\n`, prefix)).toBeUndefined();
    expect(relocateScript(`#!${prefix}/bin/perl\n`, prefix)).toBeUndefined();
    expect(relocateScript(`# ${prefix}\n`, prefix)).toBeUndefined();
  });

  it('gives a script that sh runs with the python beside it, and that python reads as a string and then the script', () => {
    const bin = path.join(tempDir(), 'bin');
    mkdirSync(bin);
    // A stand-in python: prints what it was given, then runs the script with the real one.
    writeFileSync(path.join(bin, 'python'), `#!/bin/sh\necho "python $*"\nexec python3 "$@"\n`);
    chmodSync(path.join(bin, 'python'), 0o755);
    writeFileSync(path.join(bin, 'tool'), relocateScript(`#!${prefix}/bin/python\nimport sys\nprint("args", sys.argv[1:])\n`, prefix)!);
    chmodSync(path.join(bin, 'tool'), 0o755);
    const out = execFileSync(path.join(bin, 'tool'), ['a b', 'c'], { encoding: 'utf8' });
    expect(out).toBe(`python ${path.join(bin, 'tool')} a b c\nargs ['a b', 'c']\n`);
  });
});

describe('relocatePyvenvCfg', () => {
  it('drops the line naming the build directory and keeps the base interpreter’s', () => {
    const cfg = `home = /usr/bin\nimplementation = CPython\ncommand = /usr/bin/python3 -m virtualenv ${prefix}\nbase-prefix = /usr\n`;
    expect(relocatePyvenvCfg(cfg, prefix)).toBe('home = /usr/bin\nimplementation = CPython\nbase-prefix = /usr\n');
  });
});

describe('isDroppedBinFile', () => {
  it.each(['activate.csh', 'activate.fish', 'activate.nu', 'activate.ps1', 'activate.xsh', 'activate.bat', 'deactivate.bat', 'pydoc.bat'])('drops %s', (name) => {
    expect(isDroppedBinFile(name)).toBe(true);
  });
  it.each(['activate', 'activate_this.py', 'pip', 'python'])('keeps %s', (name) => {
    expect(isDroppedBinFile(name)).toBe(false);
  });
});

describe('ACTIVATE_SCRIPT', () => {
  it('makes the directory above it the environment, wherever it is, and deactivates', () => {
    const env = tempDir();
    mkdirSync(path.join(env, 'bin'));
    writeFileSync(path.join(env, 'bin', 'activate'), ACTIVATE_SCRIPT);
    const out = execFileSync('bash', ['-c', 'source "$1/bin/activate"; echo "$VIRTUAL_ENV"; echo "${PATH%%:*}"; deactivate; echo "[${VIRTUAL_ENV:-}]"', '-', env], {
      encoding: 'utf8',
    });
    expect(out).toBe(`${env}\n${env}/bin\n[]\n`);
  });
});

describe('launcherScript', () => {
  it('names the recorded base quoted, and searches python3.X of the same implementation', () => {
    const text = launcherScript({ basePython: "/opt/it's/python3.11", pythonMinor: '3.11', implementation: 'cpython' });
    expect(text.startsWith('#!/bin/bash\n')).toBe(true);
    expect(text).toContain(`recorded=${shellQuote("/opt/it's/python3.11")}\n`);
    expect(text).toContain('/python3.11"');
    expect(text).toContain("'cpython 3.11 '*)");
    expect(execFileSync('bash', ['-n', '-c', text])).toHaveLength(0);
  });

  it('fails with one line and exit 127 when the base is absent and none is on PATH', () => {
    const bin = path.join(tempDir(), 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'python'), launcherScript({ basePython: '/nonexistent/python3.11', pythonMinor: '3.11', implementation: 'cpython' }));
    chmodSync(path.join(bin, 'python'), 0o755);
    let status = 0;
    let stderr = '';
    try {
      execFileSync(path.join(bin, 'python'), ['-c', 'pass'], { env: { PATH: bin }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = (error as { stderr: string }).stderr;
    }
    expect(status).toBe(127);
    expect(stderr).toBe("mlf-pack: this environment needs cpython 3.11: /nonexistent/python3.11 is absent and no python3.11 on PATH is one\n");
  });
});
