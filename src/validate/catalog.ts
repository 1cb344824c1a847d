import type { Severity } from './diagnostic.js';

/**
 * Every rule `mlf models validate` knows: its stable code, default severity, what it checks and
 * how to fix it. The README's rule table is this list; a test keeps the two equal.
 */
export type RuleGroup =
  | 'general'
  | 'mlmodel'
  | 'requirements'
  | 'consistency'
  | 'conda'
  | 'dependencies'
  | 'signature'
  | 'mlflow-pin'
  | 'smoke'
  | 'online';

export interface RuleInfo {
  code: string;
  /** A short kebab-case name, also the SARIF rule name. */
  name: string;
  group: RuleGroup;
  severity: Severity;
  /** What the rule finds. */
  summary: string;
  /** How to fix it; `--fix` does it when `fixable`. */
  fix: string;
  fixable?: boolean;
}

const RULES: RuleInfo[] = [
  // general
  { code: 'MLF001', name: 'internal-error', group: 'general', severity: 'error', summary: 'a rule crashed while checking this model (a bug in mlf)', fix: 'report it with the model directory attached' },
  { code: 'MLF100', name: 'model-unreadable', group: 'general', severity: 'error', summary: 'the argument is not a readable directory (exit code 2)', fix: 'pass the path of a model directory (the one holding `MLmodel`)' },

  // MLmodel
  { code: 'MLF101', name: 'mlmodel-missing', group: 'mlmodel', severity: 'error', summary: 'the directory has no `MLmodel` file', fix: 'point at the directory MLflow saved (it holds `MLmodel`)' },
  { code: 'MLF102', name: 'mlmodel-yaml', group: 'mlmodel', severity: 'error', summary: '`MLmodel` is not valid YAML', fix: 'correct the YAML at the line shown' },
  { code: 'MLF103', name: 'mlmodel-shape', group: 'mlmodel', severity: 'error', summary: '`MLmodel` is not a mapping, or `flavors` (or a flavor) is missing or not a mapping', fix: 'restore `flavors:` with one mapping per flavor' },
  { code: 'MLF104', name: 'no-pyfunc-flavor', group: 'mlmodel', severity: 'warning', summary: 'no `python_function` flavor: `mlflow.pyfunc.load_model`, predict and serve cannot load the model', fix: 'save the model with a flavor that adds `python_function`, or use the flavor\'s own loader' },
  { code: 'MLF105', name: 'loader-module', group: 'mlmodel', severity: 'error', summary: '`python_function` has no valid `loader_module`', fix: 'set `loader_module` to the module whose `_load_pyfunc` loads the model (e.g. `mlflow.sklearn`)' },
  { code: 'MLF106', name: 'flavor-file-missing', group: 'mlmodel', severity: 'error', summary: 'a file the flavor names (`model_path`, `data`, `python_model`, `pickled_model`, `artifacts`, the model code) does not exist', fix: 'restore the file or correct the path in `MLmodel`' },
  { code: 'MLF107', name: 'code-dir-missing', group: 'mlmodel', severity: 'error', summary: 'the flavor\'s `code` directory does not exist', fix: 'restore the `code/` directory or set `code: null`' },
  { code: 'MLF108', name: 'python-version-invalid', group: 'mlmodel', severity: 'error', summary: '`python_version` is not a PEP 440 version string', fix: 'write the full version as a string, e.g. `python_version: 3.11.7`' },
  { code: 'MLF109', name: 'python-version-missing', group: 'mlmodel', severity: 'warning', summary: '`python_function` has no `python_version`', fix: 'add `python_version: X.Y.Z` (the Python the model was saved with)' },
  { code: 'MLF110', name: 'env-file-missing', group: 'mlmodel', severity: 'error', summary: 'an environment file named by `env` (conda or virtualenv) does not exist', fix: 'restore the file or correct `env` in `MLmodel`' },
  { code: 'MLF111', name: 'serialization-format', group: 'mlmodel', severity: 'error', summary: 'the sklearn flavor\'s `serialization_format` is not one MLflow can load', fix: 'use `cloudpickle`, `pickle` or `skops`' },
  { code: 'MLF112', name: 'flavor-file-kind', group: 'mlmodel', severity: 'error', summary: 'a file a flavor section names is not of the kind the flavor\'s loader reads (a skops file that is no zip or has no `schema.json`, an xgboost model that is not JSON/UBJSON, a LightGBM Booster that is not its text format, an ONNX file that is no ModelProto, ...)', fix: 'restore the file the flavor saved, or correct the path or format key in `MLmodel`' },

  // requirements.txt
  { code: 'MLF201', name: 'requirement-syntax', group: 'requirements', severity: 'error', summary: 'a line is neither a PEP 508 requirement nor a pip option', fix: 'correct the line (the column points at the problem)' },
  { code: 'MLF202', name: 'duplicate-requirement', group: 'requirements', severity: 'warning', summary: 'a package is listed more than once (names compared after PEP 503 normalization)', fix: 'keep one line per package' },
  { code: 'MLF203', name: 'conflicting-requirements', group: 'requirements', severity: 'error', summary: 'the specifiers given for one package cannot all hold: pip will refuse to install', fix: 'keep one specifier set that the wanted version satisfies' },
  { code: 'MLF204', name: 'unpinned-requirement', group: 'requirements', severity: 'warning', summary: 'a package has no version specifier: the next release may break the model', fix: 'pin it to the version the model was trained with (`name==X.Y.Z`)' },
  { code: 'MLF205', name: 'loose-requirement', group: 'requirements', severity: 'warning', summary: 'a package has no upper bound (only `>=`, `>`, `!=` or a wildcard)', fix: 'pin it (`==`) or bound it (`~=`, `<`)' },
  { code: 'MLF206', name: 'include-missing', group: 'requirements', severity: 'error', summary: 'a `-r`/`-c` file (or python_env.yaml\'s `-r requirements.txt`) does not exist in the model directory', fix: 'add the file to the model directory or remove the line' },
  { code: 'MLF207', name: 'index-url', group: 'requirements', severity: 'warning', summary: 'security: `--index-url` replaces PyPI with another index for every package', fix: 'configure the index where the model is served (pip.conf, `PIP_INDEX_URL`) rather than in the model' },
  { code: 'MLF208', name: 'extra-index-url', group: 'requirements', severity: 'warning', summary: 'security: `--extra-index-url` lets any index serve any name (dependency confusion)', fix: 'use a single index that proxies PyPI, or pin with `--hash`' },
  { code: 'MLF209', name: 'trusted-host', group: 'requirements', severity: 'warning', summary: 'security: `--trusted-host` turns off TLS verification for a host', fix: 'remove it and give the host a valid certificate' },
  { code: 'MLF210', name: 'url-requirement', group: 'requirements', severity: 'warning', summary: 'security: a bare URL, path, VCS link or `name @ url` installs code no index vouches for', fix: 'publish the package to an index and require it by name and version' },
  { code: 'MLF211', name: 'editable-install', group: 'requirements', severity: 'warning', summary: 'security: `-e` installs a project in editable mode from a path or VCS', fix: 'build a wheel and require it by name and version' },
  { code: 'MLF212', name: 'credentials-in-url', group: 'requirements', severity: 'error', summary: 'security: a URL carries a user name or password (shown redacted)', fix: 'remove the credentials and supply them through pip\'s keyring or netrc at install time' },
  { code: 'MLF213', name: 'requirements-missing', group: 'requirements', severity: 'warning', summary: 'the model has no `requirements.txt`: virtualenv and uv environments fall back to conda.yaml\'s pip list', fix: 'write `requirements.txt` with the conda.yaml pip list' },

  // consistency
  { code: 'MLF301', name: 'env-packages-differ', group: 'consistency', severity: 'warning', summary: 'a package is in requirements.txt but not in conda.yaml\'s pip list or python_env.yaml (or the reverse): environments differ by manager', fix: 'make the lists equal; `--fix` rewrites the conda pip list from requirements.txt', fixable: true },
  { code: 'MLF302', name: 'env-pins-differ', group: 'consistency', severity: 'warning', summary: 'a package has different specifiers in requirements.txt and conda.yaml\'s pip list or python_env.yaml', fix: 'make the specifiers equal; `--fix` rewrites the conda pip list from requirements.txt', fixable: true },
  { code: 'MLF303', name: 'python-version-mismatch', group: 'consistency', severity: 'error', summary: 'MLmodel\'s `python_version`, python_env.yaml and conda.yaml name different Python minor versions', fix: 'use the Python the model was saved with in all three files' },
  { code: 'MLF304', name: 'python-micro-mismatch', group: 'consistency', severity: 'warning', summary: 'the Python versions agree on X.Y but differ in the micro version', fix: 'use the same X.Y.Z in all three files' },

  // conda.yaml and python_env.yaml
  { code: 'MLF401', name: 'conda-defaults-channel', group: 'conda', severity: 'warning', summary: 'conda.yaml uses Anaconda\'s `defaults` channel, which needs a commercial licence under Anaconda\'s terms of service', fix: 'use `conda-forge`; `--fix` rewrites the channel', fixable: true },
  { code: 'MLF402', name: 'conda-yaml-invalid', group: 'conda', severity: 'error', summary: 'conda.yaml is not valid YAML, or `channels`/`dependencies`/`pip` are not lists of strings', fix: 'correct the file at the line shown' },
  { code: 'MLF403', name: 'python-env-invalid', group: 'conda', severity: 'error', summary: 'python_env.yaml is not valid YAML, `python` is not a string, or its lists are not lists (MLflow raises TypeError)', fix: 'quote the version (`python: \'3.10\'` or write `3.10.12`) and keep the lists as lists' },
  { code: 'MLF404', name: 'conda-python-unpinned', group: 'conda', severity: 'error', summary: 'without python_env.yaml MLflow takes Python from conda.yaml, whose `python` entry is missing, unpinned or uses `<`, `>` or `!=`', fix: 'pin it (`python=3.11.7`) or add python_env.yaml' },

  // dependencies
  { code: 'MLF500', name: 'scan-skipped', group: 'dependencies', severity: 'info', summary: 'a file could not be scanned for modules (compressed, unreadable or not Python); its dependencies were not checked', fix: 'none needed; `--smoke` loads the model for real' },
  { code: 'MLF501', name: 'pickle-module-unprovided', group: 'dependencies', severity: 'error', summary: 'the model pickle (or the type list of a skops file) references a module that no requirement provides: loading fails with ModuleNotFoundError', fix: 'add the package that provides the module to requirements.txt (and conda.yaml)' },
  { code: 'MLF502', name: 'import-unprovided', group: 'dependencies', severity: 'error', summary: 'code in `code/` or the model file imports a module that neither a requirement nor `code/` provides', fix: 'add the package to the requirements, or the module to `code/`' },
  { code: 'MLF503', name: 'code-path-layout', group: 'dependencies', severity: 'error', summary: 'an import path that the `code/` layout cannot satisfy (`from src.utils import f` with `code/utils.py`): the code_path caveat', fix: 'log the parent directory as the code path (`code_paths=["src"]`) so that `code/src/utils.py` exists' },
  { code: 'MLF504', name: 'pickle-unreadable', group: 'dependencies', severity: 'warning', summary: 'a model file named as a pickle is not a readable pickle', fix: 'restore the file MLflow saved' },
  { code: 'MLF505', name: 'flavor-package-missing', group: 'dependencies', severity: 'error', summary: 'a package the flavor\'s loader imports (the flavor\'s library; `skops` for skops files, `cloudpickle` for cloudpickle, `onnxruntime` for onnx, ...) is not required by requirements.txt or conda.yaml, other than through mlflow\'s own dependencies', fix: 'add the package, pinned to the version in `MLmodel`, to requirements.txt and conda.yaml' },
  { code: 'MLF506', name: 'flavor-version-mismatch', group: 'dependencies', severity: 'warning', summary: 'a requirement excludes the version of the flavor\'s library that saved the model (`sklearn_version`, `xgb_version`, `lgb_version`, ...)', fix: 'pin the version `MLmodel` records, or re-save the model with the version you pin' },

  // signature and input example
  { code: 'MLF601', name: 'signature-invalid', group: 'signature', severity: 'error', summary: 'the signature is not valid MLflow signature JSON', fix: 'write `inputs`/`outputs`/`params` as JSON lists of column or tensor specs' },
  { code: 'MLF602', name: 'input-example-missing', group: 'signature', severity: 'error', summary: 'a file named by `saved_input_example_info` does not exist', fix: 'restore the example file or remove `saved_input_example_info`' },
  { code: 'MLF603', name: 'input-example-invalid', group: 'signature', severity: 'error', summary: 'the input example is not JSON of the form its `type` says', fix: 'rewrite the example (dataframes as `{"columns": [...], "data": [[...]]}`)' },
  { code: 'MLF604', name: 'example-missing-column', group: 'signature', severity: 'error', summary: 'the input example lacks a column the signature requires: predict on it fails', fix: 'add the column to the example, or mark it `"required": false` in the signature' },
  { code: 'MLF605', name: 'example-extra-column', group: 'signature', severity: 'warning', summary: 'the input example has a column the signature does not name (MLflow drops it with a warning)', fix: 'remove the column from the example or add it to the signature' },
  { code: 'MLF606', name: 'example-type-mismatch', group: 'signature', severity: 'error', summary: 'a value in the input example cannot be converted to its column\'s signature type', fix: 'correct the value or the column type' },
  { code: 'MLF607', name: 'example-tensor-shape', group: 'signature', severity: 'error', summary: 'the input example\'s shape does not match the tensor signature', fix: 'reshape the example or fix the tensor spec' },

  // mlflow pin
  { code: 'MLF701', name: 'mlflow-requirement-missing', group: 'mlflow-pin', severity: 'warning', summary: 'no requirement names `mlflow`: the environment gets whatever MLflow the installer picks', fix: 'add `mlflow==<mlflow_version>` (MLflow always writes it)' },
  { code: 'MLF702', name: 'mlflow-pin-mismatch', group: 'mlflow-pin', severity: 'warning', summary: 'the `mlflow` requirement excludes the `mlflow_version` that saved the model', fix: 'pin `mlflow==<mlflow_version>` or re-save the model with the pinned MLflow' },

  // smoke
  { code: 'MLF801', name: 'smoke-predict-failed', group: 'smoke', severity: 'error', summary: '`--smoke`: loading the model or predicting on its input example failed (the worker\'s message is shown)', fix: 'fix the cause named in the message, then run again' },
  { code: 'MLF802', name: 'smoke-env-failed', group: 'smoke', severity: 'error', summary: '`--smoke`: the environment could not be built (the installer\'s message is shown)', fix: 'fix the requirement the installer names' },
  { code: 'MLF803', name: 'smoke-skipped', group: 'smoke', severity: 'warning', summary: '`--smoke`: the model has no input example to predict on', fix: 'save the model with `input_example=`' },

  // online
  { code: 'MLF901', name: 'requirement-unresolvable', group: 'online', severity: 'error', summary: '`--online`: the configured index cannot satisfy a requirement (no such distribution, no such version, or a conflict), so the environment cannot be built', fix: 'correct the name or version, or remove the line with `mlf models update-pip-requirements -m MODEL remove NAME`' },
  { code: 'MLF902', name: 'online-check-failed', group: 'online', severity: 'warning', summary: '`--online`: the requirements could not be checked (no uv, the index unreachable, a timeout)', fix: 'make uv and the index reachable, then run again' },
];

export const RULE_CATALOG: readonly RuleInfo[] = RULES;

const BY_CODE = new Map(RULES.map((rule) => [rule.code, rule]));

export function ruleInfo(code: string): RuleInfo {
  const info = BY_CODE.get(code);
  if (!info) throw new Error(`unknown rule code ${code}`);
  return info;
}

export function isRuleCode(code: string): boolean {
  return BY_CODE.has(code);
}
