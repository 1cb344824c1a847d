/**
 * The fuzz test's case plan: pure. Case `index` of a run is drawn from its own PRNG, seeded from
 * the run's seed and the index, so any single case can be re-run alone (MLF_FUZZ_ONLY) and a
 * change in case count does not reshuffle the others.
 *
 * A case is: a fixture model, one input class (a file of the model, a signature, the predict
 * payload, a package argument, a requirement argument, or leftover journal/lock state), one
 * mutation of it, and one command, with or without --json. The mutation's bytes are drawn later
 * (mutations.ts) from a second PRNG with the same seed, once the fixture's bytes are known.
 */
import { BAD_REQUIREMENT_LINES, HUGE, SIGNATURE_CLASSES, classesFor } from './mutations.js';
import type { FileFormat, MutationClass, SignatureClass } from './mutations.js';
import { createRng, seedOf } from './prng.js';
import type { Rng } from './prng.js';
import { JOURNAL_CLASSES, LOCK_CLASSES } from './state.js';
import type { JournalClass, LockClass } from './state.js';

export const COMMANDS = ['validate', 'validate --fix', 'update-pip-requirements add', 'update-pip-requirements remove', 'package', 'predict'] as const;
export type Command = (typeof COMMANDS)[number];

export type InputClass =
  | 'MLmodel'
  | 'requirements'
  | 'conda.yaml'
  | 'python_env.yaml'
  | 'signature'
  | 'input example'
  | 'model artifact'
  | 'predict payload'
  | 'package arguments'
  | 'requirement argument'
  | 'journal'
  | 'lock'
  | 'control';

/** A fixture model directory as the planner sees it: its regular files, `/`-separated. */
export interface FixtureInventory {
  name: string;
  files: readonly string[];
}

export type Target =
  | { kind: 'none' }
  /** A file of the model directory (or, for package, of the project directory). */
  | { kind: 'file'; file: string; format: FileFormat; mutation: MutationClass }
  /** One of the JSON strings under MLmodel's `signature`. */
  | { kind: 'signature'; field: 'inputs' | 'outputs' | 'params'; mutation: SignatureClass }
  /** The predict input file, outside the model directory. */
  | { kind: 'payload'; mutation: MutationClass }
  /** A command-line argument's value; `mutation` names the kind of bad value. */
  | { kind: 'argument'; mutation: 'bad-requirement' | 'huge-line' | 'control-chars' | 'bad-metadata' | 'bad-path'; flag: string; value: string }
  | { kind: 'journal'; mutation: JournalClass }
  | { kind: 'lock'; mutation: LockClass };

export interface PackagePlan {
  inputExample: boolean;
  signature: boolean;
  /** How requirements are given: not at all (inferred), a conda file, or a requirements file / line. */
  requirements: 'infer' | 'conda-env' | 'pip-file' | 'extra-file';
  metadata: boolean;
}

export interface FuzzCase {
  index: number;
  /** The seed of this case's own PRNGs (planning and mutation). */
  seed: number;
  fixture: string;
  command: Command;
  json: boolean;
  input: InputClass;
  target: Target;
  /** update-pip-requirements' requirement argument (add) or name (remove). */
  requirement: string;
  /** predict's input format. */
  contentType: 'json' | 'csv';
  pkg: PackagePlan;
}

const MODEL_COMMANDS: readonly (readonly [Command, number])[] = [
  ['validate', 30],
  ['validate --fix', 20],
  ['update-pip-requirements add', 20],
  ['update-pip-requirements remove', 10],
  ['predict', 6],
];

const INPUT_WEIGHTS: readonly (readonly [InputClass, number])[] = [
  ['MLmodel', 16],
  ['requirements', 12],
  ['conda.yaml', 9],
  ['python_env.yaml', 7],
  ['signature', 8],
  ['input example', 6],
  ['model artifact', 4],
  ['predict payload', 7],
  ['package arguments', 12],
  ['requirement argument', 5],
  ['journal', 8],
  ['lock', 5],
  ['control', 3],
];

export const ADD_REQUIREMENTS = ['x==1', 'numpy==2.4.6', 'pandas>=2', 'Scikit_Learn==1.9.1', 'new-pkg[extra]>=1; python_version > "3.8"', 'mlflow==3.17.2'] as const;
export const REMOVE_NAMES = ['numpy', 'pandas', 'not-there', 'mlflow', 'scikit-learn'] as const;

