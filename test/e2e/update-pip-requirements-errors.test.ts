/**
 * Bad input to update-pip-requirements: one line naming the file, line or field, exit code 2,
 * no stack trace (unless --verbose), and the model directory byte-identical afterwards.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliIsBuilt, copyFixtureModel, runMlf, tempDir } from '../support/cli.js';
import { snapshotDirectory } from '../support/files.js';

const built = cliIsBuilt();


interface Case {
  name: string;
  /** Makes the model directory to run on; returns [model argument, directory to snapshot]. */
  setup: () => [string, string];
  args: string[];
  /** Every string the one error line must contain. */
  line: string[];
}

const edit = (fixture: string, file: string, change: (text: string) => string) => (): [string, string] => {
  const dir = copyFixtureModel(fixture);
  writeFileSync(path.join(dir, file), change(readFileSync(path.join(dir, file), 'utf8')));
  return [dir, dir];
};

const cases: Case[] = [
  {
    name: 'an MLmodel whose env names a conda file in a subdirectory',
    setup: () => {
      const dir = copyFixtureModel('sklearn-iris');
      mkdirSync(path.join(dir, 'envs'));
      renameSync(path.join(dir, 'conda.yaml'), path.join(dir, 'envs', 'c.yaml'));
      const mlmodel = path.join(dir, 'MLmodel');
      writeFileSync(mlmodel, readFileSync(mlmodel, 'utf8').replace('conda: conda.yaml', 'conda: envs/c.yaml'));
      return [dir, dir];
    },
    args: ['add', 'numpy==2.0'],
    line: ['MLmodel', '`env` names the conda file `envs/c.yaml`, which is not a file at the top of the model directory'],
  },
  {
    name: 'a directory that is not a model',
    setup: () => {
      const dir = tempDir('mlf-not-a-model-');
      writeFileSync(path.join(dir, 'requirements.txt'), 'pandas==2.0\n');
      return [dir, dir];
    },
    args: ['add', 'numpy==2.0'],
    line: ['Could not find an "MLmodel" configuration file at'],
  },
  {
    name: 'a file instead of a directory',
    setup: () => {
      const dir = copyFixtureModel('sklearn-iris');
      return [path.join(dir, 'MLmodel'), dir];
    },
    args: ['add', 'numpy==2.0'],
    line: ['MLmodel', 'is not a directory', 'Pass the directory that contains it'],
  },
  {
    name: 'a path that does not exist',
    setup: () => {
      const dir = tempDir('mlf-missing-');
      return [path.join(dir, 'nowhere'), dir];
    },
    args: ['remove', 'numpy'],
    line: ['nowhere', 'Could not find an "MLmodel" configuration file'],
  },
  {
    name: 'a model without requirements.txt',
    setup: () => {
      const dir = copyFixtureModel('mlflow1-defaults');
      return [dir, dir];
    },
    args: ['add', 'numpy==2.0'],
    line: ['requirements.txt', 'does not exist'],
  },
  {
    name: 'malformed YAML in MLmodel',
    setup: edit('sklearn-iris', 'MLmodel', (text) => text.replace('flavors:', 'flavors: [')),
    args: ['add', 'numpy==2.0'],
    line: ['MLmodel:', 'YAML'],
  },
  {
    name: 'malformed YAML in conda.yaml',
    setup: edit('sklearn-iris', 'conda.yaml', (text) => `${text}  - : : [\n`),
    args: ['add', 'numpy==2.0'],
    line: ['conda.yaml:', 'YAML'],
  },
  {
    name: 'an invalid requirement in requirements.txt',
    setup: edit('sklearn-iris', 'requirements.txt', (text) => text.replace('numpy==2.4.6', 'numpy=2.4.6')),
    args: ['add', 'pandas==2.2.3'],
    line: ['requirements.txt:2:6', 'Invalid requirement `numpy=2.4.6` at column 6'],
  },
  {
    name: 'an invalid requirement on the command line',
    setup: () => {
      const dir = copyFixtureModel('sklearn-iris');
      return [dir, dir];
    },
    args: ['add', 'pandas==2.2.3', 'numpy>=1 scipy'],
    line: ['requirement 2 of the command line', 'Invalid requirement `numpy>=1 scipy` at column 10'],
  },
  {
    name: 'removing a package that is not listed',
    setup: () => {
      const dir = copyFixtureModel('sklearn-iris');
      return [dir, dir];
    },
    args: ['remove', 'scipy', 'tabulate'],
    line: ['requirements.txt', '`tabulate` is not listed, so nothing was changed'],
  },
  {
    name: 'adding two conflicting requirements',
    setup: () => {
      const dir = copyFixtureModel('sklearn-iris');
      return [dir, dir];
    },
    args: ['add', 'pandas==2.2.3', 'Pandas<2'],
    line: ['Conflicting requirements for `pandas`', '`pandas==2.2.3` (argument 1)', '`pandas<2` (argument 2)'],
  },
  {
    name: 'an unknown operation',
    setup: () => {
      const dir = copyFixtureModel('sklearn-iris');
      return [dir, dir];
    },
    args: ['replace', 'pandas==2.2.3'],
    line: ['Unknown operation `replace`', 'use `add` or `remove`'],
  },
];

