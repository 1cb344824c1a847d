import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkIndexUrl, hasIndexSettings, writeIndexSecrets } from '../../src/docker/build-secrets.js';
import { tempDir } from '../support/temp.js';

describe('writeIndexSecrets', () => {
  it('writes the index variables uv and pip read as a file the install sources, 0600, beside the netrc copy', async () => {
    const dir = path.join(tempDir('mlf-secrets-'), 'secrets');
    const netrc = path.join(tempDir('mlf-secrets-'), 'netrc');
    writeFileSync(netrc, 'machine 127.0.0.1 login mlf password p4ss\n');
    const secrets = await writeIndexSecrets(dir, { indexUrl: "https://u:t'k@127.0.0.1:1/simple", extraIndexUrls: ['http://127.0.0.1:2/a', 'http://127.0.0.1:3/b'], netrc });
    expect(secrets).toEqual([
      { id: 'mlf-index', file: path.join(dir, 'mlf-index') },
      { id: 'netrc', file: path.join(dir, 'netrc') },
    ]);
    for (const { file } of secrets) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'netrc'), 'utf8')).toBe(readFileSync(netrc, 'utf8'));
    // What the install's shell sees after sourcing it, quotes and all.
    const seen = execFileSync('/bin/sh', ['-euc', `. "$1"; printf '%s\\n' "$UV_DEFAULT_INDEX" "$PIP_INDEX_URL" "$UV_INDEX" "$PIP_EXTRA_INDEX_URL"`, 'sh', path.join(dir, 'mlf-index')], { encoding: 'utf8' });
    expect(seen.split('\n').slice(0, 4)).toEqual(["https://u:t'k@127.0.0.1:1/simple", "https://u:t'k@127.0.0.1:1/simple", 'http://127.0.0.1:2/a http://127.0.0.1:3/b', 'http://127.0.0.1:2/a http://127.0.0.1:3/b']);
  });

  it('writes nothing without settings, and refuses an unreadable netrc with one line', async () => {
    const dir = path.join(tempDir('mlf-secrets-'), 'secrets');
    expect(hasIndexSettings({ extraIndexUrls: [] })).toBe(false);
    expect(await writeIndexSecrets(dir, { extraIndexUrls: [] })).toEqual([]);
    await expect(writeIndexSecrets(dir, { extraIndexUrls: [], netrc: path.join(dir, 'absent') })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('ENOENT') });
  });
});

describe('checkIndexUrl', () => {
  it('takes http(s) URLs and refuses others without echoing credentials', () => {
    expect(() => checkIndexUrl('--index-url', 'https://127.0.0.1/simple')).not.toThrow();
    expect(() => checkIndexUrl('--index-url', 'ftp://user:secret@127.0.0.1/simple')).toThrow(/^invalid value `ftp:\/\/\*\*\*@127\.0\.0\.1\/simple` for --index-url: /);
    expect(() => checkIndexUrl('--extra-index-url', 'not a url')).toThrow(/for --extra-index-url/);
  });
});
