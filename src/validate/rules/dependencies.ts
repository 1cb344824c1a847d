import { isInsideModel, normalizeRelative } from '../../model/directory/paths.js';
import type { Diagnostic } from '../diagnostic.js';
import { hasDirectory, type ModelFiles } from '../model-files.js';
import { condaPipList, envSources, pythonEnvDependencies } from '../env-files.js';
import { canonicalNameOf, effectiveRequirements, isRequirement } from '../requirements-view.js';
import { isStandardLibrary, providingDistribution, suggestedDistribution, topLevelModule, withTransitiveRequirements } from '../../deps/module-provider.js';
import { asRecord } from '../../model/directory/yaml-source.js';
import { canonicalizeName } from '../../deps/pep508.js';
import { flavorNeeds } from '../flavor-table.js';
import { diagnostic, tick } from './shared.js';

/**
 * Dependency rules (MLF500-MLF504): every module the model pickle references (static opcode
 * scan) and every module that code in `code/` or the model file imports (static import scan)
 * must come from the standard library, from `code/`, or from a requirement (directly or through
 * its own requirements): otherwise serving fails with ModuleNotFoundError. An import path that
 * `code/` holds under another prefix is the code_path caveat of the seeds (MLF503).
 */
export function checkDependencies(files: ModelFiles): Diagnostic[] {
  const root = asRecord(files.mlmodel?.value);
  if (!root) return [];
  const context = dependencyContext(files, root);
  const found: Diagnostic[] = [];

  // A flavor package the requirements lack is MLF505 (rules/flavors.ts), said once there rather than per pickle global.
  const flavorModules = new Set(flavorNeeds(root).map(({ need }) => need.module));
  const serialized = [
    ...[...files.pickles].map(([file, scan]) => ({ file, scan, what: 'pickle' as const })),
    ...[...files.skops].map(([file, scan]) => ({ file, scan, what: 'skops' as const })),
  ];
  for (const { file, scan, what } of serialized) {
    // An unreadable skops file is MLF112 (rules/flavors.ts).
    if (!scan.ok && what === 'skops') continue;
    if (!scan.ok) {
      found.push(
        scan.kind === 'skipped'
          ? diagnostic('MLF500', file, undefined, `${tick(file)} was not scanned for modules: ${scan.message}`)
          : diagnostic('MLF504', file, undefined, scan.message),
      );
      continue;
    }
    const reported = new Set<string>();
    for (const module of scan.value.modules) {
      const top = topLevelModule(module);
      if (reported.has(top) || flavorModules.has(top)) continue;
      const names = scan.value.globals.filter((g) => g.startsWith(`${module}.`)).map((g) => g.slice(module.length + 1));
      const problem = unprovided(context, module, what, names);
      if (!problem) continue;
      reported.add(top);
      found.push(diagnostic(problem.code, file, undefined, problem.message, problem.hint ? { hint: problem.hint } : {}));
    }
  }

  for (const [file, scan] of files.imports) {
    if (!scan.ok) {
      found.push(diagnostic('MLF500', file, scan.kind === 'error' ? scan.line : undefined, `${tick(file)} was not scanned for imports: ${scan.message}`));
      continue;
    }
    const reported = new Set<string>();
    for (const ref of scan.value) {
      if (ref.level > 0 || ref.module === '') continue; // relative imports stay inside code/
      const key = `${ref.line}:${topLevelModule(ref.module)}`;
      if (reported.has(key)) continue;
      // `from a import b` may import the submodule `a.b`: check the longest dotted path for layout.
      const problem = unprovided(context, ref.module, 'import', ref.names);
      if (!problem) continue;
      reported.add(key);
      found.push(diagnostic(problem.code, file, ref.line, problem.message, problem.hint ? { hint: problem.hint } : {}));
    }
  }

  const pyfunc = asRecord(asRecord(root.flavors)?.python_function);
  const loader = pyfunc?.loader_module;
  if (typeof loader === 'string' && /^[A-Za-z_][\w.]*$/.test(loader) && topLevelModule(loader) !== 'mlflow') {
    const problem = unprovided(context, loader, 'loader');
    if (problem) {
      found.push(
        diagnostic(problem.code, 'MLmodel', files.mlmodel?.lineOf(['flavors', 'python_function', 'loader_module']), problem.message, problem.hint ? { hint: problem.hint } : {}),
      );
    }
  }
  return found;
}

