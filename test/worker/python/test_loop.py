"""loop.py and protocol.py: each request line gets exactly one reply, dispatched through the
runtime object (a stand-in here), every failure classified into the protocol's kinds."""

import json
import os
import shutil
import tempfile
import unittest

import package_path  # noqa: F401
from package_path import Channel

from mlf_worker import logs
from mlf_worker.errors import LoadFailure, SchemaError, cut_message
from mlf_worker.loop import run
from mlf_worker.protocol import error_reply
from mlf_worker.runtimes.base import Runtime


class Doubling(Runtime):
    """Parses `data` as a JSON list, predicts each value doubled; fails as told."""

    name = "doubling"

    def __init__(self, fail_with=None, classify=None):
        self.fail_with = fail_with
        self.classify = classify
        self.calls = []

    def parse(self, request):
        self.calls.append(("parse", request["content_type"]))
        return json.loads(request["data"]), {"k": 1}, False

    def predict(self, data, params):
        self.calls.append(("predict", params))
        if self.fail_with is not None:
            raise self.fail_with
        logs.warning("predicting")
        return [2 * x for x in data]

    def encode(self, raw, unwrapped):
        self.calls.append(("encode", unwrapped))
        return json.dumps({"predictions": raw})

    def classify_error(self, error):
        return self.classify(error) if self.classify else None


def predict_request(request_id, **fields):
    return dict({"id": request_id, "type": "predict", "content_type": "json", "data": "[1, 2]"}, **fields)


def serve(runtime, *requests, with_logs=False):
    """What the loop sends for `requests`: its replies, and its `log` messages `with_logs`."""
    channel = Channel(*requests)
    logs.send_to(channel.send)
    try:
        run(channel, runtime)
    finally:
        logs.send_to(None)
    return [m for m in channel.sent if with_logs or m.get("type") != "log"]


