"""Records Seldon MLServer's answers to a corpus of Open Inference (V2) requests: the oracle for
mlf's V2 codec (src/worker/mlf_worker/http/v2.py, checked by test/worker/python/test_http_v2.py).

Made with MLServer 1.7.1 and mlserver-mlflow 1.7.1, MLflow 3.17.2, scikit-learn 1.9.1, pandas 3.1.1,
numpy 2.4.6, skops 0.16.0, Python 3.11.7, in a throwaway venv that is never part of mlf's locks:

    uv venv /tmp/mlserver-venv --python 3.11
    VIRTUAL_ENV=/tmp/mlserver-venv uv pip install mlserver==1.7.1 mlserver-mlflow==1.7.1 \\
        mlflow==3.17.2 scikit-learn==1.9.1 pandas==3.1.1 numpy==2.4.6 skops==0.16.0
    /tmp/mlserver-venv/bin/python test/serve/make_v2_golden.py

It rewrites test/serve/v2-golden/ (nothing else). Two kinds of file:
  - server-<model>.json: for each model of fixtures/models named in MODELS, `mlserver start` runs
    the MLflow runtime on it (HTTP on 127.0.0.1 at a free port; gRPC and metrics on other free ports,
    one parallel worker off) and each request of the corpus is sent; the file holds the requests with
    MLServer's status and body (a generated `id` is replaced by "<uuid>" after checking its form);
  - codecs.json: MLServer's own codecs called in-process on payloads a fixture model cannot return
    (DataFrames with NaN and strings, ndarrays of each rank, dicts of arrays), each response as the
    REST layer writes it (exclude_none, bytes decoded as UTF-8);
  - decoding.json: MLServer's decode_inference_request (what its MLflow runtime hands the model) on
    requests for models of each content type and metadata, the result described as JSON (`described`).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import http.client
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "serve", "v2-golden")
MODEL_NAME = "mlflow-model"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

IRIS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def iris_inputs(shape_of=lambda n: [n], datatype="FP64", rows=IRIS_ROWS, names=IRIS, nested=False):
    inputs = []
    for j, name in enumerate(names):
        column = [row[j] for row in rows]
        data = [[v] for v in column] if nested else column
        inputs.append({"name": name, "shape": shape_of(len(rows)), "datatype": datatype, "data": data})
    return inputs


def infer(name, body, model=MODEL_NAME, version=None):
    path = "/v2/models/{}/infer".format(model) if version is None else "/v2/models/{}/versions/{}/infer".format(model, version)
    return {"case": name, "method": "POST", "path": path, "body": body}


def get(name, path):
    return {"case": name, "method": "GET", "path": path}


MODELS = {
    "sklearn-iris": [
        get("server-metadata", "/v2"),
        get("live", "/v2/health/live"),
        get("ready", "/v2/health/ready"),
        get("model-metadata", "/v2/models/mlflow-model"),
        get("model-ready", "/v2/models/mlflow-model/ready"),
        get("unknown-model-metadata", "/v2/models/nope"),
        get("unknown-model-ready", "/v2/models/nope/ready"),
        infer("pd-1d-with-id", {"id": "req-1", "inputs": iris_inputs()}),
        infer("pd-1d-no-id", {"inputs": iris_inputs()}),
        infer("pd-2d", {"id": "2d", "inputs": iris_inputs(lambda n: [n, 1])}),
        infer("pd-2d-nested", {"id": "nested", "inputs": iris_inputs(lambda n: [n, 1], nested=True)}),
        infer("pd-explicit-content-type", {"id": "ct", "parameters": {"content_type": "pd"}, "inputs": iris_inputs()}),
        infer("pd-fp32", {"id": "fp32", "inputs": iris_inputs(datatype="FP32")}),
        infer("pd-int64", {"id": "int64", "inputs": iris_inputs(datatype="INT64", rows=[[5, 3, 1, 0], [7, 3, 5, 2]])}),
        infer("pd-unknown-params", {"id": "params", "parameters": {"foo": 1}, "inputs": iris_inputs()}),
        infer("pd-missing-column", {"id": "missing", "inputs": iris_inputs()[:3]}),
        infer("pd-null", {"id": "null", "inputs": iris_inputs(rows=[[None, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])}),
        infer("pd-shape-mismatch", {"id": "shape", "inputs": [dict(i, shape=[3]) for i in iris_inputs()]}),
        infer("np-content-type", {"id": "np", "parameters": {"content_type": "np"}, "inputs": [
            {"name": "x", "shape": [2, 4], "datatype": "FP64", "data": [v for row in IRIS_ROWS for v in row]}]}),
        infer("bad-datatype", {"id": "dt", "inputs": [dict(i, datatype="FOO") for i in iris_inputs()]}),
        infer("no-inputs-key", {"id": "noinputs"}),
        dict(infer("text-plain-content-type", {"id": "tp", "inputs": iris_inputs()}), content_type="text/plain"),
        dict(infer("no-content-type", {"id": "nct", "inputs": iris_inputs()}), content_type=None),
        dict(infer("form-content-type", {"id": "form", "inputs": iris_inputs()}), content_type="application/x-www-form-urlencoded"),
        dict(infer("vendor-json-content-type", {"id": "vnd", "inputs": iris_inputs()}), content_type="application/vnd.api+json"),
        dict(infer("json-charset-content-type", {"id": "cs", "inputs": iris_inputs()}), content_type="application/json; charset=utf-8"),
                infer("unknown-model", {"inputs": iris_inputs()}, model="nope"),
        infer("with-version", {"id": "v", "inputs": iris_inputs()}, version="1"),
    ],
    "models-from-code": [
        get("model-metadata", "/v2/models/mlflow-model"),
        infer("list-output", {"id": "list", "inputs": [
            {"name": "a", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0]},
            {"name": "b", "shape": [2], "datatype": "FP64", "data": [0.5, 0.25]}]}),
    ],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(method, url, body=None, content_type="application/json"):
    """(status, content type, text) of one request; no Content-Type header when `content_type` is None
    (http.client adds none of its own, unlike urllib)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        headers = {} if content_type is None else {"Content-Type": content_type}
        connection.request(method, parts.path, body=None if body is None else json.dumps(body).encode("utf-8"), headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("content-type"), response.read().decode("utf-8")
    finally:
        connection.close()


def recorded_body(text):
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"text": text}
    if isinstance(parsed, dict) and isinstance(parsed.get("id"), str) and UUID.match(parsed["id"]):
        parsed["id"] = "<uuid>"
    return {"json": parsed}


