export { PYTHON2_STDLIB_NAMES, topLevelModule as topLevel } from '../deps/module-names.js';

/** Distributions that are build tooling, never a model requirement (MLflow excludes setuptools). */
export const BUILD_TOOL_DISTRIBUTIONS: ReadonlySet<string> = new Set(['setuptools', 'pip', 'wheel']);

/** MLflow's `MLFLOW_MODULES_TO_PACKAGES`: an mlflow submodule that needs an extra. */
export const MLFLOW_SUBMODULE_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  'mlflow.gateway': 'mlflow[gateway]',
};

