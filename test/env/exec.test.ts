import { writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redactCredentials, runTool, tailLines, ToolError } from '../../src/env/exec.js';
import { tempDir } from './helpers.js';


describe('redactCredentials', () => {
  it.each([
    ['--index-url https://user:s3cret@pypi.example.com/simple', '--index-url https://user:****@pypi.example.com/simple'],
    ['https://token@pypi.example.com/simple', 'https://****@pypi.example.com/simple'],
    ['-i http://a:b@h/s -f https://c:d@e/f', '-i http://a:****@h/s -f https://c:****@e/f'],
    ['https://pypi.org/simple', 'https://pypi.org/simple'],
    ['six==1.17.0', 'six==1.17.0'],
    ['email me@example.com', 'email me@example.com'],
  ])('%s', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });
});

describe('tailLines', () => {
  it('keeps the last lines without trailing blank ones', () => {
    expect(tailLines('a\nb\nc\nd\n\n', 2)).toBe('c\nd');
  });
});

/** A tiny executable that prints to both streams and exits with the given code. */
function script(body: string): string {
  const file = path.join(tempDir(), 'tool');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const env = { PATH: '/usr/bin:/bin' };

describe('runTool', () => {
  it('returns stdout and stderr, and passes only the given environment', async () => {
    const file = script('echo "out $MLF_X ${HOME:-nohome}"; echo err >&2');
    const result = await runTool('demo', file, [], { cwd: tempDir(), env: { ...env, MLF_X: 'x' } });
    expect(result).toEqual({ stdout: 'out x nohome\n', stderr: 'err\n' });
  });

  it('streams lines to onLine', async () => {
    const file = script('echo one; echo two >&2; printf three');
    const lines: string[] = [];
    await runTool('demo', file, [], { cwd: tempDir(), env, onLine: (line, stream) => lines.push(`${stream}:${line}`) });
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one', 'stdout:three']);
  });

  it('throws a ToolError with tool, argv, exit code and the redacted tail of stderr', async () => {
    const file = script('for i in $(seq 1 40); do echo "line $i" >&2; done; echo "fetch https://u:pw@host/simple failed" >&2; exit 7');
    const error = await runTool('pip', file, ['install', '--index-url', 'https://u:pw@host/simple', 'six'], { cwd: tempDir(), env }).catch((e) => e);
    expect(error).toBeInstanceOf(ToolError);
    const te = error as ToolError;
    expect(te.tool).toBe('pip');
    expect(te.argv).toEqual([file, 'install', '--index-url', 'https://u:****@host/simple', 'six']);
    expect(te.exitCode).toBe(7);
    expect(te.message).toBe(`\`${file} install --index-url https://u:****@host/simple six\` failed with exit code 7`);
    const tail = te.stderrTail.split('\n');
    expect(tail).toHaveLength(30);
    expect(tail[0]).toBe('line 12');
    expect(tail[29]).toBe('fetch https://u:****@host/simple failed');
  });

  it('reports a timeout', async () => {
    const file = script('exec sleep 5');
    const error = (await runTool('slow', file, [], { cwd: tempDir(), env, timeoutMs: 200 }).catch((e) => e)) as ToolError;
    expect(error.timedOut).toBe(true);
    expect(error.message).toBe(`\`${file}\` timed out after 0s`);
  });

  it('reports an executable that does not exist', async () => {
    const error = (await runTool('ghost', '/nonexistent/ghost', ['x'], { cwd: tempDir(), env }).catch((e) => e)) as ToolError;
    expect(error.notFound).toBe(true);
    expect(error.message).toBe('`/nonexistent/ghost x` could not be started');
  });
});
