"""MLflow 3.17.2's own outcome for each case of tensor_cases.py: run by test_tensor_schema.py in a
child process of the MLflow test Python (the unit tests themselves never import mlflow). Prints a
JSON object: case id -> ["ok", summary] or ["error", MLflow's message]."""

import json
import logging
import sys

import numpy as np  # noqa: F401 (the cases' expressions use it)
import pandas as pd  # noqa: F401

from mlflow.models import Model, ModelSignature
from mlflow.pyfunc import _validate_prediction_input
from mlflow.pyfunc.scoring_server import _parse_json_data
from mlflow.types import Schema

from tensor_cases import ENFORCE, REQUESTS, summary

logging.disable(logging.WARNING)


def outcome(run):
    try:
        return ["ok", summary(run())]
    except Exception as e:
        return ["error", str(e)]


def enforce(data, schema):
    return _validate_prediction_input(data, None, schema, None)[0]


def parse_and_enforce(text, schema):
    metadata = Model(signature=ModelSignature(inputs=schema))
    parsed = outcome(lambda: _parse_json_data(text, metadata, schema).data)
    if parsed[0] == "error":
        return ["parse", parsed]
    data = _parse_json_data(text, metadata, schema).data
    return ["enforce", outcome(lambda: enforce(data, schema))]


results = {}
for case, inputs, expression in ENFORCE:
    schema = Schema.from_json(inputs)
    results[case] = outcome(lambda: enforce(eval(expression), schema))
for case, inputs, text in REQUESTS:
    results[case] = parse_and_enforce(text, Schema.from_json(inputs))
json.dump(results, sys.stdout)
