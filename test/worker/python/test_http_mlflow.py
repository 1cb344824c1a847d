"""http/mlflow.py: POST /invocations answered as MLflow 3.17.2's scoring server answers it, with
stand-in runtimes and a stand-in for MLflow's scoring server module (mlflow is never imported
here; test/e2e/serve.test.ts compares with the real server)."""

import json
import unittest

import package_path  # noqa: F401
from package_path import Channel

from mlf_worker.errors import BadInput, SchemaError
from mlf_worker.http.mlflow import MlflowServing, content_type_refusal, invoke
from mlf_worker.loop import run
from mlf_worker.scoring.parse import SCORING_PROTOCOL_CHANGE_INFO
from mlf_worker.runtimes.base import Runtime


class Doubling(Runtime):
    name = "sklearn"

    def __init__(self, fail_parse=None, fail_predict=None):
        self.fail_parse = fail_parse
        self.fail_predict = fail_predict
        self.seen = []

    def parse(self, request):
        self.seen.append((request["content_type"], request["data"]))
        if self.fail_parse is not None:
            raise self.fail_parse
        return json.loads(request["data"])["inputs"], None, False

    def predict(self, data, params):
        if self.fail_predict is not None:
            raise self.fail_predict
        return [2 * x for x in data]

    def encode(self, raw, unwrapped):
        return json.dumps({"predictions": raw})


