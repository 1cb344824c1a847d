"""Runs MLflow's own update_model_requirements on a list of jobs (the reference for mlf).

stdin: JSON [{"dir": str, "operation": "add"|"remove", "requirements": [str]}]
stdout: JSON [{"ok": bool, "error": str|None}] in the same order.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import mlflow.models  # noqa: E402

results = []
for job in json.load(sys.stdin):
    try:
        mlflow.models.update_model_requirements(job["dir"], job["operation"], job["requirements"])
        results.append({"ok": True, "error": None})
    except Exception as error:  # MLflow raises several types; the test only needs the text
        results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
json.dump(results, sys.stdout)
