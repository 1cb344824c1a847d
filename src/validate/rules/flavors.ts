import { providingDistribution, withTransitiveRequirements } from '../../deps/module-provider.js';
import { canonicalizeName } from '../../deps/pep508.js';
import type { RequirementStatement } from '../../deps/requirements-txt.js';
import { SpecifierSet } from '../../deps/specifier-set.js';
import { tryParseVersion } from '../../deps/pep440.js';
import { asRecord } from '../../model/directory/yaml-source.js';
import { KIND_NAMES } from '../../scan/model-file-kind.js';
import type { Diagnostic } from '../diagnostic.js';
import { condaPipList, envSources } from '../env-files.js';
import { flavorNeeds, knownFlavors, type FlavorNeed } from '../flavor-table.js';
import { hasDirectory, hasFile, type ModelFiles } from '../model-files.js';
import { canonicalNameOf, effectiveRequirements, isRequirement } from '../requirements-view.js';
import { diagnostic, tick } from './shared.js';

/**
 * Flavor rules (MLF505, MLF506, MLF112, MLF106 for flavor sections), driven by flavor-table.ts:
 * every package a flavor's loader imports is required by each environment file (MLF505); the
 * flavor's version key agrees with the requirement's pin (MLF506); and the files the flavor
 * section names exist (MLF106) and are of the kind its loader reads (MLF112).
 *
 * A flavor package counts as required only when a requirement names it (or a distribution that
 * installs the same module, `onnxruntime-gpu` for `onnxruntime`): `mlflow` depends on
 * scikit-learn and `skops` does too, but at whatever version their ranges allow, not the one the
 * model was saved with, and `mlflow-skinny`, what serving images often install, brings none.
 * MLflow itself always writes the flavor's packages as requirements of their own.
 */
export function checkFlavors(files: ModelFiles): Diagnostic[] {
  const root = asRecord(files.mlmodel?.value);
  if (!root) return [];
  return [...checkFlavorPackages(files, root), ...checkFlavorVersions(files, root), ...checkFlavorFiles(files, root)];
}

/** One environment file's requirements: canonical names and each requirement line. */
interface RequirementSource {
  file: string;
  names: Set<string>;
  requirements: { statement: RequirementStatement; file: string; line?: number }[];
}

function requirementSources(files: ModelFiles): RequirementSource[] {
  const sources: RequirementSource[] = [];
  if (files.requirementFiles.has('requirements.txt')) {
    const requirements = effectiveRequirements(files).requirements.filter(isRequirement);
    sources.push({
      file: 'requirements.txt',
      names: new Set(requirements.map((r) => canonicalNameOf(r.statement))),
      requirements: requirements.map((r) => ({ ...r, line: r.statement.line })),
    });
  }
  const { conda, condaName } = envSources(files);
  if (conda && !conda.error) {
    const requirements: RequirementSource['requirements'] = [];
    for (const entry of condaPipList(conda) ?? []) {
      if (entry.statement?.kind === 'requirement') requirements.push({ statement: entry.statement, file: condaName, ...(entry.line !== undefined ? { line: entry.line } : {}) });
    }
    const names = new Set(requirements.map((r) => canonicalNameOf(r.statement)));
    // A conda package (`scikit-learn=1.5.0`) provides the module as well as a pip one.
    const dependencies = asRecord(conda.value)?.dependencies;
    for (const dep of Array.isArray(dependencies) ? dependencies : []) {
      const name = typeof dep === 'string' ? /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(dep)?.[1] : undefined;
      if (name) names.add(canonicalizeName(name));
    }
    sources.push({ file: condaName, names, requirements });
  }
  return sources;
}

function checkFlavorPackages(files: ModelFiles, root: Record<string, unknown>): Diagnostic[] {
  const sources = requirementSources(files);
  const found: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const { flavor, need } of flavorNeeds(root)) {
    if (reported.has(need.module)) continue;
    const lacking = sources.filter((source) => !provides(need, source.names));
    if (lacking.length === 0) continue;
    reported.add(need.module);
    const where = lacking.map((source) => tick(source.file)).join(' and ');
    const pin = pinFromMlmodel(root, flavor, need.distribution);
    const transitively = lacking.every((source) => provides(need, withTransitiveRequirements(source.names)));
    const consequence = transitively
      ? `it comes only as a dependency of another requirement, at whatever version that allows${pin ? `, not the ${tick(pin.split('==')[1])} the model was saved with` : ''}`
      : `loading fails with ModuleNotFoundError: No module named '${need.module}'`;
    found.push(
      diagnostic(
        'MLF505',
        lacking[0]!.file,
        undefined,
        `the ${tick(flavor)} flavor ${need.why} ${tick(need.module)}, but ${where} ${lacking.length > 1 ? 'require' : 'requires'} no ${tick(need.distribution)}: ${consequence}`,
        { hint: `add ${tick(pin ?? need.distribution)} to ${where} (MLflow writes it as a default requirement of the ${tick(flavor)} flavor)` },
      ),
    );
  }
  return found;
}

