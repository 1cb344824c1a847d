/**
 * Atomic multi-file commits and their recovery (model/transaction.ts, model/transaction-journal.ts):
 * a genuine interrupted transaction is finished or undone; a journal recovery cannot prove is
 * mlf's own is refused in one line (exit 2) and leaves the directory exactly as it was.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitModelFiles, recoverModelDirectory, JOURNAL_NAME } from '../../src/model/transaction.js';
import { digestOf, tempNameFor } from '../../src/model/transaction-journal.js';
import { rejectedMlfError } from '../support/errors.js';
import { tempDir } from '../support/cli.js';

const created: string[] = [];
afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ID = '0123456789ab';
const MLMODEL = 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n';
const REQUIREMENTS = 'mlflow==2.9.2\nscikit-learn==1.3.2\n';
const CONDA = 'dependencies:\n- python=3.11.7\n- pip:\n  - mlflow==2.9.2\nname: mlflow-env\n';

async function modelDir(files: Record<string, string | Buffer>): Promise<string> {
  // Two levels down, so that a hostile `../../x` planted beside it stays inside the temp dir.
  const root = tempDir('mlf-txn-');
  created.push(root);
  const dir = path.join(root, 'models', 'm');
  await fs.mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content);
  return dir;
}

/** Names and contents only (a file's text), for the happy paths. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) out[name] = await fs.readFile(path.join(dir, name), 'utf8');
  return out;
}

/**
 * Everything in the directory, byte for byte, without following links or opening FIFOs (which
 * test/support/files.ts's snapshotDirectory would: a journal planted as a link to /dev/zero or
 * a FIFO must not hang the test that plants it).
 */
function exactState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative)).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      const full = path.join(dir, child);
      const stats = lstatSync(full);
      const mode = (stats.mode & 0o777).toString(8);
      if (stats.isSymbolicLink()) out[child] = `link -> ${readlinkSync(full)}`;
      else if (stats.isDirectory()) {
        out[child] = `dir ${mode}`;
        walk(child);
      } else if (stats.isFile()) out[child] = `file ${mode} ${readFileSync(full).toString('base64')}`;
      else out[child] = `special ${mode}`;
    }
  };
  walk('');
  return out;
}

/** A staged rename as commitModelFiles records it. */
function staged(to: string, content: string, id = ID) {
  const bytes = Buffer.from(content);
  return { from: tempNameFor(to, id), to, size: bytes.length, sha256: digestOf(bytes) };
}

function journalText(renames: unknown[], id = ID): string {
  return JSON.stringify({ version: 2, id, renames });
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

  it('refuses to commit over a journal it cannot prove is its own, writing nothing', async () => {
    const dir = await modelDir({
      MLmodel: MLMODEL,
      'requirements.txt': REQUIREMENTS,
      [JOURNAL_NAME]: JSON.stringify({ version: 1, id: 'x', renames: [{ from: 'MLmodel', to: 'requirements.txt' }] }),
    });
    const before = exactState(dir);
    const error = await rejectedMlfError(
      commitModelFiles(dir, [
        { name: 'requirements.txt', content: 'x==1\n' },
        { name: 'conda.yaml', content: CONDA },
      ]),
    );
    expect(error.code).toBe('CORRUPT_TRANSACTION');
    expect(exactState(dir)).toEqual(before);
  });
});

