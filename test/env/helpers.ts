import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tempDir } from '../support/temp.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateModel } from '../../src/model/directory/locate.js';
import { readModelDirectory, type ModelDirectory } from '../../src/model/directory/strict.js';

/** Shared set-up for env/ tests: temp dirs, model directories, fake tools and fake interpreters. */

export const FAKES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fakes');

// Temp directories come from test/support/temp.ts: removed after each file by the suite's setup file.
export { tempDir } from '../support/temp.js';

export interface ModelSpec {
  python?: string;
  buildDependencies?: string[];
  /** requirements.txt text; python_env.yaml then says `-r requirements.txt`. */
  requirements?: string;
  constraints?: string;
  /** conda.yaml text. */
  conda?: string;
  /** Leave python_env.yaml out (old models). */
  noPythonEnv?: boolean;
  mlflowVersion?: string;
}

export function writeModel(dir: string, spec: ModelSpec = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'MLmodel'),
    [
      'flavors:',
      '  python_function:',
      '    env:',
      '      conda: conda.yaml',
      '      virtualenv: python_env.yaml',
      '    loader_module: mlflow.pyfunc.model',
      `mlflow_version: ${spec.mlflowVersion ?? '3.6.0'}`,
      '',
    ].join('\n'),
  );
  if (!spec.noPythonEnv) {
    const build = spec.buildDependencies ?? [];
    writeFileSync(
      path.join(dir, 'python_env.yaml'),
      [`python: ${spec.python ?? '3.11.7'}`, ...(build.length ? ['build_dependencies:', ...build.map((b) => `- ${b}`)] : []), 'dependencies:', '- -r requirements.txt', ''].join('\n'),
    );
  }
  writeFileSync(path.join(dir, 'requirements.txt'), spec.requirements ?? 'six==1.17.0\n');
  if (spec.constraints !== undefined) writeFileSync(path.join(dir, 'constraints.txt'), spec.constraints);
  if (spec.conda !== undefined) writeFileSync(path.join(dir, 'conda.yaml'), spec.conda);
  return dir;
}

/**
 * A bin directory holding `node` (the fakes are node scripts) and the named stand-ins:
 * `uv`, `conda`, `mamba`, `micromamba` (the last two are the conda stand-in under another name).
 */
export function fakeBin(tools: string[]): string {
  const dir = tempDir('mlf-fake-bin-');
  symlinkSync(process.execPath, path.join(dir, 'node'));
  for (const tool of tools) symlinkSync(path.join(FAKES_DIR, tool === 'uv' ? 'uv' : 'conda'), path.join(dir, tool));
  return dir;
}

/**
 * A fake interpreter: a shell script that answers mlf's interpreter query with `version` and
 * its own path, as a real one does. Returns its path.
 */
export function fakePython(file: string, version: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\necho '{"version": "${version}", "path": "${file}", "implementation": "cpython"}'\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A pyenv root with `versions/<v>/bin/python3` for each version. */
export function fakePyenv(versions: string[]): string {
  const root = tempDir('mlf-fake-pyenv-');
  for (const v of versions) fakePython(path.join(root, 'versions', v, 'bin', 'python3'), v);
  return root;
}

export interface LoggedCall {
  tool: string;
  argv: string[];
  cwd: string;
  file?: string;
  files?: Record<string, string>;
}

export function readLog(file: string): LoggedCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoggedCall);
}

/** The model at `dir` as the callers of env/ hand it over: read once by model/directory/strict.ts. */
export function readModel(dir: string): Promise<ModelDirectory> {
  return readModelDirectory(locateModel(dir, '/'));
}
