#!/usr/bin/env node
// Stand-in for uv, conda, mamba and micromamba in tests (these machines cannot install conda).
// It is started through the small `uv` / `conda` shell wrappers beside it (or symlinks to them
// named as the tool) and:
//   - appends {"tool", "argv", "cwd"} as one JSON line to $MLF_FAKE_LOG (when set), with the text
//     of uv's -r/-c files as "files";
//   - `uv venv DIR --python P`, `conda env create --prefix DIR ...`, `micromamba create --prefix DIR ...`:
//     creates DIR/bin/python as a symlink to P (uv) or $MLF_FAKE_PYTHON (conda family);
//     for conda, the environment file's text is logged as "file";
//   - `... install ...`: does nothing;
//   - `uv python list`: prints [];
//   - fails like the real tool when $MLF_FAKE_FAIL_ON is a requirement named in the arguments or
//     in a -r file, and sleeps $MLF_FAKE_SLEEP_MS first (to be killed midway).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const tool = process.argv[2];
const argv = process.argv.slice(3);
const env = process.env;

function log(extra) {
  if (!env.MLF_FAKE_LOG) return;
  fs.appendFileSync(env.MLF_FAKE_LOG, JSON.stringify({ tool, argv, cwd: process.cwd(), ...extra }) + '\n');
}

function valueOf(flag) {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function makeEnv(dir, python) {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.symlinkSync(python, path.join(dir, 'bin', 'python'));
}

function failIfAsked(words) {
  const bad = env.MLF_FAKE_FAIL_ON;
  if (!bad || !words.some((w) => w === bad)) return;
  if (tool === 'uv') {
    process.stderr.write(
      `Using Python 3.11.7 environment at: env\nerror: No solution found when resolving dependencies\n  cause: Because there is no version of ${bad} and you require ${bad}, we can conclude that your requirements are unsatisfiable.\n`,
    );
  } else {
    process.stderr.write(`\nPackagesNotFoundError: The following packages are not available from current channels:\n\n  - ${bad}\n`);
  }
  process.exit(1);
}

const requirementWords = [];
for (let i = 0; i < argv.length; i++) {
  requirementWords.push(argv[i]);
  if ((argv[i] === '-r' || argv[i] === '--file') && argv[i + 1] && fs.existsSync(argv[i + 1])) {
    requirementWords.push(...fs.readFileSync(argv[i + 1], 'utf8').split(/\r?\n/).map((l) => l.trim().replace(/^-\s+/, '')).filter(Boolean));
  }
}

if (tool === 'uv') {
  // The -r and -c files are scratch files that mlf deletes after the build: keep their text.
  const files = {};
  for (let i = 0; i < argv.length - 1; i++) {
    if ((argv[i] === '-r' || argv[i] === '-c') && fs.existsSync(argv[i + 1])) files[argv[i + 1]] = fs.readFileSync(argv[i + 1], 'utf8');
  }
  log(Object.keys(files).length ? { files } : {});
  if (argv[0] === 'python' && argv[1] === 'list') {
    process.stdout.write('[]\n');
    process.exit(0);
  }
  if (env.MLF_FAKE_SLEEP_MS) sleep(Number(env.MLF_FAKE_SLEEP_MS));
  if (argv[0] === 'venv') {
    makeEnv(argv[1], valueOf('--python'));
    process.exit(0);
  }
  if (argv[0] === 'pip' && argv[1] === 'install') {
    failIfAsked(requirementWords);
    process.exit(0);
  }
  process.stderr.write(`fake uv: unexpected arguments ${argv.join(' ')}\n`);
  process.exit(2);
}

// conda, mamba, micromamba
const file = valueOf('--file');
log(file ? { file: fs.readFileSync(file, 'utf8') } : {});
if (env.MLF_FAKE_SLEEP_MS) sleep(Number(env.MLF_FAKE_SLEEP_MS));
const creating = (argv[0] === 'env' && argv[1] === 'create') || argv[0] === 'create';
if (creating) {
  failIfAsked(requirementWords);
  makeEnv(valueOf('--prefix'), env.MLF_FAKE_PYTHON || '/usr/bin/python3');
  process.exit(0);
}
if (argv[0] === 'install') {
  failIfAsked(requirementWords);
  process.exit(0);
}
process.stderr.write(`fake ${tool}: unexpected arguments ${argv.join(' ')}\n`);
process.exit(2);
