"""What real MLflow does on the other side of `mlf models log` (test/e2e/log.test.ts).

Usage: python mlflow_log_reference.py TRACKING_URI SPEC_JSON. SPEC holds
  "log":     [{"dir", "kind": "sklearn"|"pyfunc", "registered", "alias"}]: log each fixture
             directory again with MLflow's own log_model (the reference records), register it
             and set the alias;
  "predict": [{"uri", "input"}]: mlflow.pyfunc.load_model(uri).predict(the split-orient input).
Prints one JSON object: {"logged": [{"run_id", "model_id", "version"}], "predictions": [[...]]}.
"""

import json
import os
import sys

import cloudpickle
import mlflow
import pandas as pd
from mlflow.models import Model


def read_split(path):
    """A split-orient frame, bare (input_example.json) or in the scoring envelope ({"dataframe_split": ...})."""
    with open(path) as f:
        data = json.load(f)
    data = data.get("dataframe_split", data)
    return pd.DataFrame(data["data"], columns=data["columns"])


def log_reference(entry):
    directory = entry["dir"]
    saved = Model.load(directory)
    example = read_split(os.path.join(directory, "input_example.json"))
    requirements = os.path.join(directory, "requirements.txt")
    with mlflow.start_run() as run:
        if entry["kind"] == "sklearn":
            info = mlflow.sklearn.log_model(
                mlflow.sklearn.load_model(directory),
                name="model",
                signature=saved.signature,
                input_example=example,
                serialization_format="skops",
                pip_requirements=requirements,
                registered_model_name=entry["registered"],
            )
        else:
            code = os.path.join(directory, "code")
            sys.path.insert(0, code)
            with open(os.path.join(directory, "python_model.pkl"), "rb") as f:
                python_model = cloudpickle.load(f)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=python_model,
                code_paths=[os.path.join(code, name) for name in sorted(os.listdir(code))],
                signature=saved.signature,
                input_example=example,
                pip_requirements=requirements,
                registered_model_name=entry["registered"],
            )
    mlflow.MlflowClient().set_registered_model_alias(entry["registered"], entry["alias"], info.registered_model_version)
    return {"run_id": run.info.run_id, "model_id": info.model_id, "version": str(info.registered_model_version)}


def predict(entry):
    result = mlflow.pyfunc.load_model(entry["uri"]).predict(read_split(entry["input"]))
    return result.tolist() if hasattr(result, "tolist") else list(result)


def main():
    mlflow.set_tracking_uri(sys.argv[1])
    spec = json.loads(sys.argv[2])
    out = {
        "predictions": [predict(entry) for entry in spec.get("predict", [])],
        "logged": [log_reference(entry) for entry in spec.get("log", [])],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
