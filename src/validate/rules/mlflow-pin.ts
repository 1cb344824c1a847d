import type { Diagnostic } from '../diagnostic.js';
import type { ModelFiles } from '../model-files.js';
import { canonicalNameOf, effectiveRequirements, isRequirement } from '../requirements-view.js';
import { asRecord } from '../../model/directory/yaml-source.js';
import { isMlflowRequirement, mlflowVersionPin } from '../../deps/merge.js';
import { SpecifierSet } from '../../deps/specifier-set.js';
import { tryParseVersion } from '../../deps/pep440.js';
import { diagnostic, tick } from './shared.js';

/**
 * mlflow pin rules (MLF701-MLF702): requirements.txt asks for mlflow (MLflow always adds
 * `mlflow==<version>`), and the pin admits the `mlflow_version` that saved the model. A dev build
 * is also satisfied by the pin MLflow writes for it (`3.6.1.dev0` -> `mlflow==3.6.0`).
 */
export function checkMlflowPin(files: ModelFiles): Diagnostic[] {
  if (!files.requirementFiles.has('requirements.txt')) return [];
  const effective = effectiveRequirements(files).requirements;
  const mlflowLines = effective.filter((located) => isMlflowRequirement(located.statement.content));
  if (mlflowLines.length === 0) {
    return [diagnostic('MLF701', 'requirements.txt', undefined, `no requirement names ${tick('mlflow')}: the environment gets whatever MLflow the installer picks, or none`)];
  }
  const mlflowVersion = asRecord(files.mlmodel?.value)?.mlflow_version;
  if (typeof mlflowVersion !== 'string' || !tryParseVersion(mlflowVersion)) return [];
  const acceptable = [mlflowVersion];
  const devPin = /^mlflow==(.+)$/.exec(mlflowVersionPin(mlflowVersion))?.[1];
  if (devPin && devPin !== mlflowVersion) acceptable.push(devPin);

  const found: Diagnostic[] = [];
  for (const located of mlflowLines.filter(isRequirement)) {
    const { statement } = located;
    if (canonicalNameOf(statement) !== 'mlflow' || statement.requirement.url !== undefined) continue;
    let set: SpecifierSet;
    try {
      set = SpecifierSet.parse(statement.requirement.specifier);
    } catch {
      continue;
    }
    if (set.size === 0) continue; // unpinned: the requirements rule says so
    if (acceptable.some((version) => set.contains(version, { prereleases: true }))) continue;
    found.push(
      diagnostic(
        'MLF702',
        located.file,
        statement.line,
        `${tick(statement.requirementText)} excludes ${tick(`mlflow ${mlflowVersion}`)}, the version that saved the model (MLmodel ${tick('mlflow_version')})`,
        { hint: `pin ${tick(mlflowVersionPin(mlflowVersion))}, or re-save the model with the MLflow you pin` },
      ),
    );
  }
  return found;
}
