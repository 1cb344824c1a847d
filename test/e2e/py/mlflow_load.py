"""Loads model directories with mlflow.pyfunc.load_model (does MLflow accept what mlf wrote?).

stdin: JSON [str] of directories; stdout: JSON [{"ok": bool, "error": str|None}].
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import mlflow.pyfunc  # noqa: E402

results = []
for path in json.load(sys.stdin):
    try:
        mlflow.pyfunc.load_model(path)
        mlflow.pyfunc.get_model_dependencies(path)
        results.append({"ok": True, "error": None})
    except Exception as error:
        results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
json.dump(results, sys.stdout)
