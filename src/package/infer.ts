import { inputError } from '../errors.js';
import { evaluateMarker } from '../deps/markers.js';
import { usualDistribution } from '../deps/module-names.js';
import { canonicalizeName, tryParseRequirement } from '../deps/pep508.js';
import { compareVersions, stripLocalVersion, tryParseVersion } from '../deps/pep440.js';
import type { InterpreterFacts } from './interpreter.js';
import {
  BUILD_TOOL_DISTRIBUTIONS,
  MLFLOW_SUBMODULE_DISTRIBUTIONS,
  PYTHON2_STDLIB_NAMES,
  topLevel,
} from './module-map.js';

/**
 * Requirement inference for `mlf models package` (mlflow-format.md §3), each requirement with
 * the reasons it is there. The module references come from the pickle scan, the import scan
 * and `--capture`; from there the steps are MLflow's `_infer_requirements`: map modules to
 * distributions with `packages_distributions()`, normalize names, prune what another found
 * package requires (keeping mlflow's direct dependencies), drop setuptools and mlflow, add
 * numpy for an old pandas, pin to the installed version without a local label.
 *
 * Where mlf differs (§13): a module that maps to no installed distribution is a warning naming
 * the module and the file that imports it (MLflow drops it silently), and a local version label
 * that was stripped is reported.
 */

export type ReferenceSource = 'pickle' | 'import' | 'capture';

export interface ModuleReference {
  /** The dotted module as referenced (`sklearn.linear_model._logistic`). */
  module: string;
  source: ReferenceSource;
  /** The file that references it, as shown to users (relative to the working directory). */
  file?: string;
  line?: number;
  /** For a pickle: the global's name (`LogisticRegression`). */
  name?: string;
}

/** Where a top-level module lives when it is the user's own code. */
export interface LocalModule {
  /** The file or directory, relative to the working directory. */
  path: string;
  /** Whether the model carries it (a code path, or the models-from-code file itself). */
  packaged: boolean;
}

export interface InferredRequirement {
  /** The pinned line, e.g. `scikit-learn==1.9.1`. */
  requirement: string;
  /** Normalized distribution name (with extras, as MLflow keeps them: `mlflow[gateway]`). */
  name: string;
  version: string;
  /** Why it is there, one short sentence each. */
  reasons: string[];
  /** Set when the installed version had a local label that was stripped (`2.1.0+cu118`). */
  installedVersion?: string;
}

export interface DroppedModule {
  module: string;
  why: 'standard library' | 'local code' | 'pruned' | 'build tool' | 'mlflow';
  detail: string;
}

export interface InferenceWarning {
  code: 'MODULE_NOT_INSTALLED' | 'LOCAL_MODULE_NOT_PACKAGED' | 'PICKLE_MAIN_MODULE' | 'LOCAL_VERSION_STRIPPED';
  message: string;
  module?: string;
  file?: string;
  line?: number;
}

export interface FlavorDefault {
  /** Distribution name (`scikit-learn`, `cloudpickle`). */
  name: string;
  reason: string;
  /**
   * Distributions whose version stands in when `name` is not installed: MLflow's
   * `_get_pinned_requirement` falls back to the module's `__version__`, so `xgboost-cpu` installed
   * pins `xgboost==<its version>`.
   */
  versionFrom?: string[];
}

export interface InferenceInput {
  facts: InterpreterFacts;
  references: readonly ModuleReference[];
  /** Resolves a top-level module to the user's own code, or undefined when it is not local. */
  localModule: (topLevelModule: string) => LocalModule | undefined;
}

export interface InferenceResult {
  /** Sorted as strings, as MLflow returns them. */
  requirements: InferredRequirement[];
  dropped: DroppedModule[];
  warnings: InferenceWarning[];
}

/** MLflow's `_normalize_package_name` (PEP 503 without touching brackets). */
export function normalizePackageName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

function where(ref: ModuleReference): string {
  if (!ref.file) return ref.source === 'capture' ? 'the capture run' : 'the model';
  return ref.line !== undefined ? `${ref.file}:${ref.line}` : ref.file;
}

function describeReference(ref: ModuleReference): string {
  switch (ref.source) {
    case 'pickle':
      return ref.name === undefined
        ? `pickle \`${ref.file ?? 'model'}\` imports \`${ref.module}\` by name when loaded`
        : `pickle \`${ref.file ?? 'model'}\` references \`${ref.module}.${ref.name}\``;
    case 'import':
      return `\`${where(ref)}\` imports \`${ref.module}\``;
    case 'capture':
      return `\`${ref.module}\` was imported while the model loaded and predicted (--capture)`;
  }
}

