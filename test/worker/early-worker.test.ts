/**
 * The launch record (worker/early-worker.ts): where it lives and what tells a changed file. The
 * early start itself, from a command line to an adopted worker, is tested in
 * test/cli/early-start.test.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSignature, launchRecordPath, LAUNCH_BUCKET } from '../../src/worker/early-worker.js';
import { tempDir } from '../support/cli.js';

describe('launchRecordPath', () => {
  it('is a file in the launch bucket named by the command line and the directory', () => {
    const args = ['models', 'predict', '-m', 'm'];
    const key = (a: string[], cwd: string) => launchRecordPath('/home', a, cwd);
    expect(path.relative('/home', key(args, '/a'))).toMatch(new RegExp(`^${LAUNCH_BUCKET}/[0-9a-f]{32}\\.json$`));
    expect(key(args, '/a')).toBe(key([...args], '/a'));
    expect(key(args, '/a')).not.toBe(key(args, '/b'));
    expect(key(args, '/a')).not.toBe(key([...args, '--env-manager', 'uv'], '/a'));
  });
});

describe('fileSignature', () => {
  it('changes when a file is rewritten and says `absent` for a missing one', () => {
    const dir = tempDir();
    const file = path.join(dir, 'MLmodel');
    writeFileSync(file, 'a: 1\n');
    const before = fileSignature(file);
    writeFileSync(file, 'a: 12\n');
    expect(fileSignature(file)).not.toBe(before);
    expect(fileSignature(path.join(dir, 'nope'))).toBe('absent');
  });
});