/** The project files package reads, and the flag each needs. */
const PACKAGE_FILES: readonly { file: string; format: FileFormat }[] = [
  { file: 'conda.yaml', format: 'yaml' },
  { file: 'requirements.txt', format: 'requirements' },
  { file: 'input_example.json', format: 'json' },
  { file: 'signature.json', format: 'json' },
  { file: 'model.pkl', format: 'binary' },
];

const isArtifact = (f: string) => /\.(pkl|skops|py)$/.test(f);
const isRequirements = (f: string) => f === 'requirements.txt' || f === 'constraints.txt';
const isExample = (f: string) => f === 'input_example.json' || f === 'serving_input_example.json';

/** The weights of the mutation classes: the format-specific ones twice as often as the generic. */
function pickMutation(format: FileFormat, rng: Rng): MutationClass {
  const generic = new Set(['byte-flip', 'truncate', 'nul-bytes', 'invalid-utf8', 'control-chars', 'huge-line', 'symlink-dev-zero', 'symlink-dangling', 'symlink-loop', 'directory', 'fifo']);
  return rng.weighted(classesFor(format).map((c) => [c, generic.has(c) ? 1 : 2] as const));
}

export function planCase(runSeed: string | number, index: number, fixtures: readonly FixtureInventory[]): FuzzCase {
  const seed = seedOf('case', runSeed, index);
  const rng = createRng(seed);
  const input = rng.weighted(INPUT_WEIGHTS);
  const having = (test: (f: string) => boolean) => fixtures.filter((f) => f.files.some(test));
  const fixture = rng.pick(
    input === 'requirements' ? having(isRequirements)
      : input === 'python_env.yaml' ? having((f) => f === 'python_env.yaml')
        : input === 'input example' ? having(isExample)
          : input === 'model artifact' ? having(isArtifact)
            : fixtures,
  );
  const files = fixture.files;

  let command: Command = rng.weighted(MODEL_COMMANDS);
  let target: Target;
  switch (input) {
    case 'control':
      command = rng.pick(COMMANDS);
      target = { kind: 'none' };
      break;
    case 'MLmodel':
      target = fileTarget('MLmodel', 'yaml', rng);
      break;
    case 'requirements':
      target = fileTarget(rng.pick(files.filter(isRequirements)), 'requirements', rng);
      break;
    case 'conda.yaml':
    case 'python_env.yaml':
      target = fileTarget(input, 'yaml', rng);
      break;
    case 'input example':
      target = fileTarget(rng.pick(files.filter(isExample)), 'json', rng);
      break;
    case 'model artifact':
      target = fileTarget(rng.pick(files.filter(isArtifact)), 'binary', rng);
      break;
    case 'signature':
      target = { kind: 'signature', field: rng.weighted([['inputs', 3], ['outputs', 2], ['params', 1]] as const), mutation: rng.pick(SIGNATURE_CLASSES) };
      break;
    case 'predict payload':
      command = 'predict';
      target = { kind: 'payload', mutation: 'byte-flip' }; // the format decides the classes: drawn below
      break;
    case 'package arguments':
      command = 'package';
      target = { kind: 'none' };
      break;
    case 'requirement argument':
      command = rng.pick(['update-pip-requirements add', 'update-pip-requirements add', 'update-pip-requirements remove'] as const);
      target = requirementArgument(command === 'update-pip-requirements add' ? 'add' : 'remove', rng);
      break;
    case 'journal':
      target = { kind: 'journal', mutation: rng.pick(JOURNAL_CLASSES) };
      break;
    case 'lock':
      target = { kind: 'lock', mutation: rng.pick(LOCK_CLASSES) };
      break;
  }

  const contentType = rng.chance(0.7) ? 'json' : 'csv';
  if (target.kind === 'payload') target = { kind: 'payload', mutation: pickMutation(contentType, rng) };

  const pkg: PackagePlan = {
    inputExample: rng.chance(0.7),
    signature: rng.chance(0.5),
    requirements: rng.pick(['infer', 'conda-env', 'pip-file', 'extra-file'] as const),
    metadata: rng.chance(0.3),
  };
  if (input === 'package arguments') target = packageTarget(pkg, rng);

  const requirement = command === 'update-pip-requirements remove' ? rng.pick(REMOVE_NAMES) : rng.pick(ADD_REQUIREMENTS);
  return { index, seed, fixture: fixture.name, command, json: rng.chance(0.5), input, target, requirement, contentType, pkg };
}