class Loop(unittest.TestCase):
    def test_a_predict_goes_parse_predict_encode_through_the_runtime_and_its_log_comes_first(self):
        runtime = Doubling()
        sent = serve(runtime, predict_request(1), {"id": 2, "type": "shutdown"}, predict_request(3), with_logs=True)
        self.assertEqual(runtime.calls, [("parse", "json"), ("predict", {"k": 1}), ("encode", False)])
        self.assertEqual([m["type"] for m in sent], ["log", "prediction", "bye"])
        self.assertEqual(sent[0], {"ok": True, "type": "log", "level": "warning", "message": "predicting"})
        prediction = sent[1]
        self.assertEqual((prediction["id"], prediction["output"]), (1, '{"predictions": [2, 4]}'))
        self.assertEqual(sorted(prediction["timings"]), ["encode_ms", "parse_ms", "predict_ms"])
        self.assertTrue(all(v >= 0 for v in prediction["timings"].values()))

    def test_the_worker_writes_the_output_file_itself(self):
        work = tempfile.mkdtemp(prefix="mlf-python-loop-")
        self.addCleanup(shutil.rmtree, work)
        out = os.path.join(work, "out.json")
        [reply] = serve(Doubling(), predict_request(1, output_path=out))
        self.assertEqual((reply["output_path"], reply["bytes"], "output" in reply), (out, 23, False))
        with open(out) as f:
            self.assertEqual(f.read(), '{"predictions": [2, 4]}')
        [failed] = serve(Doubling(), predict_request(2, output_path=os.path.join(work, "no-such-dir", "o.json")))
        self.assertEqual((failed["kind"], failed["message"]), ("bad_input", "cannot write the output file: No such file or directory"))

    def test_requests_it_cannot_read_are_bad_requests_and_the_loop_goes_on(self):
        sent = serve(
            Doubling(),
            b"not json",
            b"[1]",
            {"id": 1, "type": "frobnicate"},
            predict_request(2, content_type="parquet"),
            {"id": 3, "type": "predict", "content_type": "json"},
            {"id": 4, "type": "ping"},
        )
        self.assertEqual(
            [(m.get("id"), m.get("kind", m.get("type")), m.get("message")) for m in sent],
            [
                (None, "bad_request", "request is not JSON: Expecting value: line 1 column 1 (char 0)"),
                (None, "bad_request", "request is not a JSON object"),
                (1, "bad_request", "unknown request type 'frobnicate'"),
                (2, "bad_request", "Unknown content type 'parquet'"),
                (3, "bad_request", "predict needs input_path or data"),
                (4, "pong", None),
            ],
        )

    def test_the_models_exception_is_a_model_error_unless_the_runtime_classifies_it(self):
        [reply] = serve(Doubling(fail_with=ValueError("Input X contains NaN.")), predict_request(1))
        self.assertEqual((reply["kind"], reply["message"], reply["id"]), ("model_error", "ValueError: Input X contains NaN.", 1))
        self.assertIn("Traceback (most recent call last):", reply["traceback"])

        def as_schema(error):
            return SchemaError("Model is missing inputs ['b'].", detail="Failed to enforce schema of data ...")

        [reply] = serve(Doubling(fail_with=RuntimeError("Failed to enforce schema"), classify=as_schema), predict_request(2))
        self.assertEqual((reply["kind"], reply["message"], reply["detail"]), ("schema", "Model is missing inputs ['b'].", "Failed to enforce schema of data ..."))

    def test_a_module_missing_at_predict_time_is_named(self):
        missing = ModuleNotFoundError("No module named 'mlf_surely_absent_pkg'", name="mlf_surely_absent_pkg")
        [reply] = serve(Doubling(fail_with=missing), predict_request(1))
        self.assertEqual(
            (reply["kind"], reply["message"], reply["module"]),
            ("missing_module", "ModuleNotFoundError: No module named 'mlf_surely_absent_pkg'", "mlf_surely_absent_pkg"),
        )

    def test_an_output_json_cannot_hold_is_the_models_failure(self):
        class Unencodable(Doubling):
            def encode(self, raw, unwrapped):
                return json.dumps([object()])

        [reply] = serve(Unencodable(), predict_request(1))
        self.assertEqual(
            (reply["kind"], reply["message"]),
            ("model_error", "the model's output cannot be written as JSON: TypeError: Object of type object is not JSON serializable"),
        )


class ErrorReplies(unittest.TestCase):
    def test_a_long_message_is_one_line_and_the_full_text_the_detail(self):
        text = "first line\n" + "x" * 400
        line, full = cut_message(text)
        self.assertEqual(line, "first line " + "x" * 289 + "… (111 more characters; --verbose shows all)")
        self.assertEqual(full, text)
        self.assertEqual(cut_message("short"), ("short", None))

    def test_import_errors_are_found_in_the_chain_and_named(self):
        try:
            try:
                raise ImportError("cannot import name 'y' from 'pkg' (/x/pkg/__init__.py)")
            except ImportError as inner:
                raise RuntimeError("loading failed") from inner
        except RuntimeError as e:
            reply = error_reply(e, stage="load")
        self.assertEqual((reply["kind"], reply["module"]), ("missing_module", "pkg"))

    def test_the_stage_says_whose_failure_it_is(self):
        self.assertEqual(error_reply(ValueError("v"), stage="load")["kind"], "load_error")
        self.assertEqual(error_reply(ValueError("v"), stage="predict")["kind"], "model_error")
        self.assertEqual(error_reply(ValueError("v"))["kind"], "internal")
        reply = error_reply(LoadFailure(ValueError("bad pickle"), "/m/model.pkl"), stage="load")
        self.assertEqual((reply["kind"], reply["message"], reply["file"]), ("load_error", "ValueError: bad pickle", "/m/model.pkl"))
        self.assertEqual(error_reply(ValueError("v"), request_id=7)["id"], 7)


if __name__ == "__main__":
    unittest.main()