def record_server(model, cases):
    work = tempfile.mkdtemp(prefix="mlf-v2-golden-")
    port = free_port()
    try:
        with open(os.path.join(work, "settings.json"), "w") as f:
            json.dump({"host": "127.0.0.1", "http_port": port, "grpc_port": free_port(), "metrics_port": free_port(),
                       "parallel_workers": 0, "debug": False}, f)
        with open(os.path.join(work, "model-settings.json"), "w") as f:
            json.dump({"name": MODEL_NAME, "implementation": "mlserver_mlflow.MLflowRuntime",
                       "parameters": {"uri": os.path.join(ROOT, "fixtures", "models", model)}}, f)
        log = open(os.path.join(work, "mlserver.log"), "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLSERVER")}
        server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "mlserver"), "start", work],
                                  cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
        base = "http://127.0.0.1:{}".format(port)
        try:
            deadline = time.time() + 120
            while True:
                if server.poll() is not None:
                    raise SystemExit("mlserver exited: see " + log.name)
                try:
                    if send("GET", base + "/v2/models/{}/ready".format(MODEL_NAME))[0] == 200:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise SystemExit("mlserver did not get ready in 120 s")
                time.sleep(0.5)
            recorded = []
            for case in cases:
                status, content_type, text = send(case["method"], base + case["path"], case.get("body"), case.get("content_type", "application/json"))
                recorded.append(dict(case, status=status, response_content_type=content_type, **recorded_body(text)))
            return recorded
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def record_codecs():
    import numpy as np
    import pandas as pd
    from mlserver.codecs import NumpyRequestCodec, PandasCodec
    from mlserver.codecs.json import encode_to_json_bytes
    from mlserver_mlflow.codecs import TensorDictCodec

    def dump(response):
        return json.loads(encode_to_json_bytes(response.model_dump(exclude_none=True)))

    payloads = [
        ("ndarray-1d-int64", "np", np.array([0, 2, 1], dtype=np.int64)),
        ("ndarray-1d-float-nan", "np", np.array([0.5, np.nan, 2.0])),
        ("ndarray-2d-float32", "np", np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)),
        ("ndarray-3d-bool", "np", np.array([[[True], [False]]])),
        ("ndarray-1d-str", "np", np.array(["a", "bé"])),
        ("dataframe-mixed", "pd", pd.DataFrame({"n": [1, 2], "x": [0.5, np.nan], "s": ["a", "b"], "b": [True, False]})),
        ("dataframe-nan-bool", "pd", pd.DataFrame({"n": [1, 2], "x": [0.5, np.nan], "b": [True, False]})),
        ("dataframe-object-str", "pd", pd.DataFrame({"s": pd.Series(["a", "bé"], dtype=object), "x": [1.5, 2.5]})),
        ("dataframe-object-mixed", "pd", pd.DataFrame({"o": pd.Series([1, "a", None], dtype=object)})),
        ("dataframe-float32-int32", "pd", pd.DataFrame({"f": np.array([1.5, 2.5], dtype=np.float32), "i": np.array([3, 4], dtype=np.int32)})),
        ("dict-of-arrays", "dict", {"label": np.array([1, 0]), "proba": np.array([[0.25, 0.75], [0.875, 0.125]])}),
    ]
    codecs = {"np": NumpyRequestCodec, "pd": PandasCodec, "dict": TensorDictCodec}
    recorded = []
    for name, codec, payload in payloads:
        try:
            recorded.append({"case": name, "codec": codec, "response": dump(codecs[codec].encode_response(MODEL_NAME, payload))})
        except Exception as e:  # MLServer's codec fails on it: recorded as the failure
            recorded.append({"case": name, "codec": codec, "raises": "{}: {}".format(type(e).__name__, e)})
    return recorded


