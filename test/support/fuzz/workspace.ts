/**
 * Makes one fuzz case real on disk: a private copy of the fixture (or, for `package`, a project
 * directory built from it), the mutation applied, the predict payload written, and the mlf
 * command line. Everything lives under the case's own directory, which the caller removes.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { FuzzCase } from './cases.js';
import { MUST_REJECT, mutateFile, mutateJsonString } from './mutations.js';
import type { Edit } from './mutations.js';
import { createRng, seedOf } from './prng.js';
import { LOCK_NAME, plantJournal, plantLock } from './state.js';

export interface WorkspaceOptions {
  /** fixtures/models. */
  modelsDir: string;
  /** A pickled scikit-learn model for package projects whose fixture has none. */
  picklePath: string;
  /** The interpreter package is given with --python (the MLflow test Python). */
  python: string;
  /** This machine's host name (a planted dead lock owner must be on it). */
  host: string;
}

export interface CaseWorkspace {
  /** The directory that must not change when the command fails (the model, or package's project). */
  watched: string;
  cwd: string;
  /** mlf's arguments (after `bin/mlf.js`). */
  args: string[];
  /** What was mutated: a file of `watched`, the payload, or an argument. */
  subject: string;
  /** What the mutation did, in one line. */
  detail: string;
  /** Files (relative to `watched`) the command may change when it succeeds; `out/` for package. */
  mayChange: (relative: string) => boolean;
  /** A planted stale lock may be taken over: its removal is not a change to the model. */
  lockPlanted: boolean;
  /** The mutation put in an input that a check must report (exit 1 or 2), not accept. */
  mustReject: string | undefined;
}

const PARAMS_EXAMPLE = '[{"name": "alpha", "type": "double", "default": 0.5, "shape": null}]';
const SYNTAX_INVALID = new Set(['~', 'name===']);

export function materialize(c: FuzzCase, root: string, options: WorkspaceOptions): CaseWorkspace {
  const rng = createRng(seedOf('mutate', c.seed));
  const source = path.join(options.modelsDir, c.fixture);
  const isPackage = c.command === 'package';
  const watched = path.join(root, isPackage ? 'project' : c.fixture);
  cpSync(source, watched, { recursive: true });
  if (isPackage) prepareProject(watched, options.picklePath);

  let subject = '(nothing: an unmutated control case)';
  let detail = 'no mutation';
  let mustReject: string | undefined;
  const payload = path.join(root, c.contentType === 'csv' ? 'payload.csv' : 'payload.json');
  writeFileSync(payload, payloadText(source, c.contentType));

  const t = c.target;
  switch (t.kind) {
    case 'none':
    case 'argument':
      break;
    case 'file': {
      const file = path.join(watched, t.file);
      const mutated = mutateFile(t.format, t.mutation, readFileSync(file), path.basename(t.file), rng);
      applyEdit(file, mutated.edit);
      subject = t.file;
      detail = `${t.mutation}: ${mutated.detail}`;
      if (t.mutation === 'bad-requirement' && t.file === 'requirements.txt' && mutated.edit.kind === 'write') {
        const lines = Buffer.from(mutated.edit.bytes).toString('utf8').split('\n');
        mustReject = lines.find((line) => MUST_REJECT.has(line));
      }
      break;
    }
    case 'signature': {
      const mlmodelPath = path.join(watched, 'MLmodel');
      const doc = parseYaml(readFileSync(mlmodelPath, 'utf8')) as { signature?: Record<string, unknown> };
      doc.signature ??= {};
      const base = typeof doc.signature[t.field] === 'string' ? (doc.signature[t.field] as string) : PARAMS_EXAMPLE;
      const mutated = mutateJsonString(t.mutation, base, rng);
      doc.signature[t.field] = mutated.value;
      writeFileSync(mlmodelPath, stringifyYaml(doc));
      subject = `MLmodel signature.${t.field}`;
      detail = `${t.mutation}: ${mutated.detail}`;
      break;
    }
    case 'payload': {
      const mutated = mutateFile(c.contentType, t.mutation, readFileSync(payload), path.basename(payload), rng);
      applyEdit(payload, mutated.edit);
      subject = `predict payload (${c.contentType})`;
      detail = `${t.mutation}: ${mutated.detail}`;
      break;
    }
    case 'journal':
    case 'lock': {
      const state = t.kind === 'journal' ? plantJournal(t.mutation, listFiles(watched), rng) : plantLock(t.mutation, options.host, rng);
      for (const plant of state.plants) applyEdit(path.join(watched, plant.path), plant.edit);
      for (const plant of state.plants) {
        if (plant.ageMs === undefined) continue;
        const when = new Date(Date.now() - plant.ageMs);
        utimesSync(path.join(watched, plant.path), when, when);
      }
      subject = t.kind === 'journal' ? '.mlf-transaction.json' : LOCK_NAME;
      detail = `${t.mutation}: ${state.detail}`;
      break;
    }
  }

  const args = commandLine(c, watched, payload, options.python);
  if (t.kind === 'argument') {
    subject = t.flag === 'add' || t.flag === 'remove' ? `the requirement argument of \`${t.flag}\`` : `the ${t.flag} argument`;
    detail = `${t.mutation}: ${describeValue(t.value)}`;
    // An invalid requirement given to add (or to package) must be refused; remove takes names.
    if (SYNTAX_INVALID.has(t.value) && t.flag !== 'remove') mustReject = t.value;
  }

  const allowed: Record<FuzzCase['command'], (f: string) => boolean> = {
    validate: () => false,
    predict: () => false,
    'validate --fix': (f) => f === 'conda.yaml',
    'update-pip-requirements add': (f) => f === 'requirements.txt' || f === 'conda.yaml',
    'update-pip-requirements remove': (f) => f === 'requirements.txt' || f === 'conda.yaml',
    package: (f) => f === 'out' || f.startsWith('out/'),
  };
  return {
    watched,
    cwd: isPackage ? watched : root,
    args: c.json ? [...args, '--json'] : args,
    subject,
    detail,
    mayChange: allowed[c.command],
    lockPlanted: t.kind === 'lock',
    // validate must report all three lines of a requirements file; the other commands read the
    // file only as far as they need it (predict --env-manager local installs nothing), so only an
    // invalid argument is theirs to refuse.
    mustReject: t.kind === 'argument' ? mustReject : c.command.startsWith('validate') ? mustReject : undefined,
  };
}

