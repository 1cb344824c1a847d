/**
 * File and directory names inside an MLflow model directory, as MLflow spells them
 * (mlflow-format.md §0, §12: `mlflow/utils/environment.py`, `mlflow/models/model.py`).
 */
export const MLMODEL_FILE_NAME = 'MLmodel';
export const CONDA_ENV_FILE_NAME = 'conda.yaml';
export const PYTHON_ENV_FILE_NAME = 'python_env.yaml';
export const REQUIREMENTS_FILE_NAME = 'requirements.txt';
export const CONSTRAINTS_FILE_NAME = 'constraints.txt';
export const INPUT_EXAMPLE_FILE_NAME = 'input_example.json';
export const SERVING_INPUT_EXAMPLE_FILE_NAME = 'serving_input_example.json';
export const ENVIRONMENT_VARIABLES_FILE_NAME = 'environment_variables.txt';
/** `code_paths` are copied here (§8). */
export const CODE_DIR_NAME = 'code';
/** pyfunc `artifacts=` are copied here (§1.3). */
export const ARTIFACTS_DIR_NAME = 'artifacts';

/** The flavor every loadable model has, and its keys for the env files (§1.3). */
export const PYFUNC_FLAVOR_NAME = 'python_function';
export const ENV_KEY_CONDA = 'conda';
export const ENV_KEY_VIRTUALENV = 'virtualenv';