export function planCases(runSeed: string | number, count: number, fixtures: readonly FixtureInventory[]): FuzzCase[] {
  return Array.from({ length: count }, (_, index) => planCase(runSeed, index, fixtures));
}

function fileTarget(file: string, format: FileFormat, rng: Rng): Target {
  return { kind: 'file', file, format, mutation: pickMutation(format, rng) };
}

function requirementArgument(operation: 'add' | 'remove', rng: Rng): Target {
  const kind = rng.weighted([['bad-requirement', 4], ['huge-line', 1], ['control-chars', 1]] as const);
  // argv cannot carry a NUL byte (execve refuses it), so control characters stop at U+0001.
  const value = kind === 'bad-requirement' ? rng.pick(BAD_REQUIREMENT_LINES)
    : kind === 'huge-line' ? rng.pick([`pkg==${'1'.repeat(HUGE)}`, 'a'.repeat(HUGE), `pkg${'['.repeat(HUGE)}`])
      : rng.pick(['pkg\u0001==1', 'pkg==1\n-r /dev/zero', 'pkg==1\r\nother==2', '\u2028pkg', 'pkg==1 \u0085']);
  return { kind: 'argument', mutation: kind, flag: operation, value };
}

function packageTarget(pkg: PackagePlan, rng: Rng): Target {
  const choice = rng.weighted([['file', 6], ['requirement', 2], ['metadata', 1], ['path', 2], ['none', 1]] as const);
  if (choice === 'none') return { kind: 'none' };
  if (choice === 'file') {
    const { file, format } = rng.pick(PACKAGE_FILES);
    // The mutated file must be one the command reads: turn its flag on.
    if (file === 'input_example.json') pkg.inputExample = true;
    if (file === 'signature.json') pkg.signature = true;
    if (file === 'conda.yaml') pkg.requirements = 'conda-env';
    if (file === 'requirements.txt') pkg.requirements = rng.pick(['pip-file', 'extra-file'] as const);
    return fileTarget(file, format, rng);
  }
  if (choice === 'requirement') {
    pkg.requirements = 'infer';
    const flag = rng.pick(['--pip-requirements', '--extra-pip-requirements'] as const);
    const value = rng.chance(0.8) ? rng.pick(BAD_REQUIREMENT_LINES) : `pkg==${'1'.repeat(HUGE)}`;
    return { kind: 'argument', mutation: 'bad-requirement', flag, value };
  }
  if (choice === 'metadata') {
    const value = rng.pick(['=', 'novalue', '=v', 'k=v=w', `k=${'v'.repeat(HUGE)}`, `${'k'.repeat(HUGE)}=1`, 'k=\u0001', 'flavors=x', 'signature=5']);
    return { kind: 'argument', mutation: 'bad-metadata', flag: '--metadata', value };
  }
  const flag = rng.pick(['--model-file', '--input-example', '--signature', '--conda-env', '--code-path'] as const);
  if (flag === '--input-example') pkg.inputExample = false;
  if (flag === '--signature') pkg.signature = false;
  if (flag === '--conda-env') pkg.requirements = 'infer';
  const value = rng.pick(['/dev/zero', '.', '', 'missing.file', `${'p'.repeat(300)}/x`, '/proc/self/mem', '/dev/stdin']);
  return { kind: 'argument', mutation: 'bad-path', flag, value };
}

/** The name a failure is grouped under: the input class and the mutation done to it. */
export function mutationClassOf(c: FuzzCase): string {
  const t = c.target;
  switch (t.kind) {
    case 'none':
      return `${c.input}/none`;
    case 'argument':
      return `${c.input}/${t.flag === 'add' || t.flag === 'remove' ? '' : `${t.flag} `}${t.mutation}`;
    case 'file':
      return c.input === 'package arguments' ? `${c.input}/${t.file} ${t.mutation}` : `${c.input}/${t.mutation}`;
    default:
      return `${c.input}/${t.mutation}`;
  }
}
