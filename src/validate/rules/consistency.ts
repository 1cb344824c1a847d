import type { Diagnostic } from '../diagnostic.js';
import type { ModelFiles } from '../model-files.js';
import { condaPipEntryIndex, condaPipList, condaPython, envSources, pythonEnvDependencies, type PipListEntry } from '../env-files.js';
import { canonicalNameOf, effectiveRequirements, isRequirement } from '../requirements-view.js';
import { asRecord, type YamlSource } from '../../model/directory/yaml-source.js';
import type { RequirementStatement } from '../../deps/requirements-txt.js';
import { SpecifierSet } from '../../deps/specifier-set.js';
import { normalizeMarker } from '../../deps/markers.js';
import { tryParseVersion } from '../../deps/pep440.js';
import { diagnostic, tick } from './shared.js';

/**
 * Consistency rules (MLF301-MLF304): requirements.txt, conda.yaml's pip list and python_env.yaml
 * name the same packages with the same specifiers, and the three Python versions agree.
 * requirements.txt is the reference: it is what virtualenv and uv environments install.
 */
export function checkConsistency(files: ModelFiles): Diagnostic[] {
  return [...checkPackages(files), ...checkPythonVersions(files)];
}

interface PackageEntry {
  name: string;
  text: string;
  spec: string;
  line?: number;
}

function checkPackages(files: ModelFiles): Diagnostic[] {
  if (!files.requirementFiles.has('requirements.txt')) return [];
  const reference = new Map<string, PackageEntry>();
  for (const located of effectiveRequirements(files).requirements.filter(isRequirement)) {
    const entry = packageEntry(located.statement, located.statement.line);
    if (!reference.has(entry.name)) reference.set(entry.name, entry);
  }
  const sources = envSources(files);
  const found: Diagnostic[] = [];
  const conda = sources.conda;
  if (conda && !conda.error && asRecord(conda.value)) {
    const pip = condaPipList(conda);
    if (pip === undefined) {
      if (reference.size > 0 && Array.isArray(asRecord(conda.value)?.dependencies)) {
        found.push(
          diagnostic('MLF301', conda.file, conda.lineOf(['dependencies']), `${tick(conda.file)} has no ${tick('pip:')} list, but requirements.txt requires ${reference.size} package(s)`),
        );
      }
    } else {
      const pipLine = conda.lineOf(['dependencies', condaPipEntryIndex(conda)!]);
      found.push(...comparePipList(conda.file, `${conda.file}'s pip list`, pip, reference, pipLine));
    }
  }
  const pythonEnv = sources.pythonEnv;
  if (pythonEnv && !pythonEnv.error) {
    const dependencies = pythonEnvDependencies(pythonEnv);
    if (dependencies !== undefined) {
      found.push(...comparePipList(pythonEnv.file, `${pythonEnv.file}'s dependencies`, dependencies, reference, pythonEnv.lineOf(['dependencies'])));
    }
  }
  return found;
}

/**
 * Compares one YAML pip list with requirements.txt. A list that includes requirements.txt
 * (`-r requirements.txt`, what MLflow writes in python_env.yaml) is equal to it by definition.
 */
function comparePipList(
  file: string,
  what: string,
  entries: PipListEntry[],
  reference: Map<string, PackageEntry>,
  listLine: number | undefined,
): Diagnostic[] {
  if (entries.some((entry) => entry.statement?.kind === 'include' && entry.statement.include === 'requirements')) return [];
  const found: Diagnostic[] = [];
  const listed = new Map<string, PackageEntry>();
  for (const entry of entries) {
    if (entry.error) {
      found.push(diagnostic('MLF201', file, entry.line, entry.error.message));
      continue;
    }
    if (entry.statement?.kind !== 'requirement') continue;
    const pkg = packageEntry(entry.statement, entry.line);
    if (listed.has(pkg.name)) continue;
    listed.set(pkg.name, pkg);
    const expected = reference.get(pkg.name);
    if (!expected) {
      found.push(diagnostic('MLF301', file, entry.line, `${tick(pkg.text)} is in ${what} but not in requirements.txt`));
    } else if (expected.spec !== pkg.spec) {
      found.push(
        diagnostic('MLF302', file, entry.line, `${tick(pkg.text)} in ${what} differs from ${tick(expected.text)} in requirements.txt (line ${expected.line})`),
      );
    }
  }
  for (const [name, expected] of reference) {
    if (listed.has(name)) continue;
    found.push(diagnostic('MLF301', file, listLine, `${tick(expected.text)} (requirements.txt line ${expected.line}) is missing from ${what}`));
  }
  return found;
}

