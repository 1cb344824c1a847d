import { isInsideModel } from '../../model/directory/paths.js';
import type { Diagnostic } from '../diagnostic.js';
import { hasDirectory, hasFile, type ModelFiles } from '../model-files.js';
import { asRecord, pythonTypeName, scalarText, type YamlSource } from '../../model/directory/yaml-source.js';
import { isValidVersion } from '../../deps/pep440.js';
import { diagnostic, tick } from './shared.js';

/**
 * MLmodel rules (MLF101-MLF111): the file parses, has flavors, the python_function flavor is
 * present and coherent, and every file it names exists (mlflow-format.md §1, §8).
 */
const FILE = 'MLmodel';
const DOTTED_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** sklearn's `serialization_format` values MLflow loads (3.x added skops). */
const SKLEARN_FORMATS = ['cloudpickle', 'pickle', 'skops'];

export function checkMlmodel(files: ModelFiles): Diagnostic[] {
  const source = files.mlmodel;
  if (!source) {
    return [diagnostic('MLF101', FILE, undefined, `no ${tick('MLmodel')} file in the model directory`)];
  }
  if (source.error) {
    return [
      diagnostic('MLF102', FILE, source.error.line, `${tick('MLmodel')} is not valid YAML: ${source.error.message}`, {
        column: source.error.column,
      }),
    ];
  }
  const root = asRecord(source.value);
  if (!root) {
    return [diagnostic('MLF103', FILE, 1, `${tick('MLmodel')} must be a mapping, not ${pythonTypeName(source.value)}`)];
  }
  const flavors = asRecord(root.flavors);
  if (!flavors) {
    const message =
      root.flavors === undefined
        ? `${tick('MLmodel')} has no ${tick('flavors')}`
        : `${tick('flavors')} must be a mapping, not ${pythonTypeName(root.flavors)}`;
    return [diagnostic('MLF103', FILE, source.lineOf(['flavors']) ?? 1, message)];
  }

  const found: Diagnostic[] = [];
  for (const [name, params] of Object.entries(flavors)) {
    if (!asRecord(params)) {
      found.push(
        diagnostic('MLF103', FILE, source.lineOf(['flavors', name]), `flavor ${tick(name)} must be a mapping, not ${pythonTypeName(params)}`),
      );
    }
  }

  const pyfunc = asRecord(flavors.python_function);
  if (flavors.python_function === undefined) {
    const others = Object.keys(flavors);
    found.push(
      diagnostic(
        'MLF104',
        FILE,
        source.lineOf(['flavors']),
        `no ${tick('python_function')} flavor${others.length ? ` (flavors: ${others.map(tick).join(', ')})` : ''}: ${tick('mlflow.pyfunc.load_model')}, predict and serve cannot load this model`,
      ),
    );
  }
  if (pyfunc) found.push(...checkPyfunc(files, source, pyfunc));

  const sklearn = asRecord(flavors.sklearn);
  if (sklearn) found.push(...checkSklearn(files, source, sklearn));
  return found;
}

