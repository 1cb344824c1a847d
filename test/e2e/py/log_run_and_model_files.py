"""A run with files of its own under `model/` that also logs a model named `model`, and what
MLflow's client makes of `runs:/<run_id>/model` (test/e2e/model-uris-merge.test.ts).

Usage: python log_run_and_model_files.py FIXTURE_DIR INPUT_JSON DOWNLOAD_DIR, with
MLFLOW_TRACKING_URI set. Prints one JSON object: {"run_id", "model_id", "files": {path: sha256}
of mlflow.artifacts.download_artifacts(the URI), "predictions": mlflow.pyfunc.load_model(the
URI).predict(the split-orient input)}.
"""

import hashlib
import json
import os
import sys

import mlflow
import pandas as pd
from mlflow.entities import LoggedModelStatus


def digests(directory):
    out = {}
    for root, _, names in os.walk(directory):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, directory).replace(os.sep, "/")] = hashlib.sha256(f.read()).hexdigest()
    return out


def main():
    fixture, input_path, download_dir = sys.argv[1:4]
    with mlflow.start_run() as run:
        # The run's own files at the model's path: one the logged model also has, one it has not.
        mlflow.log_text("the run's own MLmodel, which the logged model's replaces\n", "model/MLmodel")
        mlflow.log_text("kept from the run\n", "model/notes/run_only.txt")
        model = mlflow.initialize_logged_model(name="model", source_run_id=run.info.run_id)
        mlflow.MlflowClient().log_model_artifacts(model.model_id, fixture)
        mlflow.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    uri = f"runs:/{run.info.run_id}/model"
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=download_dir)
    with open(input_path) as f:
        data = json.load(f)
    data = data.get("dataframe_split", data)
    result = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame(data["data"], columns=data["columns"]))
    print(json.dumps({
        "run_id": run.info.run_id,
        "model_id": model.model_id,
        "files": digests(local),
        "predictions": result.tolist() if hasattr(result, "tolist") else list(result),
    }))


if __name__ == "__main__":
    main()
