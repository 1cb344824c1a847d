import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY_MTIME, writeTarGz, type TarEntry } from '../../../src/env/pack/archive.js';
import { tempDir } from '../../support/temp.js';

/** The archives are read back by GNU tar and by Python's tarfile (what MLServer extracts with). */
const longDir = `lib/python3.11/site-packages/${'a'.repeat(60)}/${'b'.repeat(60)}`;
const veryLong = `${'c'.repeat(120)}/${'d'.repeat(120)}.py`;

function sampleEntries(dir: string): TarEntry[] {
  const source = path.join(dir, 'big.bin');
  const bytes = Buffer.alloc(70_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
  writeFileSync(source, bytes);
  return [
    { type: 'dir', path: 'bin', mode: 0o755 },
    { type: 'file', path: 'bin/python', mode: 0o755, data: Buffer.from('#!/bin/bash\necho hi\n') },
    { type: 'symlink', path: 'bin/python3', target: 'python' },
    { type: 'file', path: 'big.bin', mode: 0o644, source, size: bytes.length },
    { type: 'dir', path: longDir, mode: 0o755 },
    { type: 'file', path: `${longDir}/mod.py`, mode: 0o644, data: Buffer.from('x = 1\n') },
    { type: 'file', path: veryLong, mode: 0o644, data: Buffer.from('y = 2\n') },
    { type: 'symlink', path: 'far', target: `../${'e'.repeat(150)}` },
    { type: 'file', path: 'ünïcode.txt', mode: 0o644, data: Buffer.from('u\n') },
  ];
}

describe('writeTarGz', () => {
  it('writes an archive that GNU tar and Python extract as given (modes, links, long and UTF-8 names, mtime)', () => {
    const dir = tempDir();
    const archive = path.join(dir, 'out.tar.gz');
    return writeTarGz(sampleEntries(dir), archive).then((size) => {
      expect(size).toBe(statSync(archive).size);
      const gnu = path.join(dir, 'gnu');
      mkdirSync(gnu);
      execFileSync('tar', ['-xzf', archive, '-C', gnu]);
      const py = path.join(dir, 'py');
      execFileSync('python3', ['-c', 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])', archive, py]);
      for (const root of [gnu, py]) {
        expect(readFileSync(path.join(root, 'bin/python'), 'utf8')).toBe('#!/bin/bash\necho hi\n');
        expect(statSync(path.join(root, 'bin/python')).mode & 0o777).toBe(0o755);
        expect(readlinkSync(path.join(root, 'bin/python3'))).toBe('python');
        expect(readFileSync(path.join(root, 'big.bin')).equals(readFileSync(path.join(dir, 'big.bin')))).toBe(true);
        expect(readFileSync(path.join(root, longDir, 'mod.py'), 'utf8')).toBe('x = 1\n');
        expect(readFileSync(path.join(root, veryLong), 'utf8')).toBe('y = 2\n');
        expect(readlinkSync(path.join(root, 'far'))).toBe(`../${'e'.repeat(150)}`);
        expect(readFileSync(path.join(root, 'ünïcode.txt'), 'utf8')).toBe('u\n');
        expect(statSync(path.join(root, 'big.bin')).mtimeMs).toBe(ENTRY_MTIME.getTime());
      }
      // One owner (0:0, no names) and one mtime on every entry, directories included.
      const owners = execFileSync('python3', ['-c', 'import sys, tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.uid, m.gid, repr(m.uname), repr(m.gname), int(m.mtime))', archive], { encoding: 'utf8' });
      expect(new Set(owners.trim().split('\n'))).toEqual(new Set([`0 0 '' '' ${ENTRY_MTIME.getTime() / 1000}`]));
      // The listing keeps the order given.
      const listed = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n');
      expect(listed.slice(0, 4)).toEqual(['bin/', 'bin/python', 'bin/python3', 'big.bin']);
    });
  });

  it('writes the same bytes for the same entries', async () => {
    const dir = tempDir();
    await writeTarGz(sampleEntries(dir), path.join(dir, 'a.tar.gz'));
    await writeTarGz(sampleEntries(dir), path.join(dir, 'b.tar.gz'));
    expect(readFileSync(path.join(dir, 'a.tar.gz')).equals(readFileSync(path.join(dir, 'b.tar.gz')))).toBe(true);
  });

  it('replaces an existing archive whole, and on failure leaves it and no temp file', async () => {
    const dir = tempDir();
    const archive = path.join(dir, 'env.tar.gz');
    writeFileSync(archive, 'old');
    await writeTarGz([{ type: 'file', path: 'a', mode: 0o644, data: Buffer.from('new') }], archive);
    expect(execFileSync('tar', ['-xzOf', archive, 'a'], { encoding: 'utf8' })).toBe('new');
    const before = readFileSync(archive);
    const missing: TarEntry = { type: 'file', path: 'gone', mode: 0o644, source: path.join(dir, 'no-such-file'), size: 3 };
    await expect(writeTarGz([missing], archive)).rejects.toThrow(/no-such-file/);
    writeFileSync(path.join(dir, 'grown'), 'longer than listed');
    await expect(writeTarGz([{ type: 'file', path: 'g', mode: 0o644, source: path.join(dir, 'grown'), size: 3 }], archive)).rejects.toThrow(/changed while it was being archived/);
    expect(readFileSync(archive).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['env.tar.gz', 'grown']);
    expect(existsSync(path.join(dir, 'no-such-file'))).toBe(false);
  });
});