def meta(name, datatype, content_type):
    return {"name": name, "datatype": datatype, "shape": [-1, 1], "parameters": {"content_type": content_type}}


IRIS_META = [meta(n, "FP64", "np") for n in IRIS]
# (case, the model's content type, its metadata inputs, the request).
DECODING = [
    ("pd-fp64-metadata-np", "pd", IRIS_META, {"inputs": iris_inputs()}),
    ("pd-2d-nested-metadata-np", "pd", IRIS_META, {"inputs": iris_inputs(lambda n: [n, 1], nested=True)}),
    ("pd-doc-example", "pd", [], {"parameters": {"content_type": "pd"}, "inputs": [
        {"name": "First Name", "datatype": "BYTES", "parameters": {"content_type": "str"}, "shape": [2], "data": ["Joanne", "Michael"]},
        {"name": "Age", "datatype": "INT32", "shape": [2], "data": [34, 22]}]}),
    ("pd-bytes-raw", "pd", [], {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]}]}),
    ("pd-bool-fp32-no-metadata", "pd", [], {"inputs": [
        {"name": "b", "datatype": "BOOL", "shape": [2], "data": [True, False]},
        {"name": "f", "datatype": "FP32", "shape": [2], "data": [0.5, 1.5]}]}),
    ("pd-null-fp64-metadata-np", "pd", [meta("x", "FP64", "np")], {"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [None, 1.5]}]}),
    ("pd-string-metadata-str", "pd", [meta("s", "BYTES", "str")], {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2, 1], "data": ["x", "yz"]}]}),
    ("pd-datetime-metadata", "pd", [meta("t", "BYTES", "datetime")], {"inputs": [{"name": "t", "datatype": "BYTES", "shape": [1], "data": ["2024-01-02T03:04:05"]}]}),
    ("np-model-int64-2d", "np", [], {"inputs": [{"name": "x", "datatype": "INT64", "shape": [2, 2], "data": [1, 2, 3, 4]}]}),
    ("np-request-over-pd-model", "pd", IRIS_META[:1], {"parameters": {"content_type": "np"}, "inputs": [{"name": "x", "datatype": "FP64", "shape": [1, 2], "data": [[1, 2]]}]}),
    ("dict-model-named-tensors", "dict", [meta("a", "FP32", "np"), meta("b", "INT8", "np")], {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]},
        {"name": "b", "datatype": "INT8", "shape": [2], "data": [3, 4]}]}),
    ("dict-model-raw-input", "dict", [], {"inputs": [{"name": "c", "datatype": "FP64", "shape": [2], "data": [1, 2]}]}),
    ("str-request", None, [], {"parameters": {"content_type": "str"}, "inputs": [{"name": "s", "datatype": "BYTES", "shape": [2], "data": ["p", "q"]}]}),
]


