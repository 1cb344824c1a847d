"""http/v2.py: Open Inference (V2) decode, predict and encode with MLServer's conventions for MLflow
models; the fixture models' answers compared with MLServer's own (test/serve/v2-golden/, made by
test/serve/make_v2_golden.py), the rest against literal values."""

import json
import math
import os
import re
import sys
import unittest

import package_path  # noqa: F401
from package_path import Channel

from mlf_worker.http import v2
from mlf_worker.loop import run
from mlf_worker.model_dir import read_mlmodel
from mlf_worker.runtimes.base import Runtime
from mlf_worker.runtimes.registry import load_runtime

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GOLDEN = os.path.join(REPO, "test", "serve", "v2-golden")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
IRIS_SIGNATURE = read_mlmodel(os.path.join(REPO, "fixtures", "models", "sklearn-iris"))["signature"]


def golden(name):
    with open(os.path.join(GOLDEN, name), encoding="utf-8") as f:
        return json.load(f)


class Echo(Runtime):
    """Returns what it is given (or `output`), remembering the input and params."""

    name = "echo"

    def __init__(self, signature=None, output=None, fail_with=None):
        self.signature = signature
        self.output = output
        self.fail_with = fail_with
        self.seen = []

    def predict(self, data, params):
        self.seen.append((data, params))
        if self.fail_with is not None:
            raise self.fail_with
        return data if self.output is None else self.output


def infer(runtime, body, **request):
    text = body if isinstance(body, str) else json.dumps(body)
    answer = v2.handle(runtime, dict({"content_type": "application/json"}, **request, type="invoke", protocol="v2", path="/v2/models/m/infer", body=text))
    return answer["status"], json.loads(answer["body"])


