import { canonicalizeName } from './pep508.js';
import { DISTRIBUTIONS_BY_IMPORT_NAME, PYTHON2_STDLIB_NAMES, tableDistributions, topLevelModule } from './module-names.js';
import { DISTRIBUTION_MODULES, DISTRIBUTION_REQUIRES, STDLIB_MODULES } from './known-distributions.js';

/**
 * Offline answers to "does this set of requirements provide module M?": the standard library,
 * the modules each known distribution installs and what it requires in turn (generated from a
 * real environment, known-distributions.ts), and a table of import names that differ from the
 * distribution name for packages not in that environment.
 */

const STDLIB = new Set([...STDLIB_MODULES, ...PYTHON2_STDLIB_NAMES]);

export { topLevelModule };

export function isStandardLibrary(module: string): boolean {
  return STDLIB.has(topLevelModule(module));
}

const MODULE_TO_DISTRIBUTIONS: Map<string, Set<string>> = (() => {
  const map = new Map<string, Set<string>>();
  for (const [dist, modules] of Object.entries(DISTRIBUTION_MODULES)) {
    for (const module of modules) {
      if (!map.has(module)) map.set(module, new Set());
      map.get(module)!.add(dist);
    }
  }
  for (const [module, dists] of Object.entries(DISTRIBUTIONS_BY_IMPORT_NAME)) {
    if (!map.has(module)) map.set(module, new Set());
    for (const dist of dists) map.get(module)!.add(dist);
  }
  return map;
})();

/** Distributions that may provide a top-level module (its own name always among them). */
export function distributionsForModule(module: string): string[] {
  const top = topLevelModule(module);
  return [...new Set([canonicalizeName(top), ...(MODULE_TO_DISTRIBUTIONS.get(top) ?? [])])];
}

/** The declared distributions plus everything they require, as far as the known table goes. */
export function withTransitiveRequirements(declared: Iterable<string>): Set<string> {
  const closure = new Set<string>();
  const pending = [...declared].map(canonicalizeName);
  while (pending.length > 0) {
    const dist = pending.pop()!;
    if (closure.has(dist)) continue;
    closure.add(dist);
    for (const dep of DISTRIBUTION_REQUIRES[dist] ?? []) pending.push(dep);
  }
  return closure;
}

/** The distribution that provides `module` among `installed` (a transitive closure), or undefined. */
export function providingDistribution(module: string, installed: ReadonlySet<string>): string | undefined {
  return distributionsForModule(module).find((dist) => installed.has(dist));
}

/**
 * The distributions known to install a top-level module, usual first: the import-name table,
 * the well-known same-name list, then the environment the table was generated from. Empty for a
 * name in no table: such a module may well be local code that was not saved with the model, and
 * suggesting a distribution of its name would invite a dependency confusion attack.
 */
export function knownDistributionsFor(module: string): string[] {
  const top = topLevelModule(module);
  const generated = Object.entries(DISTRIBUTION_MODULES)
    .filter(([, modules]) => modules.includes(top))
    .map(([dist]) => dist);
  // The distribution of the module's own name first among the generated ones (`mlflow` before `mlflow-skinny`).
  generated.sort((a, b) => Number(b === canonicalizeName(top)) - Number(a === canonicalizeName(top)) || a.localeCompare(b));
  return [...new Set([...tableDistributions(top), ...generated].map(canonicalizeName))];
}

/** The distribution to suggest for a module nobody provides: a known one, or undefined when no table knows the name. */
export function suggestedDistribution(module: string): string | undefined {
  return knownDistributionsFor(module)[0];
}

export interface ModuleDistribution {
  /** The module as Python named it, e.g. `cv2` or `sklearn.ensemble`. */
  module: string;
  /** The distribution that most likely provides it, e.g. `opencv-python`. */
  distribution: string;
  /** False when no table vouches for it and the distribution is only the module's own name. */
  known: boolean;
}

/**
 * From a module Python could not import to the distribution a user should install: the one the
 * import-name table of module-names.ts vouches for (`cv2` → `opencv-python`, `tabulate` →
 * `tabulate`; only the top-level package counts). Otherwise the module's own name, marked
 * unknown: callers never suggest installing it on that ground alone.
 */
export function distributionForModule(module: string): ModuleDistribution {
  const [vouched] = tableDistributions(module);
  return { module, distribution: vouched ?? canonicalizeName(topLevelModule(module)), known: vouched !== undefined };
}