describe.skipIf(!built)(`update-pip-requirements on bad input${built ? '' : ' (skipped: run `npm run build`)'}`, () => {
  it.each(cases)('$name', async ({ setup, args, line }) => {
    const [model, dir] = setup();
    mkdirSync(dir, { recursive: true });
    const before = snapshotDirectory(dir);
    const result = await runMlf(['models', 'update-pip-requirements', '-m', model, ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: /);
    for (const part of line) expect(lines[0]).toContain(part);
    // Only a requirement error adds lines: the text and a caret under the column.
    const extra = lines.slice(1);
    expect(extra.length === 0 || (extra.length === 2 && /^ +~*\^/.test(extra[1]!)), result.stderr).toBe(true);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(snapshotDirectory(dir)).toEqual(before);
  });

  it('shows the stack trace with --verbose', async () => {
    const dir = copyFixtureModel('sklearn-iris');
    const result = await runMlf(['models', 'update-pip-requirements', '-m', dir, 'remove', 'tabulate', '--verbose']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('puts the error in the --json object', async () => {
    const dir = copyFixtureModel('sklearn-iris');
    const result = await runMlf(['models', 'update-pip-requirements', '-m', dir, 'remove', 'tabulate', '--json']);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'REQUIREMENT_NOT_LISTED', exitCode: 2 } });
    expect(result.stderr).toBe('');
  });
});

describe.skipIf(!built)(`update-pip-requirements with a leftover journal it cannot prove is its own${built ? '' : ' (skipped: run `npm run build`)'}`, () => {
  const created: string[] = [];
  afterAll(() => {
    for (const dir of created) rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  // The first is the fuzzer's reproduced data loss: it renamed MLmodel over requirements.txt.
  const journals: [string, string, string][] = [
    ['MLmodel renamed over requirements.txt', '{"version":1,"id":"x","renames":[{"from":"MLmodel","to":"requirements.txt"}]}', 'field `version`'],
    ['an array', '[1,2,3]', 'its top level'],
    ['null', 'null', 'its top level'],
    [
      'a target outside the directory',
      JSON.stringify({ version: 2, id: '0123456789ab', renames: [{ from: 'MLmodel', to: '../../x', size: 1, sha256: '0'.repeat(64) }] }),
      'field `renames.0.to`: `../../x` is not a file mlf writes',
    ],
  ];
  it.each(journals)('%s: one line, exit 2, nothing renamed or deleted', async (_name, journal, reason) => {
    const dir = copyFixtureModel('sklearn-iris');
    created.push(dir);
    writeFileSync(path.join(dir, '.mlf-transaction.json'), journal);
    const before = snapshotDirectory(dir);
    const result = await runMlf(['models', 'update-pip-requirements', '-m', dir, 'add', 'x==1']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const journalPath = path.join(dir, '.mlf-transaction.json');
    const hint = `inspect it and the \`*.mlf-tmp-*\` files beside it, then delete \`${journalPath}\` (and them) and run again`;
    expect(result.stderr.endsWith('\n') && !result.stderr.slice(0, -1).includes('\n'), result.stderr).toBe(true);
    expect(result.stderr.startsWith(`error: ${journalPath}: not a transaction journal mlf can finish: ${reason}`), result.stderr).toBe(true);
    expect(result.stderr.endsWith(`; nothing was renamed or deleted; ${hint}\n`), result.stderr).toBe(true);
    expect(snapshotDirectory(dir)).toEqual(before);
    expect(readFileSync(path.join(dir, 'MLmodel'), 'utf8')).toContain('flavors:');
  });
});