def described(value):
    """A decoded model input as JSON: its type, dtypes and values (NaN as null, dates as ISO text)."""
    import datetime

    import numpy as np
    import pandas as pd

    def plain(v):
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, float) and v != v:
            return None
        if isinstance(v, (datetime.datetime, pd.Timestamp)):
            return v.isoformat()
        if isinstance(v, bytes):
            return v.decode("utf-8")
        return v.item() if hasattr(v, "item") else v

    if isinstance(value, pd.DataFrame):
        return {"type": "DataFrame", "columns": [str(c) for c in value.columns], "dtypes": [str(t) for t in value.dtypes],
                "values": [plain(value[c].tolist()) for c in value.columns]}
    if isinstance(value, np.ndarray):
        return {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape), "values": plain(value.tolist())}
    if isinstance(value, dict):
        return {"type": "dict", "items": {k: described(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"type": "list", "values": plain(value)}
    return {"type": type(value).__name__}


def record_decoding():
    from mlserver.codecs import decode_inference_request
    from mlserver.types import InferenceRequest, MetadataTensor, Parameters

    class Settings:
        def __init__(self, content_type):
            self.parameters = Parameters(content_type=content_type) if content_type else None

    recorded = []
    for name, content_type, metadata, request in DECODING:
        index = {m["name"]: MetadataTensor(**m) for m in metadata}
        entry = {"case": name, "model_content_type": content_type, "metadata_inputs": metadata, "request": request}
        try:
            entry["decoded"] = described(decode_inference_request(InferenceRequest(**request), Settings(content_type), index))
        except Exception as e:  # MLServer's codec fails on it: recorded as the failure
            entry["raises"] = "{}: {}".format(type(e).__name__, e)
        recorded.append(entry)
    return recorded


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    import importlib.metadata as md

    versions = {p: md.version(p) for p in ("mlserver", "mlserver-mlflow", "mlflow", "scikit-learn", "pandas", "numpy")}
    for model, cases in MODELS.items():
        with open(os.path.join(OUT, "server-{}.json".format(model)), "w") as f:
            json.dump({"model": model, "versions": versions, "cases": record_server(model, cases)}, f, indent=1, sort_keys=True)
            f.write("\n")
    with open(os.path.join(OUT, "codecs.json"), "w") as f:
        json.dump({"versions": versions, "cases": record_codecs()}, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(OUT, "decoding.json"), "w") as f:
        json.dump({"versions": versions, "cases": record_decoding()}, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