function packageEntry(statement: RequirementStatement, line: number | undefined): PackageEntry {
  const { requirement } = statement;
  let spec: string;
  try {
    spec = SpecifierSet.parse(requirement.specifier).toString();
  } catch {
    spec = requirement.specifier;
  }
  let marker = '';
  if (requirement.marker?.trim()) {
    try {
      marker = normalizeMarker(requirement.marker);
    } catch {
      marker = requirement.marker.trim();
    }
  }
  const extras = [...requirement.extras].map((e) => e.toLowerCase()).sort().join(',');
  return {
    name: `${canonicalNameOf(statement)};${marker}`,
    text: statement.requirementText,
    spec: `[${extras}]${spec}@${requirement.url ?? ''}`,
    ...(line !== undefined ? { line } : {}),
  };
}

interface PythonClaim {
  file: string;
  line?: number;
  version: string;
  /** How many release components were written (`3.11` has 2). */
  parts: number;
  release: number[];
}

function checkPythonVersions(files: ModelFiles): Diagnostic[] {
  const claims: PythonClaim[] = [];
  const mlmodel = files.mlmodel;
  const pyfuncVersion = asRecord(asRecord(asRecord(mlmodel?.value)?.flavors)?.python_function)?.python_version;
  if (mlmodel && typeof pyfuncVersion === 'string') {
    addClaim(claims, 'MLmodel', mlmodel.lineOf(['flavors', 'python_function', 'python_version']), pyfuncVersion);
  }
  const sources = envSources(files);
  const pythonEnv = sources.pythonEnv;
  const envPython = asRecord(pythonEnv?.value)?.python;
  if (pythonEnv && typeof envPython === 'string') addClaim(claims, pythonEnv.file, pythonEnv.lineOf(['python']), envPython);
  const conda = sources.conda;
  if (conda && !conda.error) {
    const python = condaPython(conda);
    if (python?.version && ['=', '=='].includes(python.operator ?? '')) {
      addClaim(claims, conda.file, python.line, python.version.replace(/\.\*$/, '').replace(/\*$/, ''));
    }
  }
  const reference = claims[0];
  if (!reference) return [];
  const found: Diagnostic[] = [];
  for (const claim of claims.slice(1)) {
    const minorDiffers = reference.release[0] !== claim.release[0] || (reference.release[1] ?? 0) !== (claim.release[1] ?? 0);
    const refLabel = reference.file === 'MLmodel' ? `MLmodel's ${tick('python_version')}` : tick(reference.file);
    if (minorDiffers) {
      found.push(diagnostic('MLF303', claim.file, claim.line, `Python ${tick(claim.version)} here, but ${tick(reference.version)} in ${refLabel}`));
    } else if (claim.parts >= 3 && reference.parts >= 3 && (reference.release[2] ?? 0) !== (claim.release[2] ?? 0)) {
      found.push(diagnostic('MLF304', claim.file, claim.line, `Python ${tick(claim.version)} here, but ${tick(reference.version)} in ${refLabel}`));
    }
  }
  return found;
}

function addClaim(claims: PythonClaim[], file: string, line: number | undefined, version: string): void {
  const parsed = tryParseVersion(version);
  if (!parsed || parsed.release.length < 2) return;
  claims.push({ file, ...(line !== undefined ? { line } : {}), version, parts: parsed.release.length, release: parsed.release });
}