class FakeMlflowException(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.message = message
        self.status = status

    def serialize_as_json(self):
        return json.dumps({"error_code": "BAD_REQUEST", "message": self.message})

    def get_http_status_code(self):
        return self.status


class FakeScoringServer:
    """What http/mlflow.py uses of mlflow.pyfunc.scoring_server."""

    MlflowException = FakeMlflowException

    def __init__(self):
        self.calls = []

    def invocations(self, data, content_type, model, input_schema):
        self.calls.append((data, content_type, input_schema))
        if data == b"boom":
            raise RuntimeError("not an MlflowException")
        raise FakeMlflowException("mlflow says no", 400)


class FakeModel:
    class metadata:
        @staticmethod
        def get_input_schema():
            return "the schema"


class Serving(MlflowServing):
    def __init__(self, runtime, server=None):
        super().__init__(runtime, None)
        self.server = server

    def get(self):
        return (self.server, FakeModel()) if self.server is not None else None


def request(body, content_type="application/json"):
    return {"id": 1, "type": "invoke", "protocol": "mlflow", "path": "/invocations", "content_type": content_type, "body": body}


class ContentTypes(unittest.TestCase):
    def test_charset_parameters_and_types_get_mlflows_415_texts(self):
        cases = [
            ("application/json; charset=latin-1", "The scoring server only supports UTF-8"),
            ("text/csv;charset=UTF-16", "The scoring server only supports UTF-8"),
            ("application/json; format=pandas-split", "Unrecognized content type parameters: format. " + SCORING_PROTOCOL_CHANGE_INFO),
            (
                "application/xml",
                "This predictor only supports the following content types: Types: ['text/csv', 'application/json',"
                " 'application/vnd.apache.parquet']. Got 'application/xml'.",
            ),
        ]
        for content_type, text in cases:
            reply = content_type_refusal(content_type)
            self.assertEqual((reply["status"], reply["content_type"], reply["body"]), (415, "text/plain", text), content_type)
        for accepted in ("application/json", "application/json; charset=utf-8", " text/csv ; charset=UTF-8"):
            self.assertIsNone(content_type_refusal(accepted), accepted)

    def test_no_content_type_is_starlettes_500(self):
        reply = invoke(Serving(Doubling()), request("{}", content_type=None))
        self.assertEqual((reply["status"], reply["content_type"], reply["body"]), (500, "text/plain", "Internal Server Error"))


class Invocations(unittest.TestCase):
    def test_a_runtime_without_mlflow_answers_what_it_answers_itself(self):
        runtime = Doubling()
        server = FakeScoringServer()
        reply = invoke(Serving(runtime, server), request('{"inputs": [1, 2]}', "application/json; charset=utf-8"))
        self.assertEqual((reply["ok"], reply["type"], reply["status"], reply["content_type"], reply["body"]), (True, "http", 200, "application/json", '{"predictions": [2, 4]}'))
        self.assertEqual(sorted(reply["timings"]), ["encode_ms", "parse_ms", "predict_ms"])
        self.assertEqual(runtime.seen, [("json", '{"inputs": [1, 2]}')])
        self.assertEqual(server.calls, [])

    def test_what_it_refuses_is_answered_by_mlflows_own_code(self):
        for runtime in (Doubling(fail_parse=BadInput("Invalid input. nope")), Doubling(fail_predict=ValueError("model broke"))):
            server = FakeScoringServer()
            reply = invoke(Serving(runtime, server), request('{"inputs": [1]}', "text/csv"))
            self.assertEqual((reply["status"], reply["content_type"], json.loads(reply["body"])), (400, "application/json", {"error_code": "BAD_REQUEST", "message": "mlflow says no"}))
            self.assertEqual(server.calls, [(b'{"inputs": [1]}', "text/csv", "the schema")])
        server = FakeScoringServer()
        reply = invoke(Serving(Doubling(fail_parse=ValueError()), server), request("boom"))
        self.assertEqual((reply["status"], reply["body"]), (500, "Internal Server Error"))

    def test_a_body_that_is_not_utf8_reaches_mlflow_as_its_bytes(self):
        server = FakeScoringServer()
        reply = invoke(Serving(Doubling(), server), {"id": 1, "type": "invoke", "protocol": "mlflow", "path": "/invocations", "content_type": "text/csv", "body_base64": "Yf8K"})
        self.assertEqual(reply["status"], 400)
        self.assertEqual(server.calls[0][0], b"a\xff\n")

    def test_without_mlflow_mlf_words_the_error_in_mlflows_shape(self):
        reply = invoke(Serving(Doubling(fail_parse=BadInput("Invalid input. short", detail="Invalid input. the full text"))), request("x"))
        self.assertEqual((reply["status"], json.loads(reply["body"])), (400, {"error_code": "BAD_REQUEST", "message": "Invalid input. the full text"}))
        reply = invoke(Serving(Doubling(fail_predict=SchemaError("Model is missing inputs ['a'].", detail="Failed to enforce schema of data ..."))), request('{"inputs": [1]}'))
        self.assertEqual(
            (reply["status"], json.loads(reply["body"])),
            (400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Failed to predict data '[1]'. \nError: Failed to enforce schema of data ..."}),
        )
        reply = invoke(Serving(Doubling(fail_predict=ValueError("model broke"))), request('{"inputs": [1]}'))
        body = json.loads(reply["body"])
        self.assertEqual((reply["status"], body["error_code"], sorted(body)), (400, "BAD_REQUEST", ["error_code", "message", "stack_trace"]))
        self.assertTrue(body["message"].startswith("Encountered an unexpected error while evaluating the model."))
        self.assertIn("ValueError: model broke", body["stack_trace"])


class Loop(unittest.TestCase):
    def test_the_loop_dispatches_invoke_and_refuses_an_unknown_protocol(self):
        channel = Channel(request('{"inputs": [3]}'), dict(request("{}"), id=2, protocol="grpc"))
        run(channel, Doubling())
        sent = channel.sent
        self.assertEqual((sent[0]["id"], sent[0]["type"], sent[0]["status"], sent[0]["body"]), (1, "http", 200, '{"predictions": [6]}'))
        self.assertEqual((sent[1]["id"], sent[1]["ok"], sent[1]["kind"], sent[1]["message"]), (2, False, "bad_request", "unknown invoke protocol 'grpc'"))


if __name__ == "__main__":
    unittest.main()