describe('recoverModelDirectory on what mlf leaves', () => {
  it('reports a clean directory as clean', async () => {
    const dir = await modelDir({ 'requirements.txt': 'a' });
    expect(await recoverModelDirectory(dir)).toBe('clean');
  });

  it('rolls back temp files written before the commit point, its journal temp included', async () => {
    const dir = await modelDir({
      'requirements.txt': 'old',
      [tempNameFor('requirements.txt', ID)]: 'new',
      [tempNameFor('conda.yaml', ID)]: 'half',
      [tempNameFor(JOURNAL_NAME, ID)]: '{"version":2',
    });
    expect(await recoverModelDirectory(dir)).toBe('rolled-back');
    expect(await snapshot(dir)).toEqual({ 'requirements.txt': 'old' });
  });

  it('rolls back only what carries its naming: other files, links and directories are left alone', async () => {
    const dir = await modelDir({
      'requirements.txt': 'old',
      [tempNameFor('requirements.txt', ID)]: 'new',
      // Not mlf's: a file it never writes, a short id, a name outside the model's env files.
      [tempNameFor('model.pkl', ID)]: 'user data',
      'requirements.txt.mlf-tmp-abc': 'user data',
      'notes.mlf-tmp-': 'user data',
    });
    await fs.mkdir(path.join(dir, tempNameFor('conda.yaml', ID)));
    await fs.writeFile(path.join(dir, tempNameFor('conda.yaml', ID), 'inside'), 'kept');
    await fs.symlink('requirements.txt', path.join(dir, tempNameFor('python_env.yaml', ID)));
    const before = exactState(dir);
    expect(await recoverModelDirectory(dir)).toBe('rolled-back');
    const { [tempNameFor('requirements.txt', ID)]: removed, ...rest } = before;
    expect(removed).toBeDefined();
    expect(exactState(dir)).toEqual(rest);
  });

  it('rolls forward a committed journal, including one whose renames were partly done', async () => {
    // The first rename already happened; the second did not.
    const dir = await modelDir({
      'requirements.txt': 'new',
      'conda.yaml': 'old',
      [tempNameFor('conda.yaml', ID)]: 'new conda',
      [JOURNAL_NAME]: journalText([staged('requirements.txt', 'new'), staged('conda.yaml', 'new conda')]),
    });
    expect(await recoverModelDirectory(dir)).toBe('rolled-forward');
    expect(await snapshot(dir)).toEqual({ 'conda.yaml': 'new conda', 'requirements.txt': 'new' });
  });

  it('finishes a journal whose renames were all done (killed before it was removed)', async () => {
    const dir = await modelDir({
      'requirements.txt': 'new',
      'conda.yaml': 'new conda',
      [JOURNAL_NAME]: journalText([staged('requirements.txt', 'new'), staged('conda.yaml', 'new conda')]),
    });
    expect(await recoverModelDirectory(dir)).toBe('rolled-forward');
    expect(await snapshot(dir)).toEqual({ 'conda.yaml': 'new conda', 'requirements.txt': 'new' });
  });

  it('renames onto the conda file a model declares when the caller names it', async () => {
    const files = {
      'requirements.txt': 'old',
      'my_env.yaml': 'old',
      [tempNameFor('requirements.txt', ID)]: 'new',
      [tempNameFor('my_env.yaml', ID)]: 'new env',
      [JOURNAL_NAME]: journalText([staged('requirements.txt', 'new'), staged('my_env.yaml', 'new env')]),
    };
    const refused = await modelDir(files);
    expect((await rejectedMlfError(recoverModelDirectory(refused))).message).toContain('`my_env.yaml` is not a file mlf writes');
    const dir = await modelDir(files);
    expect(await recoverModelDirectory(dir, { targets: ['my_env.yaml'] })).toBe('rolled-forward');
    expect(await snapshot(dir)).toEqual({ 'my_env.yaml': 'new env', 'requirements.txt': 'new' });
  });
});

