import { isInsideModel, normalizeRelative } from '../../model/directory/paths.js';
import type { Diagnostic } from '../diagnostic.js';
import { hasFile, type ModelFiles } from '../model-files.js';
import { condaPython, envSources, pythonEnvDependencies } from '../env-files.js';
import { asRecord, pythonTypeName, scalarText, type YamlSource } from '../../model/directory/yaml-source.js';
import { isValidVersion } from '../../deps/pep440.js';
import { diagnostic, tick } from './shared.js';

/**
 * conda.yaml and python_env.yaml rules (MLF401-MLF404): the files are well formed, conda uses no
 * Anaconda `defaults` channel (the terms-of-service change of the seeds), and the Python that
 * MLflow would take from them is pinned.
 */

/** Channels served by Anaconda under its terms of service (what `defaults` expands to, and aliases). */
const ANACONDA_CHANNELS = new Set(['defaults', 'anaconda', 'main', 'r', 'msys2', 'free', 'pkgs/main', 'pkgs/r', 'pkgs/msys2', 'pkgs/free']);

export function isAnacondaChannel(channel: string): boolean {
  // Trailing slashes cut by index: `/\/+$/` re-reads a long inner run of slashes from each position.
  let text = channel.trim();
  while (text.endsWith('/')) text = text.slice(0, -1);
  if (ANACONDA_CHANNELS.has(text)) return true;
  return /^https?:\/\/(repo\.anaconda\.com\/pkgs\/|conda\.anaconda\.org\/(anaconda|main|r|msys2)$)/.test(text);
}

export function checkConda(files: ModelFiles): Diagnostic[] {
  const sources = envSources(files);
  const found: Diagnostic[] = [];
  if (sources.conda) found.push(...checkCondaYaml(sources.conda));
  if (sources.pythonEnv) found.push(...checkPythonEnv(files, sources.pythonEnv));
  // Without python_env.yaml, MLflow builds the virtualenv from conda.yaml's python entry.
  const pythonEnvExists = sources.pythonEnv !== undefined || hasFile(files, sources.virtualenvName);
  if (!pythonEnvExists && sources.conda && !sources.conda.error && asRecord(sources.conda.value)) {
    found.push(...checkCondaPythonPinned(sources.conda));
  }
  return found;
}

function checkCondaYaml(conda: YamlSource): Diagnostic[] {
  const file = conda.file;
  if (conda.error) {
    return [diagnostic('MLF402', file, conda.error.line, `${tick(file)} is not valid YAML: ${conda.error.message}`, { column: conda.error.column })];
  }
  const root = asRecord(conda.value);
  if (!root) return [diagnostic('MLF402', file, 1, `${tick(file)} must be a mapping, not ${pythonTypeName(conda.value)}`)];
  const found: Diagnostic[] = [];

  const channels = root.channels;
  if (channels !== undefined && channels !== null) {
    if (!Array.isArray(channels)) {
      found.push(diagnostic('MLF402', file, conda.lineOf(['channels']), `${tick('channels')} must be a list, not ${pythonTypeName(channels)}`));
    } else {
      channels.forEach((channel, index) => {
        if (typeof channel !== 'string') {
          found.push(diagnostic('MLF402', file, conda.lineOf(['channels', index]), `channel ${tick(scalarText(channel))} must be a string`));
        } else if (isAnacondaChannel(channel)) {
          found.push(
            diagnostic(
              'MLF401',
              file,
              conda.lineOf(['channels', index]),
              `the channel ${tick(channel)} is Anaconda's repository, which needs a commercial licence under Anaconda's terms of service (MLflow stopped writing it in 1.18)`,
            ),
          );
        }
      });
    }
  }

  const dependencies = root.dependencies;
  if (dependencies !== undefined && dependencies !== null) {
    if (!Array.isArray(dependencies)) {
      found.push(diagnostic('MLF402', file, conda.lineOf(['dependencies']), `${tick('dependencies')} must be a list, not ${pythonTypeName(dependencies)}`));
    } else {
      dependencies.forEach((dependency, index) => {
        const line = conda.lineOf(['dependencies', index]);
        if (typeof dependency === 'string') {
          const channel = /^([^:\s]+)::/.exec(dependency.trim())?.[1];
          if (channel && isAnacondaChannel(channel)) {
            found.push(
              diagnostic('MLF401', file, line, `${tick(dependency)} is taken from Anaconda's channel ${tick(channel)}, which needs a commercial licence under Anaconda's terms of service`),
            );
          }
          return;
        }
        const record = asRecord(dependency);
        if (record && 'pip' in record) {
          const pip = record.pip;
          if (!Array.isArray(pip) || pip.some((entry) => typeof entry !== 'string')) {
            found.push(diagnostic('MLF402', file, line, `the ${tick('pip')} entry must be a list of strings`));
          }
          return;
        }
        found.push(diagnostic('MLF402', file, line, `dependency ${tick(scalarText(dependency))} must be a string or a ${tick('pip:')} list`));
      });
    }
  }
  return found;
}

