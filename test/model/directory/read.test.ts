import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelFiles } from '../../../src/model/directory/read.js';
import { tempDir } from '../../support/temp.js';

/** read.ts never throws on what it finds: a missing directory and unreadable files come back as data. */

function makeModel(files: Record<string, string>): string {
  const dir = path.join(tempDir('mlf-read-'), 'model');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const MLMODEL = 'flavors:\n  python_function:\n    env:\n      conda: envs/c.yaml\n      virtualenv: python_env.yaml\n    loader_module: m\n';

describe('readModelFiles', () => {
  it.each([
    ['a missing directory', (dir: string) => path.join(dir, 'nope'), { kind: 'missing', reason: 'no such file or directory' }],
    ['a file', (dir: string) => path.join(dir, 'MLmodel'), { kind: 'not-a-directory', reason: 'not a directory' }],
  ])('reports %s as its directoryProblem', async (_name, at, expected) => {
    const files = await readModelFiles(at(makeModel({ MLmodel: MLMODEL })));
    expect(files.directoryProblem).toMatchObject(expected);
    expect(files.mlmodel).toBeUndefined();
  });

  it('reads the env files under the names MLmodel gives, requirements with their includes, and examples when asked', async () => {
    const dir = makeModel({
      MLmodel: `${MLMODEL}saved_input_example_info:\n  artifact_path: input_example.json\n`,
      'envs/c.yaml': 'name: c\n',
      'python_env.yaml': 'python: 3.11.7\n',
      'requirements.txt': '-r more/extra.txt\nsix\n',
      'more/extra.txt': '-c ../constraints.txt\nnumpy\n',
      'constraints.txt': 'numpy<3\n',
      'input_example.json': '{}',
    });
    const files = await readModelFiles(dir, { list: true, examples: true });
    expect(files.problems).toEqual([]);
    expect(files.envFileNames).toEqual({ conda: 'envs/c.yaml', virtualenv: 'python_env.yaml' });
    expect([...files.envFiles.keys()]).toEqual(['envs/c.yaml', 'python_env.yaml']);
    expect([...files.requirementFiles.keys()]).toEqual(['requirements.txt', 'constraints.txt', 'more/extra.txt']);
    expect(files.examples.get('input_example.json')).toBe('{}');
    expect(files.entries.has('more/extra.txt')).toBe(true);
    expect((await readModelFiles(dir)).entries.size).toBe(0);
  });

  it('records a file it cannot read, named by `label`, and reads the rest', async () => {
    const dir = makeModel({ MLmodel: MLMODEL, 'requirements.txt': 'six\n' });
    symlinkSync('gone.yaml', path.join(dir, 'python_env.yaml'));
    const files = await readModelFiles(dir, { label: (relative) => `m/${relative}` });
    expect(files.problems.map((p) => [p.file, p.error.code, p.error.message])).toEqual([
      ['python_env.yaml', 'DANGLING_SYMLINK', '`m/python_env.yaml` is a symlink to `gone.yaml`, which does not exist'],
    ]);
    expect(files.requirementFiles.get('requirements.txt')).toBe('six\n');
  });

  it('skips env file names that leave the directory', async () => {
    const dir = makeModel({ MLmodel: 'flavors:\n  python_function:\n    env: ../conda.yaml\n' });
    const files = await readModelFiles(dir);
    expect(files.envFileNames.conda).toBe('../conda.yaml');
    expect(files.envFiles.size).toBe(0);
    expect(files.problems).toEqual([]);
  });
});