/** The (normalized) names a package requires directly, as MLflow's `_get_requires` (extras and false markers skipped). */
export function directRequires(facts: InterpreterFacts, name: string): string[] {
  const dist = facts.distributions.get(canonicalizeName(name));
  if (!dist) return [];
  const out: string[] = [];
  for (const line of dist.requires) {
    const semicolon = line.indexOf(';');
    if (semicolon >= 0 && line.slice(semicolon).startsWith('; extra ==')) continue;
    const requirement = tryParseRequirement(line);
    if (!requirement) continue;
    if (requirement.marker !== undefined) {
      let holds: boolean;
      try {
        holds = evaluateMarker(requirement.marker, facts.markerEnvironment);
      } catch {
        holds = false;
      }
      if (!holds) continue;
    }
    out.push(normalizePackageName(requirement.name));
  }
  return out;
}

/** `_get_requires_recursive`: every package reachable from `name`, with the package that pulled it in first. */
function requiresRecursive(facts: InterpreterFacts, name: string): Map<string, string> {
  const root = normalizePackageName(name);
  const seen = new Map<string, string>();
  const visited = new Set([root]);
  const walk = (pkg: string) => {
    for (const req of directRequires(facts, pkg)) {
      if (visited.has(req)) continue;
      visited.add(req);
      seen.set(req, pkg);
      walk(req);
    }
  };
  walk(root);
  return seen;
}

export interface PinnedVersion {
  requirement: string;
  version: string;
  installedVersion?: string;
}

/**
 * MLflow's `_get_pinned_requirement`: `name==<installed version>` (`name[extras]==...`), a local
 * label stripped. Undefined when the distribution is not installed.
 */
export function pinInstalled(facts: InterpreterFacts, packageName: string): PinnedVersion | undefined {
  const parsed = tryParseRequirement(packageName);
  const name = parsed?.name ?? packageName;
  const extras = parsed?.extras ?? [];
  const raw = canonicalizeName(name) === 'mlflow' && facts.mlflowVersion ? facts.mlflowVersion : facts.distributions.get(canonicalizeName(name))?.version;
  if (raw === undefined) return undefined;
  const stripped = stripLocalVersion(raw);
  const version = stripped.local !== undefined ? stripped.version : raw;
  const head = extras.length > 0 ? `${name}[${extras.join(',')}]` : name;
  return {
    requirement: `${head}==${version}`,
    version,
    ...(stripped.local !== undefined ? { installedVersion: raw } : {}),
  };
}

/** `name==<version of a stand-in>` (FlavorDefault.versionFrom), when one is installed. */
function pinStandIn(facts: InterpreterFacts, item: FlavorDefault): PinnedVersion | undefined {
  for (const standIn of item.versionFrom ?? []) {
    const raw = facts.distributions.get(canonicalizeName(standIn))?.version;
    if (raw !== undefined) return { requirement: `${item.name}==${stripLocalVersion(raw).version}`, version: stripLocalVersion(raw).version };
  }
  return undefined;
}

/** The flavor defaults pinned, as `get_default_pip_requirements` does. A default that is not installed is an input error. */
export function pinFlavorDefaults(facts: InterpreterFacts, defaults: readonly FlavorDefault[], python: string): InferredRequirement[] {
  return defaults.map((item) => {
    const pinned = pinInstalled(facts, item.name) ?? pinStandIn(facts, item);
    if (!pinned) {
      throw inputError('DEFAULT_REQUIREMENT_NOT_INSTALLED', `\`${item.name}\` is not installed in \`${python}\``, {
        hint: `the model needs it (${item.reason}); pass \`--python\` with the interpreter the model was trained with`,
      });
    }
    return {
      requirement: pinned.requirement,
      name: normalizePackageName(item.name),
      version: pinned.version,
      reasons: [item.reason],
      ...(pinned.installedVersion ? { installedVersion: pinned.installedVersion } : {}),
    };
  });
}