function checkPythonEnv(files: ModelFiles, pythonEnv: YamlSource): Diagnostic[] {
  const file = pythonEnv.file;
  if (pythonEnv.error) {
    return [diagnostic('MLF403', file, pythonEnv.error.line, `${tick(file)} is not valid YAML: ${pythonEnv.error.message}`, { column: pythonEnv.error.column })];
  }
  const root = asRecord(pythonEnv.value);
  if (!root) return [diagnostic('MLF403', file, 1, `${tick(file)} must be a mapping, not ${pythonTypeName(pythonEnv.value)}`)];
  const found: Diagnostic[] = [];
  const python = root.python;
  if (python !== undefined && python !== null) {
    if (typeof python !== 'string') {
      found.push(
        diagnostic(
          'MLF403',
          file,
          pythonEnv.lineOf(['python']),
          `${tick('python')} is a YAML ${pythonTypeName(python)} (${tick(scalarText(python))}), not a string: MLflow raises TypeError`,
          { hint: `write the full version (${tick('python: 3.11.7')}) or quote it` },
        ),
      );
    } else if (!isValidVersion(python)) {
      found.push(diagnostic('MLF403', file, pythonEnv.lineOf(['python']), `${tick('python')} ${tick(python)} is not a PEP 440 version`));
    }
  }
  for (const key of ['build_dependencies', 'dependencies']) {
    const value = root[key];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) {
      found.push(diagnostic('MLF403', file, pythonEnv.lineOf([key]), `${tick(key)} must be a list, not ${pythonTypeName(value)}: MLflow raises TypeError`));
    } else {
      value.forEach((entry, index) => {
        if (typeof entry !== 'string') {
          found.push(diagnostic('MLF403', file, pythonEnv.lineOf([key, index]), `${tick(key)} entry ${tick(scalarText(entry))} must be a string`));
        }
      });
    }
  }
  for (const entry of pythonEnvDependencies(pythonEnv) ?? []) {
    const statement = entry.statement;
    if (statement?.kind !== 'include') continue;
    const target = statement.path;
    if (!isInsideModel(target)) {
      found.push(diagnostic('MLF206', file, entry.line, `${tick(entry.text)} names a file outside the model directory`));
    } else if (!hasFile(files, normalizeRelative(target))) {
      found.push(diagnostic('MLF206', file, entry.line, `${tick(entry.text)}: ${tick(target)} does not exist in the model directory`));
    }
  }
  return found;
}

function checkCondaPythonPinned(conda: YamlSource): Diagnostic[] {
  const file = conda.file;
  const python = condaPython(conda);
  if (!python) {
    return [
      diagnostic('MLF404', file, conda.lineOf(['dependencies']) ?? 1, `there is no python_env.yaml and ${tick(file)} has no ${tick('python')} dependency: MLflow cannot tell which Python to use`),
    ];
  }
  if (!python.operator) {
    return [diagnostic('MLF404', file, python.line, `there is no python_env.yaml and ${tick(python.text)} is not pinned: MLflow refuses an unpinned Python`)];
  }
  if (!['=', '==', '<=', '>='].includes(python.operator)) {
    return [diagnostic('MLF404', file, python.line, `there is no python_env.yaml and ${tick(python.text)} uses ${tick(python.operator)}, which MLflow refuses for Python`)];
  }
  return [];
}