function commandLine(c: FuzzCase, model: string, payload: string, python: string): string[] {
  const t = c.target;
  switch (c.command) {
    case 'validate':
      return ['models', 'validate', model];
    case 'validate --fix':
      return ['models', 'validate', '--fix', model];
    case 'update-pip-requirements add':
    case 'update-pip-requirements remove': {
      const value = t.kind === 'argument' ? t.value : c.requirement;
      return ['models', 'update-pip-requirements', '-m', model, c.command.endsWith('add') ? 'add' : 'remove', value];
    }
    case 'predict':
      return ['models', 'predict', '-m', model, '-i', payload, '-t', c.contentType, '--env-manager', 'local'];
    case 'package': {
      const p = c.pkg;
      const flags: [string, string][] = [['--flavor', 'sklearn'], ['--model-file', 'model.pkl']];
      if (p.inputExample) flags.push(['--input-example', 'input_example.json']);
      if (p.signature) flags.push(['--signature', 'signature.json']);
      if (p.requirements === 'conda-env') flags.push(['--conda-env', 'conda.yaml']);
      if (p.requirements === 'pip-file') flags.push(['--pip-requirements', '-r requirements.txt']);
      if (p.requirements === 'extra-file') flags.push(['--extra-pip-requirements', '-r requirements.txt']);
      if (p.metadata) flags.push(['--metadata', 'owner=fuzz']);
      if (t.kind === 'argument') {
        // A bad value replaces the flag's own (the model file), or is added (the others).
        const existing = flags.findIndex(([flag]) => flag === t.flag && flag === '--model-file');
        if (existing >= 0) flags[existing] = [t.flag, t.value];
        else flags.push([t.flag, t.value]);
      }
      return ['models', 'package', '-o', 'out', ...flags.flat(), '--python', python];
    }
  }
}

/** package reads a project: the fixture's files, a pickled model, and a signature file. */
function prepareProject(project: string, picklePath: string): void {
  const pickle = path.join(project, 'model.pkl');
  if (!existsSync(pickle)) cpSync(picklePath, pickle);
  const doc = parseYaml(readFileSync(path.join(project, 'MLmodel'), 'utf8')) as { signature?: Record<string, string | null> };
  const part = (value: string | null | undefined) => (typeof value === 'string' ? JSON.parse(value) : null);
  const signature = { inputs: part(doc.signature?.inputs), outputs: part(doc.signature?.outputs), params: part(doc.signature?.params) };
  writeFileSync(path.join(project, 'signature.json'), `${JSON.stringify(signature, null, 2)}\n`);
  if (!existsSync(path.join(project, 'requirements.txt'))) writeFileSync(path.join(project, 'requirements.txt'), 'scikit-learn==1.9.1\n');
}

/** The predict input: the fixture's serving example (JSON) or its input example as CSV. */
function payloadText(fixture: string, contentType: 'json' | 'csv'): string {
  const example = JSON.parse(readFileSync(path.join(fixture, 'input_example.json'), 'utf8')) as { columns: string[]; data: unknown[][] };
  if (contentType === 'json') {
    const serving = path.join(fixture, 'serving_input_example.json');
    return existsSync(serving) ? readFileSync(serving, 'utf8') : JSON.stringify({ dataframe_split: example });
  }
  const cell = (v: unknown) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  return `${[example.columns, ...example.data].map((row) => row.map(cell).join(',')).join('\n')}\n`;
}

export function applyEdit(file: string, edit: Edit): void {
  rmSync(file, { recursive: true, force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  switch (edit.kind) {
    case 'write':
      writeFileSync(file, edit.bytes);
      break;
    case 'symlink':
      symlinkSync(edit.target, file);
      break;
    case 'directory':
      mkdirSync(file);
      break;
    case 'fifo':
      execFileSync('mkfifo', [file]);
      break;
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (lstatSync(full).isDirectory()) out.push(...listFiles(full, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

function describeValue(value: string): string {
  return value.length > 60 ? `${JSON.stringify(value.slice(0, 40))}... (${value.length} characters)` : JSON.stringify(value);
}