function checkPyfunc(files: ModelFiles, source: YamlSource, pyfunc: Record<string, unknown>): Diagnostic[] {
  const found: Diagnostic[] = [];
  const at = (...key: (string | number)[]) => source.lineOf(['flavors', 'python_function', ...key]);

  const loader = pyfunc.loader_module;
  if (loader === undefined || loader === null) {
    found.push(diagnostic('MLF105', FILE, at(), `${tick('python_function')} has no ${tick('loader_module')}`));
  } else if (typeof loader !== 'string' || !DOTTED_MODULE.test(loader)) {
    found.push(diagnostic('MLF105', FILE, at('loader_module'), `${tick('loader_module')} ${tick(scalarText(loader))} is not a Python module name`));
  }

  const pythonVersion = pyfunc.python_version;
  if (pythonVersion === undefined || pythonVersion === null) {
    found.push(diagnostic('MLF109', FILE, at(), `${tick('python_function')} has no ${tick('python_version')}`));
  } else if (typeof pythonVersion !== 'string') {
    found.push(
      diagnostic(
        'MLF108',
        FILE,
        at('python_version'),
        `${tick('python_version')} is a YAML ${pythonTypeName(pythonVersion)} (${tick(scalarText(pythonVersion))}), not a version string`,
        { hint: `quote it or write the full version, e.g. ${tick('python_version: 3.11.7')}` },
      ),
    );
  } else if (!isValidVersion(pythonVersion)) {
    found.push(diagnostic('MLF108', FILE, at('python_version'), `${tick('python_version')} ${tick(pythonVersion)} is not a PEP 440 version`));
  }

  for (const { key, name } of envFileReferences(pyfunc)) {
    if (name === undefined) continue;
    if (!isInsideModel(name) || !hasFile(files, name)) {
      found.push(
        diagnostic('MLF110', FILE, at(...key), `the ${key.length > 1 ? `${key[1]} ` : ''}environment file ${tick(name)} named by ${tick('env')} does not exist`),
      );
    }
  }

  found.push(...checkCodeDirectory(files, source, ['flavors', 'python_function'], pyfunc.code));

  // Files or directories the flavor loads from.
  for (const key of ['model_path', 'data', 'python_model'] as const) {
    const value = pyfunc[key];
    if (typeof value !== 'string' || value === '') continue;
    if (!existsInside(files, value)) {
      found.push(diagnostic('MLF106', FILE, at(key), `${tick(key)} names ${tick(value)}, which does not exist in the model directory`));
    }
  }
  const artifacts = asRecord(pyfunc.artifacts);
  for (const [name, entry] of Object.entries(artifacts ?? {})) {
    const artifactPath = asRecord(entry)?.path;
    if (typeof artifactPath === 'string' && !existsInside(files, artifactPath)) {
      found.push(
        diagnostic('MLF106', FILE, at('artifacts', name), `artifact ${tick(name)} names ${tick(artifactPath)}, which does not exist in the model directory`),
      );
    }
  }
  const modelCodePath = pyfunc.model_code_path;
  if (typeof modelCodePath === 'string' && modelCodePath !== '') {
    // MLflow loads `<model>/<basename of model_code_path>` (§8).
    const base = basename(modelCodePath);
    if (!hasFile(files, base)) {
      found.push(
        diagnostic('MLF106', FILE, at('model_code_path'), `the model code file ${tick(base)} (from ${tick('model_code_path')}) is not in the model directory`),
      );
    }
  }
  return found;
}

function checkSklearn(files: ModelFiles, source: YamlSource, sklearn: Record<string, unknown>): Diagnostic[] {
  const found: Diagnostic[] = [];
  const at = (key: string) => source.lineOf(['flavors', 'sklearn', key]);
  const pickled = sklearn.pickled_model;
  if (typeof pickled === 'string' && pickled !== '' && !existsInside(files, pickled)) {
    found.push(diagnostic('MLF106', FILE, at('pickled_model'), `${tick('pickled_model')} names ${tick(pickled)}, which does not exist in the model directory`));
  }
  const format = sklearn.serialization_format;
  if (format !== undefined && format !== null && !SKLEARN_FORMATS.includes(String(format))) {
    found.push(
      diagnostic('MLF111', FILE, at('serialization_format'), `unrecognized ${tick('serialization_format')} ${tick(scalarText(format))}`, {
        hint: `use one of ${SKLEARN_FORMATS.map(tick).join(', ')}`,
      }),
    );
  }
  found.push(...checkCodeDirectory(files, source, ['flavors', 'sklearn'], sklearn.code));
  return found;
}

function checkCodeDirectory(files: ModelFiles, source: YamlSource, flavorPath: string[], code: unknown): Diagnostic[] {
  if (typeof code !== 'string' || code === '') return [];
  if (isInsideModel(code) && hasDirectory(files, code)) return [];
  return [
    diagnostic('MLF107', FILE, source.lineOf([...flavorPath, 'code']), `${tick('code')} names the directory ${tick(code)}, which does not exist in the model directory`),
  ];
}

/** The env file names `python_function.env` gives: `{conda, virtualenv}` or MLflow < 2's plain string. */
export function envFileReferences(pyfunc: Record<string, unknown>): { key: string[]; kind: 'conda' | 'virtualenv'; name?: string }[] {
  const env = pyfunc.env;
  if (typeof env === 'string') return [{ key: ['env'], kind: 'conda', name: env }];
  const record = asRecord(env);
  if (!record) return [];
  const refs: { key: string[]; kind: 'conda' | 'virtualenv'; name?: string }[] = [];
  for (const kind of ['conda', 'virtualenv'] as const) {
    const value = record[kind];
    if (typeof value === 'string' && value !== '') refs.push({ key: ['env', kind], kind, name: value });
  }
  return refs;
}

function existsInside(files: ModelFiles, relative: string): boolean {
  return isInsideModel(relative) && (hasFile(files, relative) || hasDirectory(files, relative));
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}
