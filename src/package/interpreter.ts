import { environmentError, inputError } from '../errors.js';
import { isToolError, runTool } from '../env/exec.js';
import { canonicalizeName } from '../deps/pep508.js';

/**
 * What `mlf models package` needs to know about the interpreter the model was trained with,
 * read by one small script run once in `--python` (it imports nothing beyond the standard
 * library: no model code, not even mlflow).
 */
export interface InstalledDistribution {
  /** As the distribution's metadata spells it. */
  name: string;
  version: string;
  /** `Requires-Dist` lines as written, markers included. */
  requires: string[];
}

export interface InterpreterFacts {
  executable: string;
  /** `X.Y.Z` of the interpreter (MLflow's PYTHON_VERSION). */
  pythonVersion: string;
  /** Versions of the build tools, undefined when not installed (python_env.yaml writes a bare name then). */
  buildTools: { pip?: string; setuptools?: string; wheel?: string };
  /** Installed mlflow (or mlflow-skinny) version, undefined when neither is installed. */
  mlflowVersion?: string;
  /** By canonical name. */
  distributions: Map<string, InstalledDistribution>;
  /** `importlib.metadata.packages_distributions()`: top-level module → distribution names. */
  packagesDistributions: Map<string, string[]>;
  /** `sys.stdlib_module_names` ∪ `sys.builtin_module_names`. */
  stdlibModules: Set<string>;
  /** PEP 508 marker variables of this interpreter, for evaluating `Requires-Dist` markers. */
  markerEnvironment: Record<string, string>;
  /** site-packages and other non-stdlib entries of sys.path (modules found there are not local code). */
  sitePackages: string[];
  /** Whether the installed `mlflow.sklearn` writes `skops_trusted_types` into its flavor (newer MLflow). */
  mlflowSklearnWritesSkops: boolean;
}

/** Reads everything in one run; prints one JSON object. */
export const INTERPRETER_FACTS_SCRIPT = String.raw`
import json, os, platform, sys, sysconfig
import importlib.metadata as md

def version_of(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None

dists = []
for dist in md.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    dists.append({"name": name, "version": dist.version, "requires": list(dist.requires or [])})

impl = sys.implementation
iv = impl.version
implementation_version = "%d.%d.%d" % (iv.major, iv.minor, iv.micro)
if iv.releaselevel != "final":
    implementation_version += iv.releaselevel[0] + str(iv.serial)

paths = sysconfig.get_paths()
stdlib_dirs = {os.path.realpath(paths["stdlib"]), os.path.realpath(paths["platstdlib"])}
site = [p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) not in stdlib_dirs
        and not os.path.realpath(p).startswith(tuple(d + os.sep for d in stdlib_dirs))]

def mlflow_source(relative):
    # Reads a file of the installed mlflow without importing it (find_spec runs no code).
    try:
        import importlib.util
        spec = importlib.util.find_spec("mlflow")
        if spec is None or not spec.submodule_search_locations:
            return ""
        with open(os.path.join(list(spec.submodule_search_locations)[0], relative), encoding="utf-8") as f:
            return f.read()
    except Exception:
        return ""

print(json.dumps({
    "executable": sys.executable,
    "python_version": "%d.%d.%d" % sys.version_info[:3],
    "build_tools": {n: version_of(n) for n in ("pip", "setuptools", "wheel")},
    "mlflow_version": version_of("mlflow") or version_of("mlflow-skinny"),
    "distributions": dists,
    "packages_distributions": md.packages_distributions(),
    "stdlib_modules": sorted(set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)),
    "marker_environment": {
        "implementation_name": impl.name,
        "implementation_version": implementation_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    },
    "site_packages": [p for p in site if "site-packages" in p or "dist-packages" in p],
    "mlflow_sklearn_skops": "skops_trusted_types=skops_trusted_types" in mlflow_source("sklearn/__init__.py"),
}))
`;

interface RawFacts {
  executable: string;
  python_version: string;
  build_tools: Record<string, string | null>;
  mlflow_version: string | null;
  distributions: { name: string; version: string; requires: string[] }[];
  packages_distributions: Record<string, string[]>;
  stdlib_modules: string[];
  marker_environment: Record<string, string>;
  site_packages: string[];
  mlflow_sklearn_skops?: boolean;
}

export interface ReadInterpreterOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Runs the facts script in `python`. A missing or broken interpreter is an input error (exit 2). */
export async function readInterpreterFacts(python: string, options: ReadInterpreterOptions): Promise<InterpreterFacts> {
  let stdout: string;
  try {
    ({ stdout } = await runTool('python', python, ['-c', INTERPRETER_FACTS_SCRIPT], {
      cwd: options.cwd,
      env: options.env,
      timeoutMs: options.timeoutMs ?? 120_000,
    }));
  } catch (error) {
    if (isToolError(error) && error.notFound) {
      throw inputError('PYTHON_NOT_FOUND', `The interpreter \`${python}\` could not be started`, {
        hint: 'pass `--python` with the interpreter the model was trained with',
        cause: error,
      });
    }
    throw environmentError('PYTHON_FACTS_FAILED', `Could not read the installed packages of \`${python}\``, {
      detail: isToolError(error) ? error.stderrTail : String(error),
      cause: error,
    });
  }
  const line = stdout.trim().split('\n').pop() ?? '';
  let raw: RawFacts;
  try {
    raw = JSON.parse(line) as RawFacts;
  } catch (error) {
    throw environmentError('PYTHON_FACTS_FAILED', `\`${python}\` printed something that is not the expected JSON`, {
      detail: line.slice(0, 500),
      cause: error,
    });
  }
  return factsFromJson(raw);
}

/** Builds the typed facts from the script's JSON (exported for tests with recorded output). */
export function factsFromJson(raw: RawFacts): InterpreterFacts {
  const distributions = new Map<string, InstalledDistribution>();
  for (const dist of raw.distributions) {
    const key = canonicalizeName(dist.name);
    // sys.path order: the first one found shadows later ones, as importlib.metadata.version does.
    if (!distributions.has(key)) distributions.set(key, { name: dist.name, version: dist.version, requires: dist.requires });
  }
  const buildTools: InterpreterFacts['buildTools'] = {};
  for (const tool of ['pip', 'setuptools', 'wheel'] as const) {
    const version = raw.build_tools[tool];
    if (version) buildTools[tool] = version;
  }
  return {
    executable: raw.executable,
    pythonVersion: raw.python_version,
    buildTools,
    ...(raw.mlflow_version ? { mlflowVersion: raw.mlflow_version } : {}),
    distributions,
    packagesDistributions: new Map(Object.entries(raw.packages_distributions)),
    stdlibModules: new Set(raw.stdlib_modules),
    markerEnvironment: raw.marker_environment,
    sitePackages: raw.site_packages,
    mlflowSklearnWritesSkops: Boolean(raw.mlflow_sklearn_skops),
  };
}

export type { RawFacts as RawInterpreterFacts };
