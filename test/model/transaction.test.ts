import { describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { commitModelFiles, recoverModelDirectory, JOURNAL_NAME } from '../../src/model/transaction.js';
import { tempDir } from '../support/cli.js';

async function modelDir(files: Record<string, string>): Promise<string> {
  const dir = tempDir('mlf-txn-');
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content);
  return dir;
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) out[name] = await fs.readFile(path.join(dir, name), 'utf8');
  return out;
}

describe('commitModelFiles', () => {
  it('replaces several files and leaves nothing else behind', async () => {
    const dir = await modelDir({ 'requirements.txt': 'old', 'conda.yaml': 'old: 1\n', MLmodel: 'm' });
    await commitModelFiles(dir, [
      { name: 'requirements.txt', content: 'new' },
      { name: 'conda.yaml', content: 'new: 1\n' },
    ]);
    expect(await snapshot(dir)).toEqual({ MLmodel: 'm', 'conda.yaml': 'new: 1\n', 'requirements.txt': 'new' });
  });

  it('writes a single file without a journal', async () => {
    const dir = await modelDir({ 'conda.yaml': 'a' });
    await commitModelFiles(dir, [{ name: 'conda.yaml', content: 'b' }]);
    expect(await snapshot(dir)).toEqual({ 'conda.yaml': 'b' });
  });

  it('refuses names that leave the directory', async () => {
    const dir = await modelDir({});
    await expect(commitModelFiles(dir, [{ name: '../x', content: '' }])).rejects.toThrow('not a plain file name');
  });
});

describe('recoverModelDirectory', () => {
  it('reports a clean directory as clean', async () => {
    const dir = await modelDir({ 'requirements.txt': 'a' });
    expect(await recoverModelDirectory(dir)).toBe('clean');
  });

  it('rolls back temp files written before the commit point', async () => {
    const dir = await modelDir({
      'requirements.txt': 'old',
      'requirements.txt.mlf-tmp-abc': 'new',
      'conda.yaml.mlf-tmp-abc': 'half',
    });
    expect(await recoverModelDirectory(dir)).toBe('rolled-back');
    expect(await snapshot(dir)).toEqual({ 'requirements.txt': 'old' });
  });

  it('rolls forward a committed journal, including one whose renames were partly done', async () => {
    const journal = {
      version: 1,
      id: 'abc',
      renames: [
        { from: 'requirements.txt.mlf-tmp-abc', to: 'requirements.txt' },
        { from: 'conda.yaml.mlf-tmp-abc', to: 'conda.yaml' },
      ],
    };
    // The first rename already happened; the second did not.
    const dir = await modelDir({
      'requirements.txt': 'new',
      'conda.yaml': 'old',
      'conda.yaml.mlf-tmp-abc': 'new conda',
      [JOURNAL_NAME]: JSON.stringify(journal),
    });
    expect(await recoverModelDirectory(dir)).toBe('rolled-forward');
    expect(await snapshot(dir)).toEqual({ 'conda.yaml': 'new conda', 'requirements.txt': 'new' });
  });

  it('says which file is wrong when a journal was edited by hand', async () => {
    const dir = await modelDir({ [JOURNAL_NAME]: '{not json' });
    await expect(recoverModelDirectory(dir)).rejects.toMatchObject({
      code: 'CORRUPT_TRANSACTION',
      exitCode: 2,
    });
  });
});