interface DependencyContext {
  /** Top-level modules and packages under the code directory. */
  codeModules: Set<string>;
  /** Every module path under the code directory, dotted (`src.utils`) -> its file or directory, for the layout check. */
  codePaths: Map<string, string>;
  codeDir?: string;
  installed: Set<string>;
  declaredCount: number;
}

function dependencyContext(files: ModelFiles, root: Record<string, unknown>): DependencyContext {
  const flavors = asRecord(root.flavors);
  const code = [asRecord(flavors?.python_function)?.code, ...Object.values(flavors ?? {}).map((f) => asRecord(f)?.code)].find(
    (value): value is string => typeof value === 'string' && value !== '' && isInsideModel(value),
  );
  const codeModules = new Set<string>();
  const codePaths = new Map<string, string>();
  let codeDir: string | undefined;
  if (code && hasDirectory(files, code)) {
    codeDir = normalizeRelative(code).replace(/\/$/, '');
    const prefix = `${codeDir}/`;
    for (const entry of files.entries) {
      if (!entry.startsWith(prefix)) continue;
      const inner = entry.slice(prefix.length).replace(/\/$/, '');
      if (inner === '') continue;
      const isPackageDir = entry.endsWith('/');
      if (!isPackageDir && !inner.endsWith('.py') && !/\.(so|pyd)$/.test(inner)) continue;
      const dotted = inner.replace(/\.(py|so|pyd)$/, '').replace(/\/__init__$/, '').split('/').join('.');
      if (!codePaths.has(dotted) || !isPackageDir) codePaths.set(dotted, entry.replace(/\/__init__\.py$/, '/'));
      if (!dotted.includes('.')) codeModules.add(dotted.split('.')[0]!);
    }
  }

  const declared = new Set<string>();
  for (const located of effectiveRequirements(files).requirements.filter(isRequirement)) declared.add(canonicalNameOf(located.statement));
  const sources = envSources(files);
  if (sources.conda && !sources.conda.error) {
    for (const entry of condaPipList(sources.conda) ?? []) {
      if (entry.statement?.kind === 'requirement') declared.add(canonicalizeName(entry.statement.requirement.name));
    }
  }
  if (sources.pythonEnv && !sources.pythonEnv.error) {
    for (const entry of pythonEnvDependencies(sources.pythonEnv) ?? []) {
      if (entry.statement?.kind === 'requirement') declared.add(canonicalizeName(entry.statement.requirement.name));
    }
  }
  return {
    codeModules,
    codePaths,
    ...(codeDir ? { codeDir } : {}),
    installed: withTransitiveRequirements(declared),
    declaredCount: declared.size,
  };
}

interface Problem {
  code: string;
  message: string;
  hint?: string;
}

