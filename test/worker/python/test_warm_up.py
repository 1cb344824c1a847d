"""warm_up.py: the request a serving worker answers itself before it is ready, and that nothing
it answers or raises escapes (it is only logged, as info)."""

import json
import os
import shutil
import tempfile
import unittest

import package_path  # noqa: F401
from package_path import CapturedLogs

from mlf_worker.warm_up import warm_up, warm_up_request

FIXTURES = os.path.join(os.path.dirname(package_path.WORKER_DIR), "..", "fixtures", "models")


def signature(*specs):
    return {"signature": {"inputs": json.dumps([dict(spec) for spec in specs])}}


class WarmUpRequest(unittest.TestCase):
    def setUp(self):
        self.model_dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.model_dir)

    def test_the_serving_example_as_it_is(self):
        fixture = os.path.join(FIXTURES, "pyfunc-code")
        with open(os.path.join(fixture, "serving_input_example.json"), encoding="utf-8") as f:
            example = f.read()
        request = warm_up_request(fixture, {})
        self.assertEqual(request, {"type": "invoke", "protocol": "mlflow", "path": "/invocations", "content_type": "application/json", "body": example})

    def test_without_an_example_one_row_from_the_column_signature(self):
        mlmodel = signature({"type": "double", "name": "x"}, {"type": "long", "name": "n"}, {"type": "string", "name": "s"}, {"type": "boolean", "name": "b"})
        request = warm_up_request(self.model_dir, mlmodel)
        self.assertEqual(json.loads(request["body"]), {"dataframe_split": {"columns": ["x", "n", "s", "b"], "data": [[0.0, 0, "", False]]}})

    def test_an_example_that_is_not_json_falls_back_to_the_signature(self):
        with open(os.path.join(self.model_dir, "serving_input_example.json"), "w", encoding="utf-8") as f:
            f.write("{not json")
        request = warm_up_request(self.model_dir, signature({"type": "double", "name": "a"}))
        self.assertEqual(json.loads(request["body"]), {"dataframe_split": {"columns": ["a"], "data": [[0.0]]}})

    def test_nothing_fits_a_tensor_or_unnamed_signature_or_none(self):
        self.assertIsNone(warm_up_request(self.model_dir, {}))
        self.assertIsNone(warm_up_request(self.model_dir, signature({"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}})))
        self.assertIsNone(warm_up_request(self.model_dir, signature({"type": "double"})))
        self.assertIsNone(warm_up_request(self.model_dir, {"signature": {"inputs": "[not json"}}))


class WarmUp(unittest.TestCase):
    def setUp(self):
        self.model_dir = tempfile.mkdtemp()
        self.mlmodel = signature({"type": "double", "name": "a"})

    def tearDown(self):
        shutil.rmtree(self.model_dir)

    def test_answers_the_request_once_and_logs_nothing_when_it_is_served(self):
        seen = []
        with CapturedLogs() as messages:
            warm_up(lambda request: seen.append(request) or {"status": 200, "body": "{}"}, self.model_dir, self.mlmodel)
        self.assertEqual(len(seen), 1)
        self.assertEqual(messages, [])

    def test_a_refusal_or_an_exception_is_an_info_line_never_an_error(self):
        with CapturedLogs() as messages:
            warm_up(lambda request: {"status": 400, "body": '{"error_code": "BAD_REQUEST"}'}, self.model_dir, self.mlmodel)

            def boom(request):
                raise RuntimeError("the model fell over")

            warm_up(boom, self.model_dir, self.mlmodel)
            warm_up(lambda request: None, self.model_dir, {})
        self.assertEqual(
            messages,
            [
                ("info", 'the warm-up request was answered with status 400: {"error_code": "BAD_REQUEST"}'),
                ("info", "the warm-up request failed: RuntimeError: the model fell over"),
                ("info", "no warm-up request: the model has no serving example and no column signature of scalar types"),
            ],
        )


if __name__ == "__main__":
    unittest.main()