describe('recoverModelDirectory refuses a journal it cannot prove is its own, changing nothing', () => {
  const base = { MLmodel: MLMODEL, 'requirements.txt': REQUIREMENTS, 'conda.yaml': CONDA };
  const newRequirements = 'x==1\n';
  const newConda = 'dependencies:\n- pip:\n  - x==1\n';
  const genuine = () => ({
    ...base,
    [tempNameFor('requirements.txt', ID)]: newRequirements,
    [tempNameFor('conda.yaml', ID)]: newConda,
  });

  // [case, the directory's files (the journal among them), a phrase of the reason]
  const cases: [string, Record<string, string | Buffer>, string][] = [
    [
      'the reproduced data loss: MLmodel renamed over requirements.txt',
      { ...base, [JOURNAL_NAME]: '{"version":1,"id":"x","renames":[{"from":"MLmodel","to":"requirements.txt"}]}' },
      'field `version`',
    ],
    ['an array', { ...base, [JOURNAL_NAME]: '[1,2,3]' }, 'its top level'],
    ['null', { ...base, [JOURNAL_NAME]: 'null' }, 'its top level'],
    ['truncated JSON', { ...genuine(), [JOURNAL_NAME]: journalText([staged('requirements.txt', newRequirements)]).slice(0, 40) }, 'not valid JSON'],
    ['empty', { ...base, [JOURNAL_NAME]: '' }, 'not valid JSON'],
    ['huge', { ...base, [JOURNAL_NAME]: `${journalText([])}${' '.repeat(70 * 1024)}` }, 'larger than 65536 bytes'],
    ['invalid UTF-8', { ...base, [JOURNAL_NAME]: Buffer.from('{"version":2,"id":"\xff"}', 'latin1') }, 'not valid UTF-8'],
    ['an unknown key', { ...genuine(), [JOURNAL_NAME]: JSON.stringify({ version: 2, id: ID, renames: [staged('requirements.txt', newRequirements)], extra: 1 }) }, 'its top level'],
    ['a bad id', { ...genuine(), [JOURNAL_NAME]: journalText([staged('requirements.txt', newRequirements, 'x')], 'x') }, 'field `id`'],
    ['no renames', { ...base, [JOURNAL_NAME]: journalText([]) }, 'field `renames`'],
    [
      'an old-format rename without size and digest',
      { ...genuine(), [JOURNAL_NAME]: journalText([{ from: tempNameFor('requirements.txt', ID), to: 'requirements.txt' }]) },
      'field `renames.0.size`',
    ],
    [
      'a source that is a real model file, with its true size and digest',
      { ...base, [JOURNAL_NAME]: journalText([{ ...staged('requirements.txt', MLMODEL), from: 'MLmodel' }]) },
      'field `renames.0.from`',
    ],
    [
      'a target outside the directory',
      { ...base, [tempNameFor('../../x', ID)]: 'a', [JOURNAL_NAME]: journalText([staged('../../x', 'a')]) },
      '`../../x` is not a file mlf writes',
    ],
    ['an absolute target', { ...base, [JOURNAL_NAME]: journalText([staged('/etc/passwd', 'a')]) }, '`/etc/passwd` is not a file mlf writes'],
    [
      'a target mlf never writes (MLmodel), staged with a matching digest',
      { ...base, [tempNameFor('MLmodel', ID)]: 'x', [JOURNAL_NAME]: journalText([staged('MLmodel', 'x')]) },
      '`MLmodel` is not a file mlf writes',
    ],
    [
      'a non-mlf name',
      { ...base, 'model.pkl': 'pickle', [tempNameFor('model.pkl', ID)]: 'x', [JOURNAL_NAME]: journalText([staged('model.pkl', 'x')]) },
      '`model.pkl` is not a file mlf writes',
    ],
    [
      'a source of another id',
      { ...genuine(), [JOURNAL_NAME]: journalText([{ ...staged('requirements.txt', newRequirements), from: tempNameFor('requirements.txt', 'ffffffffffff') }]) },
      "not mlf's temp name",
    ],
    [
      'a target named twice',
      { ...genuine(), [JOURNAL_NAME]: journalText([staged('requirements.txt', newRequirements), staged('requirements.txt', newRequirements)]) },
      'named twice',
    ],
    [
      'a staged file of another size',
      { ...genuine(), [JOURNAL_NAME]: journalText([{ ...staged('requirements.txt', newRequirements), size: 3 }, staged('conda.yaml', newConda)]) },
      'does not have the size and SHA-256',
    ],
    [
      'a staged file of another digest',
      { ...genuine(), [JOURNAL_NAME]: journalText([staged('requirements.txt', newRequirements), { ...staged('conda.yaml', newConda), sha256: 'a'.repeat(64) }]) },
      'does not have the size and SHA-256',
    ],
    [
      'a missing staged file whose target is not what was staged',
      { ...base, [tempNameFor('conda.yaml', ID)]: newConda, [JOURNAL_NAME]: journalText([staged('requirements.txt', newRequirements), staged('conda.yaml', newConda)]) },
      'is gone and `requirements.txt` does not have the size and SHA-256',
    ],
    [
      'neither the staged file nor the target',
      { MLmodel: MLMODEL, [JOURNAL_NAME]: journalText([staged('requirements.txt', newRequirements)]) },
      'neither',
    ],
  ];

  it.each(cases)('%s', async (_name, files, reason) => {
    const dir = await modelDir(files);
    const before = exactState(dir);
    const error = await rejectedMlfError(recoverModelDirectory(dir, { displayPath: 'models/m' }));
    expect(error.code).toBe('CORRUPT_TRANSACTION');
    expect(error.exitCode).toBe(2);
    expect(error.location.file).toBe(`models/m/${JOURNAL_NAME}`);
    expect(error.message).toContain(reason);
    expect(error.message).toMatch(/^not a transaction journal mlf can finish: .*; nothing was renamed or deleted$/);
    expect(error.message).not.toContain('\n');
    expect(error.hint).toBe(`inspect it and the \`*.mlf-tmp-*\` files beside it, then delete \`models/m/${JOURNAL_NAME}\` (and them) and run again`);
    expect(exactState(dir)).toEqual(before);
  });

  // Journals that are not regular files, and staged files that are not either.
  const special: [string, (dir: string) => Promise<void>, string][] = [
    ['a symlink to /dev/zero', (dir) => fs.symlink('/dev/zero', path.join(dir, JOURNAL_NAME)), 'the journal is a symbolic link'],
    [
      'a symlink to a genuine journal',
      async (dir) => {
        await fs.writeFile(path.join(dir, 'elsewhere.json'), journalText([staged('requirements.txt', newRequirements), staged('conda.yaml', newConda)]));
        await fs.symlink('elsewhere.json', path.join(dir, JOURNAL_NAME));
      },
      'the journal is a symbolic link',
    ],
    ['a dangling symlink', (dir) => fs.symlink('nowhere', path.join(dir, JOURNAL_NAME)), 'the journal is a symbolic link'],
    ['a FIFO', async (dir) => void execFileSync('mkfifo', [path.join(dir, JOURNAL_NAME)]), 'the journal is a FIFO, not a regular file'],
    [
      'a directory',
      async (dir) => {
        await fs.mkdir(path.join(dir, JOURNAL_NAME));
        await fs.writeFile(path.join(dir, JOURNAL_NAME, 'x'), 'x');
      },
      'the journal is a directory, not a regular file',
    ],
    [
      'a staged file that is a symlink to the right content',
      async (dir) => {
        await fs.rm(path.join(dir, tempNameFor('conda.yaml', ID)));
        await fs.writeFile(path.join(dir, 'other'), newConda);
        await fs.symlink('other', path.join(dir, tempNameFor('conda.yaml', ID)));
        await fs.writeFile(path.join(dir, JOURNAL_NAME), journalText([staged('requirements.txt', newRequirements), staged('conda.yaml', newConda)]));
      },
      '`conda.yaml.mlf-tmp-0123456789ab` is a symbolic link',
    ],
    [
      'a staged file that is a FIFO',
      async (dir) => {
        await fs.rm(path.join(dir, tempNameFor('conda.yaml', ID)));
        execFileSync('mkfifo', [path.join(dir, tempNameFor('conda.yaml', ID))]);
        await fs.writeFile(path.join(dir, JOURNAL_NAME), journalText([staged('requirements.txt', newRequirements), staged('conda.yaml', newConda)]));
      },
      '`conda.yaml.mlf-tmp-0123456789ab` is a FIFO',
    ],
    [
      'a target that is a directory',
      async (dir) => {
        await fs.rm(path.join(dir, 'conda.yaml'));
        await fs.mkdir(path.join(dir, 'conda.yaml'));
        await fs.writeFile(path.join(dir, JOURNAL_NAME), journalText([staged('requirements.txt', newRequirements), staged('conda.yaml', newConda)]));
      },
      '`conda.yaml` is a directory',
    ],
  ];

  it.each(special)('%s', async (_name, plant, reason) => {
    const dir = await modelDir(genuine());
    await plant(dir);
    const before = exactState(dir);
    const error = await rejectedMlfError(recoverModelDirectory(dir));
    expect(error.code).toBe('CORRUPT_TRANSACTION');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(reason);
    expect(exactState(dir)).toEqual(before);
  });
});
