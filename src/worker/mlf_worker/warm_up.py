"""The warm-up of a serving worker (`--warm-up`, `mlf models serve` only): one request answered by
the worker itself after the model is loaded and before it says it is ready, so that the first
client's request is as fast as the next ones (the first predict imports the scoring code and
pandas' and the model's lazily loaded parts: ~0.4 s that would otherwise be a client's).

The request is the model's own serving example (`serving_input_example.json`, which MLflow writes
next to MLmodel in the very format of a request), or else one row built from a column signature.
It goes through the same `invoke` as a client's request. Whatever it answers or raises is only
logged (as info, which mlf shows under -v): a warm-up never keeps a worker from serving.
"""

import json
import os

from . import logs

SERVING_EXAMPLE = "serving_input_example.json"
# One value of each scalar column type MLflow's schema enforcement accepts as that type.
ROW_VALUES = {"boolean": False, "integer": 0, "long": 0, "float": 0.0, "double": 0.0, "string": ""}


def warm_up_request(model_dir, mlmodel):
    """The invoke request the worker answers to warm up, or None when nothing fits the model."""
    example = os.path.join(model_dir, SERVING_EXAMPLE)
    if os.path.isfile(example):
        try:
            with open(example, "r", encoding="utf-8") as f:
                body = f.read()
            json.loads(body)
            return invoke_request(body)
        except (OSError, ValueError):
            pass
    row = signature_row(mlmodel)
    if row is None:
        return None
    names, values = row
    return invoke_request(json.dumps({"dataframe_split": {"columns": names, "data": [values]}}))


def invoke_request(body):
    return {"type": "invoke", "protocol": "mlflow", "path": "/invocations", "content_type": "application/json", "body": body}


def signature_row(mlmodel):
    """(column names, one value each) of a named column signature of scalar types; None otherwise."""
    signature = mlmodel.get("signature") if isinstance(mlmodel, dict) else None
    raw = signature.get("inputs") if isinstance(signature, dict) else None
    try:
        specs = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(specs, list) or not specs:
        return None
    names, values = [], []
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or spec.get("type") not in ROW_VALUES:
            return None
        names.append(spec["name"])
        values.append(ROW_VALUES[spec["type"]])
    return names, values


def warm_up(answer, model_dir, mlmodel):
    """Answers the warm-up request with `answer(request)` (the loop's invoke); never raises."""
    try:
        request = warm_up_request(model_dir, mlmodel)
        if request is None:
            logs.info("no warm-up request: the model has no serving example and no column signature of scalar types")
            return
        reply = answer(request)
        status = reply.get("status") if isinstance(reply, dict) else None
        if status != 200:
            logs.info("the warm-up request was answered with status {}: {}".format(status, str(reply.get("body", ""))[:300] if isinstance(reply, dict) else reply))
    except Exception as e:  # a warm-up must never keep the worker from serving
        logs.info("the warm-up request failed: {}: {}".format(type(e).__name__, e))
