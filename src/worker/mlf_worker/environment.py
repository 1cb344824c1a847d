"""MLflow's boolean environment variables, after mlflow/environment_variables.py (MLflow 3.17.2,
`_BooleanEnvironmentVariable.get`): true/1 and false/0, case-insensitive. Where MLflow raises on
any other value, the worker takes the default."""

import os


def env_flag(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return default