function unprovided(context: DependencyContext, module: string, source: 'pickle' | 'skops' | 'import' | 'loader', names: string[] = []): Problem | undefined {
  const top = topLevelModule(module);
  if (top === '__main__') {
    if (source !== 'pickle' && source !== 'skops') return undefined;
    return {
      code: 'MLF501',
      message: `the ${source === 'pickle' ? 'pickle' : 'skops file'} references ${names.map((n) => tick(`${module}.${n}`)).join(', ') || tick(module)}: defined in the training script, which does not exist when the model is loaded (AttributeError: Can't get attribute)`,
      hint: 'move it into a module, import it from there before saving, and log that module with code_paths',
    };
  }
  if (isStandardLibrary(top) || context.codeModules.has(top)) return undefined;
  if (providingDistribution(top, context.installed)) return undefined;

  const codeDir = context.codeDir ?? 'code';
  const layout = layoutProblem(context, module, names);
  if (layout) {
    return {
      code: 'MLF503',
      message: `${tick(module)} is not importable: ${layout.found} is in ${tick(`${codeDir}/`)}, but MLflow puts only ${tick(`${codeDir}/`)} itself on sys.path, so ${tick(top)} is not found (ModuleNotFoundError)`,
      hint: layout.hint,
    };
  }
  const suggestion = suggestedDistribution(top);
  const what =
    source === 'pickle' || source === 'skops'
      ? `the ${source === 'pickle' ? 'pickle' : 'skops file'} references ${tick(module)}`
      : source === 'loader'
        ? `the ${tick('loader_module')} ${tick(module)} is`
        : `${tick(module)} is imported`;
  return {
    code: source === 'pickle' || source === 'skops' ? 'MLF501' : 'MLF502',
    message:
      source === 'loader'
        ? `${what} neither in ${tick(`${codeDir}/`)} nor provided by any requirement: loading fails with ModuleNotFoundError: No module named '${top}'`
        : `${what}, but no requirement provides ${tick(top)}: loading fails with ModuleNotFoundError: No module named '${top}'`,
    hint: suggestion
      ? `add the distribution that provides ${tick(top)} (${tick(suggestion)}) to requirements.txt and conda.yaml, or put the module in ${tick(`${codeDir}/`)}`
      : localCodeHint(top, codeDir),
  };
}

/**
 * The code_path caveat: `src.utils` imported while code/ holds `utils.py` at its top (the file
 * was logged as `code_paths=["src/utils.py"]`), or `utils` imported while code/ holds
 * `src/utils.py` (logged as `code_paths=["src"]`).
 */
function layoutProblem(context: DependencyContext, module: string, names: string[]): { found: string; hint: string } | undefined {
  const codeDir = context.codeDir;
  if (!codeDir) return undefined;
  const parts = module.split('.');
  const candidates = [...names.filter((n) => n !== '*').map((n) => [...parts, n]), parts];
  // Deeper import path than the layout: a suffix of the dotted path exists at the top of code/.
  for (const path of candidates) {
    for (let k = 1; k < path.length; k += 1) {
      const suffix = path.slice(k).join('.');
      const file = context.codePaths.get(suffix);
      if (file !== undefined && !context.codeModules.has(path[0]!)) {
        const parent = path.slice(0, k).join('/');
        const wanted = `${codeDir}/${parent}/${file.slice(codeDir.length + 1)}`;
        return {
          found: tick(file),
          hint: `log the parent directory as the code path (${tick(`code_paths=["${parent}"]`)}) so that ${tick(wanted)} exists, or import ${tick(suffix)}`,
        };
      }
    }
  }
  // Shallower import path than the layout: the module exists nested deeper in code/.
  const nested = [...context.codePaths.keys()].find((p) => p.endsWith(`.${parts.join('.')}`));
  if (nested) {
    return {
      found: tick(context.codePaths.get(nested)!),
      hint: `import it as ${tick(nested)}, or log the module itself as a code path`,
    };
  }
  return undefined;
}

/**
 * The hint for a module no table knows a distribution for: most often the model's own code,
 * which MLflow saves only when given as a code path. No distribution is named: one named after
 * a local module is what a dependency confusion attack publishes.
 */
function localCodeHint(top: string, codeDir: string): string {
  return (
    `${tick(top)} looks like local code that is missing from ${tick(`${codeDir}/`)}: re-save the model with its file or package as a code path ` +
    `(MLflow: ${tick(`code_paths=["${top}.py"]`)} or ${tick(`code_paths=["${top}"]`)}; mlf: ${tick(`mlf models package --code-path ${top}.py`)}); ` +
    `if it is a published package, add the distribution that installs it to requirements.txt and conda.yaml`
  );
}
