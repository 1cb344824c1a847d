"""scoring/tensor_schema.py and the tensor paths of parse.py against MLflow 3.17.2 itself: each case
of tensor_cases.py (inputs as PyFuncModel.predict receives them, and JSON requests as the scoring
server parses them) must give what MLflow's `_validate_prediction_input` and `_parse_json_data`
give in a child process of this Python (mlflow_tensor_reference.py): the same arrays (dtype, shape,
values) or the same error text. This process never imports mlflow."""

import json
import os
import subprocess
import sys
import unittest

import package_path  # noqa: F401
from package_path import CapturedLogs
from tensor_cases import ENFORCE, NAMED, REQUESTS, summary

import numpy as np  # noqa: F401 (the cases' expressions use it)
import pandas as pd  # noqa: F401

from mlf_worker.errors import NeedsMlflow, WorkerError
from mlf_worker.scoring.parse import parse_json_request
from mlf_worker.scoring.schema import validate_prediction_input
from mlf_worker.scoring.signature import Types, parse_input_schema

HERE = os.path.dirname(os.path.abspath(__file__))


def mlflow_outcomes():
    """MLflow's outcome of every case, or None when this Python has no mlflow."""
    probe = subprocess.run([sys.executable, "-c", "import mlflow"], capture_output=True)
    if probe.returncode != 0:
        return None
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "mlflow_tensor_reference.py")],
        capture_output=True,
        text=True,
        cwd=HERE,
        env=dict(os.environ, PYTHONPATH=HERE),
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError("mlflow_tensor_reference.py failed:\n" + result.stderr)
    return json.loads(result.stdout)


def outcome(run):
    """["ok", summary] or ["error", the text MLflow's exception has]: a schema failure's detail is
    MLflow's full message (the reply's line is its last part)."""
    try:
        return ["ok", summary(run())]
    except WorkerError as e:
        return ["error", e.extra.get("detail", e.message)]


def schema_of(inputs):
    return parse_input_schema({"inputs": inputs})


def enforce(data, schema):
    return validate_prediction_input(data, schema, Types())


def parse_and_enforce(text, schema):
    parse = lambda: parse_json_request(text, schema, Types())[0]  # noqa: E731
    parsed = outcome(parse)
    if parsed[0] == "error":
        return ["parse", parsed]
    return ["enforce", outcome(lambda: enforce(parse(), schema))]


class AgainstMlflow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mlflow = mlflow_outcomes()

    def setUp(self):
        if self.mlflow is None:
            self.skipTest("{} has no mlflow to compare with (the MLflow test Python has)".format(sys.executable))

    def test_enforcing_each_input_gives_mlflows_arrays_or_error(self):
        with CapturedLogs() as logged:
            for case, inputs, expression in ENFORCE:
                with self.subTest(case=case):
                    self.assertEqual(outcome(lambda: enforce(eval(expression), schema_of(inputs))), self.mlflow[case])
        # MLflow's warning for the extra input (its logger's, not compared above).
        self.assertEqual(
            logged,
            [("warning", "Found extra inputs in the model input that are not defined in the model signature: `['c']`. These inputs will be ignored.")],
        )
        self.assertNotIn("mlflow", sys.modules)

    def test_parsing_then_enforcing_each_request_gives_mlflows_result_or_error(self):
        for case, inputs, text in REQUESTS:
            with self.subTest(case=case):
                self.assertEqual(parse_and_enforce(text, schema_of(inputs)), self.mlflow[case])
        self.assertNotIn("mlflow", sys.modules)

    def test_the_cases_cover_both_outcomes(self):
        kinds = {o[0] for o in self.mlflow.values()} | {o[1][0] for o in self.mlflow.values() if o[0] in ("parse", "enforce")}
        self.assertTrue({"ok", "error"} <= kinds)


class Signatures(unittest.TestCase):
    """What MLflow refuses to construct, or mlf leaves to it, is MLflow's to load."""

    def test_the_reasons(self):
        def tensor(dtype="float32", shape=(-1, 4), **extra):
            return dict({"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": list(shape)}}, **extra)

        cases = [
            ([tensor(name="a"), tensor()], "the signature mixes named and unnamed inputs"),
            ([tensor(), tensor()], "the signature has several unnamed tensors"),
            ([tensor(dtype="<U10")], "a tensor input of the signature has a sized string dtype"),
            ([tensor(dtype="nonsense")], "a tensor input of the signature has an unknown dtype"),
            ([{"type": "tensor", "tensor-spec": {"dtype": "float32"}}], "a tensor input of the signature lacks its dtype or shape"),
            ([tensor(shape=(-1, "4"))], "a tensor input of the signature has a non-integer dimension"),
        ]
        for specs, reason in cases:
            with self.subTest(reason=reason):
                with self.assertRaises(NeedsMlflow) as caught:
                    schema_of(json.dumps(specs))
                self.assertEqual(str(caught.exception), reason)

    def test_the_schema_reads_as_mlflows_does(self):
        schema = schema_of(NAMED)
        self.assertEqual(repr(schema), "['a': Tensor('float32', (-1, 2)), 'b': Tensor('int64', (-1,))]")
        self.assertEqual((schema.input_names(), schema.csv_dtypes()), (["a", "b"], None))


if __name__ == "__main__":
    unittest.main()