class Decode(unittest.TestCase):
    def test_a_column_signature_gives_a_dataframe_one_column_per_input_with_the_datatype_dtype(self):
        runtime = Echo(IRIS_SIGNATURE, output=[0])
        inputs = [{"name": n, "shape": [2], "datatype": "FP64", "data": [1.5, 2.5]} for n in package_path.IRIS_COLUMNS]
        inputs[1] = dict(inputs[1], datatype="FP32", shape=[2, 1], data=[[1.5], [2.5]])
        infer(runtime, {"inputs": inputs})
        frame, params = runtime.seen[0]
        self.assertEqual(list(frame.columns), ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"])
        self.assertEqual([str(t) for t in frame.dtypes], ["float64", "float32", "float64", "float64"])
        self.assertEqual(frame["sepal width (cm)"].tolist(), [1.5, 2.5])
        self.assertIsNone(params)

    def test_bytes_columns_stay_as_given_and_null_becomes_nan_in_numbers(self):
        runtime = Echo(output=[0])
        infer(runtime, {"parameters": {"content_type": "pd"}, "inputs": [
            {"name": "First Name", "datatype": "BYTES", "parameters": {"content_type": "str"}, "shape": [2], "data": ["Joanne", "Michael"]},
            {"name": "Age", "datatype": "INT32", "shape": [2], "data": [34, 22]},
            {"name": "w", "datatype": "FP64", "shape": [2], "data": [None, 0.5]},
        ]})
        frame, _ = runtime.seen[0]
        self.assertEqual(frame["First Name"].tolist(), ["Joanne", "Michael"])
        self.assertEqual(str(frame["Age"].dtype), "int32")
        self.assertTrue(math.isnan(frame["w"][0]))
        self.assertEqual(frame["w"][1], 0.5)

    def test_np_gives_the_single_input_in_its_shape_and_dict_one_entry_per_input(self):
        runtime = Echo(output=[0])
        infer(runtime, {"parameters": {"content_type": "np"}, "inputs": [{"name": "x", "shape": [2, 2], "datatype": "INT8", "data": [1, 2, 3, 4]}]})
        array, _ = runtime.seen[0]
        self.assertEqual((array.tolist(), str(array.dtype)), ([[1, 2], [3, 4]], "int8"))
        infer(runtime, {"parameters": {"content_type": "dict"}, "inputs": [
            {"name": "a", "shape": [2], "datatype": "BOOL", "parameters": {"content_type": "np"}, "data": [True, False]},
            {"name": "b", "shape": [1], "datatype": "BYTES", "parameters": {"content_type": "str"}, "data": ["z"]}]})
        decoded, _ = runtime.seen[1]
        self.assertEqual((decoded["a"].tolist(), decoded["b"]), ([True, False], ["z"]))

    def test_a_tensor_signature_gives_dict_with_names_and_np_without(self):
        named = {"inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "t"}])}
        unnamed = {"inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}])}
        self.assertEqual((v2.model_content_type(named), v2.model_content_type(unnamed), v2.model_content_type(IRIS_SIGNATURE)), ("dict", "np", "pd"))
        runtime = Echo(named, output=[0])
        infer(runtime, {"inputs": [{"name": "t", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})
        self.assertEqual(runtime.seen[0][0]["t"].tolist(), [[1.0, 2.0]])

    def test_unknown_request_parameters_are_mlflow_params(self):
        runtime = Echo(IRIS_SIGNATURE, output=[0])
        infer(runtime, {"parameters": {"content_type": "pd", "headers": {"x": "y"}, "temperature": 0.5, "n": 2}, "inputs": []})
        self.assertEqual(runtime.seen[0][1], {"temperature": 0.5, "n": 2})

    def test_nested_strings_stay_whole(self):
        runtime = Echo(output=[0])
        infer(runtime, {"parameters": {"content_type": "np"}, "inputs": [{"name": "s", "shape": [2, 1], "datatype": "BYTES", "data": [["long text"], ["é"]]}]})
        self.assertEqual(runtime.seen[0][0].tolist(), [["long text"], ["é"]])

    def test_the_np_codec_takes_one_input_only(self):
        status, body = infer(Echo(), {"parameters": {"content_type": "np"}, "inputs": [
            {"name": "a", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "b", "shape": [1], "datatype": "FP64", "data": [1]}]})
        self.assertEqual((status, body), (400, {"error": "The 'np' codec only supports a single input tensor (2 were received)"}))


class Encode(unittest.TestCase):
    def test_an_ndarray_is_one_output_named_output_1_and_1_d_gets_the_batch_dimension(self):
        import numpy as np

        status, body = infer(Echo(output=np.array([0.5, np.nan, 2.0])), {"id": "r", "parameters": {"content_type": "np"}, "inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]})
        self.assertEqual(status, 200)
        self.assertEqual(body, {"model_name": "mlflow-model", "id": "r", "parameters": {"content_type": "np"}, "outputs": [
            {"name": "output-1", "shape": [3, 1], "datatype": "FP64", "parameters": {"content_type": "np"}, "data": [0.5, None, 2.0]}]})
        _, body = infer(Echo(output=np.array([[1, 2], [3, 4], [5, 6]], dtype=np.uint16)), {"parameters": {"content_type": "np"}, "inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]})
        self.assertEqual(body["outputs"][0]["shape"], [3, 2])
        self.assertEqual((body["outputs"][0]["datatype"], body["outputs"][0]["data"]), ("UINT16", [1, 2, 3, 4, 5, 6]))

    def test_a_dataframe_is_one_output_per_column_with_strings_as_str_and_objects_as_pd_json(self):
        import pandas as pd

        frame = pd.DataFrame({"s": ["a", "bé"], "x": [1.5, float("nan")], "o": pd.Series([{"k": 1}, None], dtype=object)})
        _, body = infer(Echo(output=frame), {"id": "d", "parameters": {"content_type": "pd"}, "inputs": []}, model_name="iris", model_version="3")
        self.assertEqual(body, {"model_name": "iris", "model_version": "3", "id": "d", "parameters": {"content_type": "pd"}, "outputs": [
            {"name": "s", "shape": [2, 1], "datatype": "BYTES", "parameters": {"content_type": "str"}, "data": ["a", "bé"]},
            {"name": "x", "shape": [2, 1], "datatype": "FP64", "data": [1.5, None]},
            {"name": "o", "shape": [2, 1], "datatype": "BYTES", "parameters": {"content_type": "pd_json"}, "data": ['{"k":1}', "null"]},
        ]})

    def test_a_dict_is_one_output_per_key_and_a_list_of_numbers_an_ndarray(self):
        import numpy as np

        _, body = infer(Echo(output={"label": np.array([1, 0]), "p": [0.25, 0.75]}), {"parameters": {"content_type": "dict"}, "inputs": []})
        self.assertEqual(body["parameters"], {"content_type": "dict"})
        self.assertEqual([(o["name"], o["shape"], o["datatype"], o["data"]) for o in body["outputs"]], [("label", [2, 1], "INT64", [1, 0]), ("p", [2, 1], "FP64", [0.25, 0.75])])
        _, body = infer(Echo(output=[3.0, 1.5]), {"parameters": {"content_type": "dict"}, "inputs": []})
        self.assertEqual(body["outputs"], [{"name": "output-1", "shape": [2, 1], "datatype": "FP64", "parameters": {"content_type": "np"}, "data": [3.0, 1.5]}])
        _, body = infer(Echo(output=["x", "y"]), {"parameters": {"content_type": "dict"}, "inputs": []})
        self.assertEqual(body["outputs"], [{"name": "output-1", "shape": [2, 1], "datatype": "BYTES", "parameters": {"content_type": "str"}, "data": ["x", "y"]}])

    def test_a_missing_id_becomes_a_uuid_and_a_given_one_is_echoed_even_empty(self):
        _, body = infer(Echo(output=[1]), {"parameters": {"content_type": "dict"}, "inputs": []})
        self.assertRegex(body["id"], UUID)
        _, body = infer(Echo(output=[1]), {"id": "", "parameters": {"content_type": "dict"}, "inputs": []})
        self.assertEqual(body["id"], "")

    def test_infinities_become_null_as_orjson_writes_them(self):
        import numpy as np

        _, body = infer(Echo(output=np.array([np.inf, -np.inf, 1.0])), {"parameters": {"content_type": "dict"}, "inputs": []})
        self.assertEqual(body["outputs"][0]["data"], [None, None, 1.0])


class Errors(unittest.TestCase):
    def test_a_request_not_of_the_protocols_shape_is_422(self):
        cases = [
            ("{", 422, "the request body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
            ("[]", 422, "the request body must be a JSON object"),
            ({"id": "x"}, 422, "inputs: field required (a list of tensors)"),
            ({"inputs": [{"name": "a", "shape": [1], "datatype": "FOO", "data": [1]}]}, 422,
             "inputs.0.datatype: must be one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES"),
            ({"inputs": [{"name": "a", "shape": ["1"], "datatype": "FP64", "data": [1]}]}, 422, "inputs.0.shape: must be a list of integers"),
            ({"inputs": [{"name": "a", "shape": [1], "datatype": "FP64"}]}, 422, "inputs.0.data: field required"),
        ]
        for body, status, message in cases:
            with self.subTest(body=body):
                self.assertEqual(infer(Echo(), body), (status, {"error": message}))

    def test_a_body_fastapi_would_not_read_as_json_is_422(self):
        body = json.dumps({"parameters": {"content_type": "dict"}, "inputs": []})
        for content_type in (None, "", "application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"):
            with self.subTest(content_type=content_type):
                self.assertEqual(infer(Echo(output=[1]), body, content_type=content_type)[0], 200)
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx", "json"):
            with self.subTest(content_type=content_type):
                self.assertEqual(infer(Echo(output=[1]), body, content_type=content_type), (422, {
                    "error": "the request's Content-Type is {}: an infer request is JSON (application/json)".format(content_type)}))

    def test_a_body_that_is_not_utf_8_is_400(self):
        answer = v2.handle(Echo(), {"type": "invoke", "protocol": "v2", "path": "/v2/models/m/infer", "content_type": "application/json", "body_base64": "e/99"})
        self.assertEqual((answer["status"], json.loads(answer["body"])), (400, {"error": "the request body is not valid UTF-8"}))

    def test_too_deep_a_body_is_an_answer_too(self):
        deep = '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": ' + "[" * 100000 + "]" * 100000 + "}]}"
        self.assertEqual(infer(Echo(), deep), (422, {"error": "the request body is nested too deeply to read"}))

    def test_decoding_and_predicting_failures_are_400_inference_errors(self):
        cases = [
            (Echo(), {"parameters": {"content_type": "np"}, "inputs": [{"name": "a", "shape": [3], "datatype": "FP64", "data": [1, 2]}]},
             "input 'a': cannot reshape array of size 2 into shape (3,)"),
            (Echo(), {"parameters": {"content_type": "xx"}, "inputs": []}, "unknown content type 'xx' (mlf decodes pd, np, dict and str)"),
            (Echo(), {"inputs": []}, "the request has no content type and the model's signature gives none: set parameters.content_type (pd, np, dict or str)"),
            (Echo(fail_with=ValueError("boom")), {"parameters": {"content_type": "pd"}, "inputs": []}, "ValueError: boom"),
        ]
        for runtime, body, message in cases:
            with self.subTest(message=message):
                self.assertEqual(infer(runtime, body), (400, {"error": message}))


class Metadata(unittest.TestCase):
    def test_a_column_signature(self):
        answer = v2.handle(Echo(IRIS_SIGNATURE), {"type": "invoke", "protocol": "v2", "path": "/v2/models/mlflow-model", "body": ""})
        self.assertEqual(answer["status"], 200)
        self.assertEqual(json.loads(answer["body"]), golden("server-sklearn-iris.json")["cases"][3]["json"])

    def test_unnamed_tensors_get_input_names_and_every_type_its_datatype(self):
        signature = {
            "inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28]}}]),
            "outputs": json.dumps([{"type": "string"}, {"type": "binary", "name": "img"}, {"type": "datetime"}, {"type": "integer"},
                                   {"type": "float"}, {"type": "boolean"}, {"type": "array", "items": {"type": "long"}}]),
        }
        body = v2.ModelInfo("m", signature, "2").metadata()
        self.assertEqual(body["inputs"], [{"name": "input-0", "datatype": "UINT8", "shape": [-1, 28, 28], "parameters": {"content_type": "np"}}])
        self.assertEqual([(t["name"], t["datatype"], t["shape"], t["parameters"]["content_type"]) for t in body["outputs"]], [
            ("output-0", "BYTES", [-1, 1], "str"), ("img", "BYTES", [-1, 1], "base64"), ("output-2", "BYTES", [-1, 1], "datetime"),
            ("output-3", "INT32", [-1, 1], "np"), ("output-4", "FP32", [-1, 1], "np"), ("output-5", "BOOL", [-1, 1], "np"),
            ("output-6", "BYTES", [-1, 1], "pd_json")])
        self.assertEqual((body["versions"], body["parameters"]), (["2"], {"content_type": "np"}))

    def test_no_signature(self):
        self.assertEqual(v2.ModelInfo("m", None).metadata(), {"name": "m", "versions": [], "platform": "", "inputs": [], "outputs": []})


class AgainstMlserver(unittest.TestCase):
    """The fixture models through the runtimes without mlflow, against MLServer's recorded answers."""

    def tearDown(self):
        self.assertNotIn("mlflow", sys.modules)

    def check_server_cases(self, model):
        recorded = golden("server-{}.json".format(model))
        runtime, _ = load_runtime(os.path.join(REPO, "fixtures", "models", model), "auto", read_mlmodel(os.path.join(REPO, "fixtures", "models", model)))
        compared = 0
        for case in recorded["cases"]:
            path = case["path"]
            # The routes (src/serve/v2-routes.ts) answer health, server metadata and unknown names;
            # the worker answers the model's metadata and infer.
            if not path.startswith("/v2/models/mlflow-model") or path.endswith("/ready") or "/versions/" in path:
                continue
            with self.subTest(case=case["case"]):
                answer = v2.handle(runtime, {"type": "invoke", "protocol": "v2", "path": path, "body": json.dumps(case.get("body")),
                                             "content_type": case.get("content_type", "application/json")})
                body = json.loads(answer["body"])
                if case["status"] == 200:
                    self.assertEqual(answer["status"], 200)
                    if case["json"].get("id") == "<uuid>":
                        self.assertRegex(body["id"], UUID)
                        body["id"] = "<uuid>"
                    self.assertEqual(body, case["json"])
                elif case["status"] == 500:
                    # MLServer answers a failure of the model or of its schema check with a bare
                    # 500; mlf with MLServer's InferenceError, 400 {"error": ...}, or (a list output,
                    # for which MLServer has no codec) with the outputs.
                    self.assertIn(answer["status"], (200, 400))
                else:
                    # The same status; the body {"error": ...} (MLServer's own 422s are FastAPI's {"detail": [...]}).
                    self.assertEqual((answer["status"], list(body)), (case["status"], ["error"]))
                compared += 1
        return compared

    def test_sklearn_iris(self):
        self.assertEqual(self.check_server_cases("sklearn-iris"), 20)

    def test_models_from_code(self):
        self.assertEqual(self.check_server_cases("models-from-code"), 2)

    def test_iris_errors_where_mlserver_answers_500(self):
        runtime, _ = load_runtime(os.path.join(REPO, "fixtures", "models", "sklearn-iris"), "auto", read_mlmodel(os.path.join(REPO, "fixtures", "models", "sklearn-iris")))
        cases = {c["case"]: c for c in golden("server-sklearn-iris.json")["cases"]}
        status, body = infer(runtime, cases["pd-missing-column"]["body"])
        self.assertEqual(status, 400)
        # MLflow's whole text, as its scoring server answers it.
        self.assertTrue(body["error"].startswith("Failed to enforce schema of data '   sepal length (cm)"), body["error"])
        self.assertTrue(body["error"].endswith("Error: Model is missing inputs ['petal width (cm)']."), body["error"])
        status, body = infer(runtime, cases["pd-null"]["body"])
        self.assertEqual(status, 400)
        self.assertIn("NaN", body["error"])
        status, body = infer(runtime, cases["np-content-type"]["body"])
        self.assertEqual(status, 400)

    def test_list_output_of_models_from_code(self):
        runtime, _ = load_runtime(os.path.join(REPO, "fixtures", "models", "models-from-code"), "auto", read_mlmodel(os.path.join(REPO, "fixtures", "models", "models-from-code")))
        case = golden("server-models-from-code.json")["cases"][1]
        self.assertEqual(infer(runtime, case["body"]), (200, {"model_name": "mlflow-model", "id": "list", "parameters": {"content_type": "np"}, "outputs": [
            {"name": "output-1", "shape": [2, 1], "datatype": "FP64", "parameters": {"content_type": "np"}, "data": [2.5, 4.25]}]}))

    def test_decoding(self):
        sys.path.insert(0, os.path.join(REPO, "test", "serve"))
        try:
            from make_v2_golden import described
        finally:
            sys.path.remove(os.path.join(REPO, "test", "serve"))
        compared = 0
        for case in golden("decoding.json")["cases"]:
            if case["case"] == "dict-model-raw-input":
                # MLServer hands the model its pydantic TensorData object; mlf the data as a list.
                self.assertEqual(case["decoded"]["items"]["c"], {"type": "TensorData"})
                continue
            with self.subTest(case=case["case"]):
                model = v2.ModelInfo("m", None)
                model.content_type = case["model_content_type"]
                model.inputs_by_name = {m["name"]: m for m in case["metadata_inputs"]}
                data, _ = v2.decode_request(v2.parse_request(json.dumps(case["request"])), model)
                self.assertEqual(described(data), case["decoded"])
                compared += 1
        self.assertEqual(compared, 12)

    def test_codecs(self):
        import numpy as np
        import pandas as pd

        payloads = {
            "ndarray-1d-int64": np.array([0, 2, 1], dtype=np.int64),
            "ndarray-1d-float-nan": np.array([0.5, np.nan, 2.0]),
            "ndarray-2d-float32": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32),
            "ndarray-3d-bool": np.array([[[True], [False]]]),
            "ndarray-1d-str": np.array(["a", "bé"]),
            "dataframe-nan-bool": pd.DataFrame({"n": [1, 2], "x": [0.5, np.nan], "b": [True, False]}),
            "dataframe-object-str": pd.DataFrame({"s": pd.Series(["a", "bé"], dtype=object), "x": [1.5, 2.5]}),
            "dataframe-float32-int32": pd.DataFrame({"f": np.array([1.5, 2.5], dtype=np.float32), "i": np.array([3, 4], dtype=np.int32)}),
            "dict-of-arrays": {"label": np.array([1, 0]), "proba": np.array([[0.25, 0.75], [0.875, 0.125]])},
        }
        compared = 0
        for case in golden("codecs.json")["cases"]:
            if case["case"] not in payloads:
                self.assertIn("raises", case)  # where MLServer 1.7.1 fails (see v2.py's docstring)
                continue
            with self.subTest(case=case["case"]):
                content_type, outputs = v2.encode_outputs(payloads[case["case"]])
                self.assertEqual({"model_name": "mlflow-model", "parameters": {"content_type": content_type}, "outputs": outputs}, case["response"])
                compared += 1
        self.assertEqual(compared, 9)


def has_mlflow():
    import importlib.util

    return importlib.util.find_spec("mlflow") is not None


@unittest.skipUnless(has_mlflow(), "mlflow is not installed in this Python")
class ThroughTheWorkerWithMlflow(unittest.TestCase):
    """The worker process under --runtime mlflow (MLflow's own pyfunc and schema check, in a child
    process: this one never imports mlflow), answering `invoke` requests for the golden cases."""

    def test_sklearn_iris(self):
        import subprocess

        recorded = golden("server-sklearn-iris.json")["cases"]
        cases = [c for c in recorded if c["path"].startswith("/v2/models/mlflow-model") and not c["path"].endswith("/ready") and "/versions/" not in c["path"]]
        lines = [json.dumps({"id": i, "type": "invoke", "protocol": "v2", "path": c["path"], "content_type": c.get("content_type", "application/json"),
                             "body": json.dumps(c.get("body")), "model_name": "mlflow-model"}) for i, c in enumerate(cases)]
        lines.append(json.dumps({"id": "end", "type": "shutdown"}))
        worker = os.path.join(REPO, "src", "worker", "worker.py")
        done = subprocess.run([sys.executable, worker, "--model-dir", os.path.join(REPO, "fixtures", "models", "sklearn-iris"), "--runtime", "mlflow"],
                              input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=240, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        messages = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual([m["type"] for m in messages[:2]], ["hello", "ready"], done.stderr[-2000:])
        self.assertEqual(messages[1]["runtime"], "mlflow")
        replies = {m["id"]: m for m in messages[2:] if "id" in m}
        self.assertEqual(replies["end"]["type"], "bye")
        for i, case in enumerate(cases):
            with self.subTest(case=case["case"]):
                reply = replies[i]
                self.assertEqual((reply["ok"], reply["type"]), (True, "http"))
                body = json.loads(reply["body"])
                if case["status"] == 200:
                    self.assertEqual(reply["status"], 200)
                    if case["json"].get("id") == "<uuid>":
                        self.assertRegex(body["id"], UUID)
                        body["id"] = "<uuid>"
                    self.assertEqual(body, case["json"])
                elif case["status"] == 500:
                    # MLServer's bare 500 for a failure of the model or of MLflow's schema check.
                    self.assertEqual((reply["status"], list(body)), (400, ["error"]))
                else:
                    self.assertEqual((reply["status"], list(body)), (case["status"], ["error"]))
        by_case = {c["case"]: replies[i] for i, c in enumerate(cases)}
        self.assertEqual(json.loads(by_case["pd-int64"]["body"])["error"].split(". Error: ")[-1],
                         "Incompatible input types for column sepal length (cm). Can not safely convert int64 to float64.")


class Loop(unittest.TestCase):
    def test_an_invoke_request_gets_an_http_reply(self):
        body = json.dumps({"id": "a", "parameters": {"content_type": "np"}, "inputs": [{"name": "x", "shape": [2], "datatype": "INT64", "data": [1, 2]}]})
        channel = Channel(
            {"id": 1, "type": "invoke", "protocol": "v2", "path": "/v2/models/m/infer", "content_type": "application/json", "body": body, "model_name": "m"},
            {"id": 2, "type": "invoke", "protocol": "v2", "path": "/v2/models/m", "content_type": None, "body": "", "model_name": "m"},
            {"id": 3, "type": "invoke", "protocol": "grpc", "path": "/", "content_type": None, "body": ""},
        )
        run(channel, Echo())
        first, second, third = channel.sent
        self.assertEqual({k: first[k] for k in ("id", "ok", "type", "status", "content_type")}, {"id": 1, "ok": True, "type": "http", "status": 200, "content_type": "application/json"})
        self.assertEqual(json.loads(first["body"])["outputs"][0]["data"], [1, 2])
        self.assertEqual(list(first["timings"]), ["decode_ms", "predict_ms", "encode_ms"])
        self.assertTrue(all(v >= 0 for v in first["timings"].values()))
        self.assertEqual(list(second["timings"]), ["metadata_ms"])
        self.assertEqual(json.loads(second["body"]), {"name": "m", "versions": [], "platform": "", "inputs": [], "outputs": []})
        self.assertEqual((third["ok"], third["kind"], third["message"]), (False, "bad_request", "unknown invoke protocol 'grpc'"))


if __name__ == "__main__":
    unittest.main()