function provides(need: FlavorNeed, names: ReadonlySet<string>): boolean {
  return need.providers ? need.providers.some((name) => names.has(name)) : providingDistribution(need.module, names) !== undefined;
}

/** `name==<version key>` when the flavor records the version of this distribution. */
function pinFromMlmodel(root: Record<string, unknown>, flavor: string, distribution: string): string | undefined {
  const match = knownFlavors(root).find(({ spec }) => spec.name === flavor && spec.versionKey?.distribution === distribution);
  const version = match ? match.section[match.spec.versionKey!.key] : undefined;
  return typeof version === 'string' && tryParseVersion(version) ? `${distribution}==${version.replace(/\+.*$/, '')}` : undefined;
}

function checkFlavorVersions(files: ModelFiles, root: Record<string, unknown>): Diagnostic[] {
  const found: Diagnostic[] = [];
  const sources = requirementSources(files);
  for (const { spec, section } of knownFlavors(root)) {
    if (!spec.versionKey) continue;
    const { key, distribution } = spec.versionKey;
    const version = section[key];
    if (typeof version !== 'string' || !tryParseVersion(version)) continue;
    for (const source of sources) {
      for (const { statement, file, line } of source.requirements) {
        if (canonicalNameOf(statement) !== distribution || statement.requirement.url !== undefined) continue;
        let set: SpecifierSet;
        try {
          set = SpecifierSet.parse(statement.requirement.specifier);
        } catch {
          continue; // the requirements rules report a specifier that does not parse
        }
        if (set.size === 0 || set.contains(version, { prereleases: true })) continue;
        found.push(
          diagnostic(
            'MLF506',
            file,
            line,
            `${tick(statement.requirementText)} excludes ${tick(`${distribution} ${version}`)}, the version that saved the model (MLmodel ${tick(`flavors.${spec.name}.${key}`)})`,
            { hint: `pin ${tick(`${distribution}==${version.replace(/\+.*$/, '')}`)}, or re-save the model with the version you pin` },
          ),
        );
      }
    }
  }
  return found;
}

function checkFlavorFiles(files: ModelFiles, root: Record<string, unknown>): Diagnostic[] {
  const found: Diagnostic[] = [];
  const pyfunc = asRecord(asRecord(root.flavors)?.python_function);
  // Paths the MLmodel rules already check for existence (rules/mlmodel.ts).
  const checkedElsewhere = new Set(
    [pyfunc?.model_path, pyfunc?.data, asRecord(asRecord(root.flavors)?.sklearn)?.pickled_model]
      .filter((value): value is string => typeof value === 'string')
      .map((value) => value.replace(/^\.\//, '').replace(/\/$/, '')),
  );
  for (const { spec, section } of knownFlavors(root)) {
    for (const named of spec.files(section)) {
      const line = files.mlmodel?.lineOf(['flavors', spec.name, named.key]);
      const present = named.candidates.find((candidate) => hasFile(files, candidate.path));
      if (!present) {
        const namedExists = hasFile(files, named.named) || hasDirectory(files, named.named);
        if (!namedExists && checkedElsewhere.has(named.named)) continue;
        const single = named.candidates.length === 1 && named.candidates[0]!.path === named.named;
        found.push(
          diagnostic(
            'MLF106',
            'MLmodel',
            line,
            single || !namedExists
              ? `${tick(named.key)} of the ${tick(spec.name)} flavor names ${tick(named.named)}, which does not exist in the model directory`
              : `${tick(named.key)} of the ${tick(spec.name)} flavor names ${tick(`${named.named}/`)}, which holds none of ${named.candidates.map((c) => tick(c.path)).join(', ')}: the flavor's loader finds no model`,
          ),
        );
        continue;
      }
      const check = files.flavorFiles.get(present.path);
      if (check && !check.ok) {
        found.push(diagnostic('MLF112', present.path, undefined, `${tick(present.path)} could not be checked: ${check.message}`));
        continue;
      }
      if (check && !check.value.matches) {
        const wanted = present.kinds.map((kind) => KIND_NAMES[kind]).join(' or ');
        found.push(
          diagnostic(
            'MLF112',
            present.path,
            undefined,
            `${tick(present.path)} (the ${tick(spec.name)} flavor's ${tick(named.key)}) is not ${wanted} but ${check.value.found}: the flavor's loader cannot read it`,
          ),
        );
        continue;
      }
      const skops = files.skops.get(present.path);
      if (skops && !skops.ok) found.push(diagnostic('MLF112', present.path, undefined, skops.message));
    }
  }
  return found;
}
