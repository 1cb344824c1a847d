"""Puts src/worker (the directory holding the mlf_worker package) first on sys.path, so that these
tests also run without PYTHONPATH (test/worker/python-unit.test.ts sets it), and gives the tests
their shared helpers."""

import json
import os
import sys

WORKER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "worker"))
if WORKER_DIR not in sys.path:
    sys.path.insert(0, WORKER_DIR)

from mlf_worker import logs  # noqa: E402

# The iris rows and predictions test/worker/worker.test.ts pins against `mlflow models predict`
# (LogisticRegression(max_iter=500) fitted on scikit-learn's iris data).
IRIS_COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 5.1, 1.8]]
IRIS_OUTPUT = '{"predictions": [0, 1, 2, 2]}'


class CapturedLogs:
    """The worker's `log` messages while in a `with` block, as (level, message) pairs."""

    def __enter__(self):
        self.messages = []
        logs.send_to(lambda message: self.messages.append((message["level"], message["message"])))
        return self.messages

    def __exit__(self, *exc):
        logs.send_to(None)
        return False


def column_schema(spec):
    """A ColSchema from (name, type) pairs, as MLmodel's `signature.inputs` would give it."""

    from mlf_worker.scoring.signature import parse_input_schema

    return parse_input_schema({"inputs": json.dumps([{"name": name, "type": type_name} for name, type_name in spec])})


# The columns of test/worker/worker.test.ts's `echo` model: one of each scalar type.
ECHO_SCHEMA = [("i", "integer"), ("l", "long"), ("f", "float"), ("d", "double"), ("s", "string"), ("b", "boolean")]


class Channel:
    """The protocol channel with its requests given and its replies kept."""

    def __init__(self, *requests):
        self.lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in requests]
        self.sent = []

    def requests(self):
        return iter(self.lines)

    def send(self, message):
        # What the real channel does: strict JSON, or it raises.
        json.dumps(message, allow_nan=False)
        self.sent.append(message)
