"""Logs and registers model directories into the tracking server at MLFLOW_TRACKING_URI with
MLflow's own client, the way MLflow 3's `log_model` stores them: a run, a logged model named
`model` whose source run is that run, its artifacts uploaded through the artifact proxy, a
registered model version created from `models:/<model_id>`. Also one run that holds a model as
plain run artifacts under `nested/model` (the pre-MLflow-3 layout).

stdin: JSON {"models": [{"dir": str, "name": str, "aliases": [str], "stage": str | null}], "plain_run_dir": str | null}
argv[1]: a file written with JSON {"models": [{"run_id", "model_id", "version", "artifact_location"}], "plain_run_id": str | null}
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import LoggedModelStatus  # noqa: E402

spec = json.load(sys.stdin)
client = MlflowClient()
out = {"models": [], "plain_run_id": None}
for item in spec["models"]:
    with mlflow.start_run() as run:
        model = mlflow.initialize_logged_model(name="model", source_run_id=run.info.run_id)
        client.log_model_artifacts(model.model_id, item["dir"])
        mlflow.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    version = mlflow.register_model(f"models:/{model.model_id}", item["name"]).version
    for alias in item.get("aliases", []):
        client.set_registered_model_alias(item["name"], alias, version)
    if item.get("stage"):
        client.transition_model_version_stage(item["name"], version, item["stage"])
    out["models"].append({
        "run_id": run.info.run_id,
        "model_id": model.model_id,
        "version": str(version),
        "artifact_location": client.get_logged_model(model.model_id).artifact_location,
    })
if spec.get("plain_run_dir"):
    with mlflow.start_run() as run:
        mlflow.log_artifacts(spec["plain_run_dir"], artifact_path="nested/model")
    out["plain_run_id"] = run.info.run_id
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