export function inferRequirements(input: InferenceInput): InferenceResult {
  const { facts } = input;
  const dropped: DroppedModule[] = [];
  const droppedKeys = new Set<string>();
  const warnings: InferenceWarning[] = [];
  const warnedModules = new Set<string>();
  let mlflowFound = false;
  const reasonsByPackage = new Map<string, string[]>();
  const drop = (module: string, why: DroppedModule['why'], detail: string) => {
    const key = `${module}\u0000${why}`;
    if (droppedKeys.has(key)) return;
    droppedKeys.add(key);
    dropped.push({ module, why, detail });
  };
  const addReason = (pkg: string, reason: string) => {
    const list = reasonsByPackage.get(pkg) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasonsByPackage.set(pkg, list);
  };
  // A pickle names many globals of one package: one reason per (package, pickle) lists a few.
  const pickleGlobals = new Map<string, { pkg: string; file: string; names: string[]; slot: number; suffix: string }>();
  const addPickleReason = (pkg: string, ref: ModuleReference, suffix: string) => {
    const key = `${pkg}\u0000${ref.file ?? ''}`;
    const global = `\`${ref.module}.${ref.name}\``;
    const existing = pickleGlobals.get(key);
    if (existing) {
      if (!existing.names.includes(global)) existing.names.push(global);
      return;
    }
    const list = reasonsByPackage.get(pkg) ?? [];
    reasonsByPackage.set(pkg, list);
    list.push('');
    pickleGlobals.set(key, { pkg, file: ref.file ?? 'model', names: [global], slot: list.length - 1, suffix });
  };

  const mlflowProviders = new Set((facts.packagesDistributions.get('mlflow') ?? []).map(canonicalizeName));

  for (const ref of input.references) {
    const top = topLevel(ref.module);
    if (top === '' ) continue;
    if (top === '__main__') {
      if (!warnedModules.has(`__main__.${ref.name}`)) {
        warnedModules.add(`__main__.${ref.name}`);
        warnings.push({
          code: 'PICKLE_MAIN_MODULE',
          message: `pickle \`${ref.file ?? 'model'}\` references \`__main__.${ref.name ?? '?'}\`: a class or function defined in the training script cannot be loaded anywhere else; move it into a module and pass that module with \`--code-path\``,
          module: '__main__',
          ...(ref.file ? { file: ref.file } : {}),
        });
      }
      continue;
    }
    if (facts.stdlibModules.has(top) || PYTHON2_STDLIB_NAMES.has(top)) {
      drop(top, 'standard library', `\`${top}\` is in the standard library of Python ${facts.pythonVersion}`);
      continue;
    }
    const local = input.localModule(top);
    if (local) {
      drop(top, 'local code', `\`${top}\` is local code (\`${local.path}\`)${local.packaged ? ', carried in the model' : ''}`);
      if (!local.packaged && !warnedModules.has(top)) {
        warnedModules.add(top);
        warnings.push({
          code: 'LOCAL_MODULE_NOT_PACKAGED',
          message: `\`${where(ref)}\` imports \`${ref.module}\`, local code (\`${local.path}\`) that the model does not carry; pass \`--code-path ${local.path}\` or \`--infer-code-paths\``,
          module: top,
          ...(ref.file ? { file: ref.file } : {}),
          ...(ref.line !== undefined ? { line: ref.line } : {}),
        });
      }
      continue;
    }
    if (top === 'mlflow') {
      const sub = ref.module.split('.').slice(0, 2).join('.');
      const extra = MLFLOW_SUBMODULE_DISTRIBUTIONS[sub];
      if (extra) {
        addReason(extra, describeReference(ref));
        continue;
      }
      drop('mlflow', 'mlflow', 'mlflow itself is pinned separately (the mlflow pin)');
      mlflowFound = true;
      continue;
    }
    let distributions = facts.packagesDistributions.get(top) ?? [];
    let viaTable = false;
    if (distributions.length === 0) {
      const known = usualDistribution(top);
      if (known && facts.distributions.has(canonicalizeName(known))) {
        distributions = [known];
        viaTable = true;
      }
    }
    if (distributions.length === 0) {
      if (!warnedModules.has(top)) {
        warnedModules.add(top);
        const known = usualDistribution(top);
        const hint = known ? ` (it usually comes from \`${known}\`)` : '';
        const subject =
          ref.source === 'capture'
            ? `\`${ref.module}\` was imported while the model loaded (--capture), but no distribution installed in \`${facts.executable}\` provides it`
            : `\`${where(ref)}\` ${ref.source === 'pickle' ? 'references' : 'imports'} \`${ref.module}\`, which no distribution installed in \`${facts.executable}\` provides`;
        warnings.push({
          code: 'MODULE_NOT_INSTALLED',
          message: `${subject}${hint}; it is not in the requirements: install it there or pass it with \`--extra-pip-requirements\``,
          module: top,
          ...(ref.file ? { file: ref.file } : {}),
          ...(ref.line !== undefined ? { line: ref.line } : {}),
        });
      }
      continue;
    }
    for (const dist of distributions) {
      const suffix = viaTable ? ` (\`${top}\` → \`${dist}\` from mlf's table of well-known names)` : '';
      if (ref.source === 'pickle' && ref.name !== undefined) addPickleReason(normalizePackageName(dist), ref, suffix);
      else addReason(normalizePackageName(dist), describeReference(ref) + suffix);
    }
  }
  for (const { pkg, file, names, slot, suffix } of pickleGlobals.values()) {
    const shown = names.length <= 2 ? names.join(' and ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
    reasonsByPackage.get(pkg)![slot] = `pickle \`${file}\` references ${shown}${suffix}`;
  }

  // Pruning (`_prune_packages`): drop what another found package requires, except mlflow's
  // direct dependencies, llama-index-* and databricks-connect.
  const packages = [...reasonsByPackage.keys()];
  const requiredBy = new Map<string, string>();
  // A found `mlflow` module takes part as MLflow's own package set holds it until the exclusion
  // below: what it requires beyond its direct dependencies (packaging, pyyaml, ... of
  // mlflow-skinny) is pruned. A flavor whose loader module is captured (pytorch) imports those.
  for (const pkg of [...packages, ...(mlflowFound ? mlflowProviders : [])]) {
    for (const [req, parent] of requiresRecursive(facts, pkg)) {
      if (req.startsWith('llama-index-')) continue;
      if (!requiredBy.has(req)) requiredBy.set(req, parent === normalizePackageName(pkg) ? pkg : `${pkg} (through ${parent})`);
    }
  }
  const mlflowDirect = new Set(directRequires(facts, 'mlflow'));
  const kept: string[] = [];
  for (const pkg of packages) {
    const by = requiredBy.get(pkg);
    if (by !== undefined && !mlflowDirect.has(pkg) && pkg !== 'databricks-connect') {
      drop(pkg, 'pruned', `\`${pkg}\` is required by \`${by}\`, so installing that installs it (pruned as MLflow does)`);
      continue;
    }
    if (by !== undefined) addReason(pkg, `kept although \`${by}\` requires it: it is a direct dependency of mlflow, which MLflow never prunes`);
    kept.push(pkg);
  }

  // Exclusions: setuptools (and the other build tools), and whatever provides the mlflow module.
  const final: string[] = [];
  for (const pkg of kept) {
    if (BUILD_TOOL_DISTRIBUTIONS.has(pkg)) {
      drop(pkg, 'build tool', `\`${pkg}\` is a build tool, present in every environment (python_env.yaml pins it)`);
      continue;
    }
    if (mlflowProviders.has(canonicalizeName(pkg))) {
      drop(pkg, 'mlflow', `\`${pkg}\` provides the mlflow module, pinned separately (the mlflow pin)`);
      continue;
    }
    final.push(pkg);
  }

  // pandas < 2.1.2 does not cap numpy < 2: MLflow adds numpy then.
  const pandas = facts.distributions.get('pandas');
  if (final.includes('pandas') && pandas && !final.includes('numpy')) {
    const version = tryParseVersion(stripLocalVersion(pandas.version).version);
    if (version && compareVersions(version, '2.1.2') < 0) {
      final.push('numpy');
      addReason('numpy', `pandas ${pandas.version} is older than 2.1.2 and does not cap numpy below 2 (added as MLflow does)`);
    }
  }

  const requirements: InferredRequirement[] = [];
  for (const pkg of final) {
    const pinned = pinInstalled(facts, pkg);
    if (!pinned) {
      warnings.push({
        code: 'MODULE_NOT_INSTALLED',
        message: `\`${pkg}\` has no installed version in \`${facts.executable}\`; it is not in the requirements`,
        module: pkg,
      });
      continue;
    }
    requirements.push({
      requirement: pinned.requirement,
      name: pkg,
      version: pinned.version,
      reasons: reasonsByPackage.get(pkg) ?? [],
      ...(pinned.installedVersion ? { installedVersion: pinned.installedVersion } : {}),
    });
  }
  requirements.sort((a, b) => (a.requirement < b.requirement ? -1 : a.requirement > b.requirement ? 1 : 0));
  return { requirements, dropped, warnings };
}

/** The warning for a stripped local label (MLflow logs one; mlf also lists it in --explain). */
export function localLabelWarning(req: InferredRequirement): InferenceWarning | undefined {
  if (!req.installedVersion) return undefined;
  const label = req.installedVersion.slice(req.installedVersion.indexOf('+') + 1);
  return {
    code: 'LOCAL_VERSION_STRIPPED',
    message: `\`${req.name}\` is installed as \`${req.installedVersion}\`; the requirement is \`${req.requirement}\` without the local label \`+${label}\`, so that it installs from PyPI (pass \`--pip-requirements\` to keep it)`,
    module: req.name,
  };
}
