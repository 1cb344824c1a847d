"""The Open Inference Protocol (KServe V2) for `mlf models serve`, with Seldon MLServer's conventions
for MLflow models (MLServer 1.7.1: mlserver/codecs/{numpy,pandas,string,utils}.py,
runtimes/mlflow/mlserver_mlflow/{runtime,metadata,codecs}.py). Written for mlf; checked against
MLServer's own answers in test/serve/v2-golden/ (test/serve/make_v2_golden.py).

Decoding an infer request: each input is first decoded by its own content type (its
`parameters.content_type`, else the one the model metadata gives its name: "np" for a numeric
column), then the whole request by the request's content type (`parameters.content_type`, else
the model's: "pd" for a column signature, "dict" for a tensor signature with names, "np" without):
  pd    a DataFrame, one column per input named after it; BYTES inputs stay as given, the others
        are reshaped to (shape[0],) with the numpy dtype of the datatype;
  np    the single input as an ndarray of its shape;
  dict  {input name: decoded input};
  str   the single input as a list of strings.
Unknown request parameters (anything but content_type and headers) become MLflow params.

Encoding the model's output: a DataFrame gives one output per column (content type "pd"), an
ndarray one output named "output-1" ("np"), a dict of ndarrays one output per key ("dict"), a list
of strings one "output-1" of BYTES ("str"). Shapes of one dimension get the batch dimension
([N] -> [N, 1]); NaN (and, as orjson writes them, infinities) becomes null. Where MLServer has no codec for the output (a list of numbers,
a Series, a scalar, a dict of lists) it fails with 500; mlf encodes it as the ndarray numpy makes of
it instead (`np.asarray`). Also deliberately unlike MLServer 1.7.1: pandas' `str` dtype (pandas 3's
default for strings, on which MLServer raises KeyError 'O') is a BYTES column like an object column of
strings, and a column of mixed objects with missing values gives null rather than raising.

Errors are {"error": message}: a body FastAPI would not read as JSON (a Content-Type other than
none, application/json or application/*+json) or a request that is not the protocol's shape 422 (FastAPI's status for
MLServer's pydantic validation; MLServer's body there is FastAPI's {"detail": [...]}), anything about
decoding or predicting 400 (MLServer's InferenceError; MLServer itself answers an exception of the
model or of MLflow's schema check with a bare 500 "Internal Server Error").
"""

import json
import math
import uuid

from ..errors import WorkerError, exception_message

JSON = "application/json"
DATATYPES = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BYTES": "bytes",
}
NUMPY_TO_DATATYPE = dict({v: k for k, v in DATATYPES.items()}, object="BYTES", str="BYTES", S="BYTES", U="BYTES", O="BYTES")
# MLflow's column types -> (datatype, content type) in the model metadata (mlserver_mlflow/metadata.py).
COLUMN_TYPES = {
    "boolean": ("BOOL", "np"),
    "integer": ("INT32", "np"),
    "long": ("INT64", "np"),
    "float": ("FP32", "np"),
    "double": ("FP64", "np"),
    "string": ("BYTES", "str"),
    "binary": ("BYTES", "base64"),
    "datetime": ("BYTES", "datetime"),
}
# MLflow's tensor dtypes are numpy's names.
REQUEST_PARAMETERS = ("content_type", "headers")


class V2Error(Exception):
    """A failure answered with {"error": message} and `status`."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


def reply(status, body):
    return {"status": status, "content_type": JSON, "body": json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))}


def error_reply(error):
    return reply(error.status, {"error": error.message})


# --- model metadata ----------------------------------------------------------------------------


def signature_specs(signature, key):
    """The list of specs of MLmodel's `signature[key]` (a JSON text), [] when there is none."""
    if not isinstance(signature, dict):
        return None
    text = signature.get(key)
    if not text:
        return None
    specs = json.loads(text) if isinstance(text, str) else text
    return specs if isinstance(specs, list) else None


def tensor_datatype(dtype):
    import numpy as np

    name = np.dtype(dtype).name
    if name in NUMPY_TO_DATATYPE:
        return NUMPY_TO_DATATYPE[name]
    return NUMPY_TO_DATATYPE[np.dtype(dtype).kind]


def metadata_tensors(specs, prefix):
    """MLServer's metadata tensors for a list of MLflow specs (mlserver_mlflow/metadata.py)."""
    tensors = []
    for i, spec in enumerate(specs or []):
        name = spec.get("name") or "{}{}".format(prefix, i)
        if spec.get("type") == "tensor":
            tensor = spec.get("tensor-spec") or {}
            datatype, content_type = tensor_datatype(tensor.get("dtype")), "np"
            shape = list(tensor.get("shape") or [])
        else:
            type_name = spec.get("type")
            datatype, content_type = COLUMN_TYPES.get(type_name, ("BYTES", "pd_json")) if isinstance(type_name, str) else ("BYTES", "pd_json")
            shape = [-1, 1]
        tensors.append({"name": name, "datatype": datatype, "shape": shape, "parameters": {"content_type": content_type}})
    return tensors


def model_content_type(signature):
    """The model-level content type: "pd" for columns, "dict" / "np" for tensors with / without names."""
    specs = signature_specs(signature, "inputs")
    if specs is None:
        return None
    if specs and all(s.get("type") == "tensor" for s in specs):
        return "dict" if specs[0].get("name") else "np"
    return "pd"


class ModelInfo:
    """What the V2 side needs of the model: its name, version and MLmodel signature."""

    def __init__(self, name, signature, version=None):
        self.name = name
        self.version = version
        self.signature = signature
        self.inputs = metadata_tensors(signature_specs(signature, "inputs"), "input-")
        self.outputs = metadata_tensors(signature_specs(signature, "outputs"), "output-")
        self.content_type = model_content_type(signature)
        self.inputs_by_name = {t["name"]: t for t in self.inputs}

    def metadata(self):
        """GET /v2/models/{name}: as MLServer writes it for an MLflow model."""
        body = {"name": self.name, "versions": [self.version] if self.version else [], "platform": "", "inputs": self.inputs, "outputs": self.outputs}
        if self.content_type:
            body["parameters"] = {"content_type": self.content_type}
        return body


# --- request -----------------------------------------------------------------------------------


def parse_request(text):
    """The infer request's JSON, checked against the protocol's shape (422 when it is not)."""
    try:
        request = json.loads(text)
    except ValueError as e:
        raise V2Error("the request body is not valid JSON: {}".format(e), 422)
    if not isinstance(request, dict):
        raise V2Error("the request body must be a JSON object", 422)
    inputs = request.get("inputs")
    if not isinstance(inputs, list):
        raise V2Error("inputs: field required (a list of tensors)", 422)
    for key in ("parameters",):
        if key in request and request[key] is not None and not isinstance(request[key], dict):
            raise V2Error("{}: must be an object".format(key), 422)
    if "id" in request and request["id"] is not None and not isinstance(request["id"], str):
        raise V2Error("id: must be a string", 422)
    for i, tensor in enumerate(inputs):
        where = "inputs.{}".format(i)
        if not isinstance(tensor, dict):
            raise V2Error("{}: must be an object".format(where), 422)
        for field in ("name", "shape", "datatype", "data"):
            if field not in tensor:
                raise V2Error("{}.{}: field required".format(where, field), 422)
        if not isinstance(tensor["name"], str):
            raise V2Error("{}.name: must be a string".format(where), 422)
        shape = tensor["shape"]
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
            raise V2Error("{}.shape: must be a list of integers".format(where), 422)
        if tensor["datatype"] not in DATATYPES:
            raise V2Error("{}.datatype: must be one of {}".format(where, ", ".join(DATATYPES)), 422)
        parameters = tensor.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise V2Error("{}.parameters: must be an object".format(where), 422)
    return request


def content_type_of(parametrised, fallback=None):
    parameters = parametrised.get("parameters") or {}
    return parameters.get("content_type") or fallback


def numpy_dtype(tensor):
    import numpy as np

    datatype = tensor["datatype"]
    if datatype == "BYTES":
        # Strings, flat or nested, stay whole (MLServer looks only at a flat list, and gives nested
        # ones a bytes dtype as long as the last dimension, which cuts them short).
        if all(isinstance(x, str) for x in flat_strings(tensor["data"])):
            return np.dtype(str)
        return np.dtype(("bytes", tensor["shape"][-1] if tensor["shape"] else 1))
    return np.dtype(DATATYPES[datatype])


def as_ndarray(tensor):
    """The input as an ndarray of its shape (MLServer's NumpyCodec.decode_input)."""
    import numpy as np

    try:
        return np.array(tensor["data"], numpy_dtype(tensor)).reshape(tensor["shape"])
    except (ValueError, TypeError, OverflowError) as e:
        raise V2Error("input {!r}: {}".format(tensor["name"], e))


def flat_strings(data):
    if isinstance(data, list):
        out = []
        for item in data:
            out.extend(flat_strings(item) if isinstance(item, list) else [item])
        return out
    return [data]


def as_strings(tensor):
    return [x if isinstance(x, str) or x is None else "" for x in flat_strings(tensor["data"])]


def as_base64(tensor):
    import base64
    import binascii

    out = []
    for x in flat_strings(tensor["data"]):
        try:
            out.append(base64.b64decode(x.encode("utf-8") if isinstance(x, str) else x))
        except (binascii.Error, TypeError, AttributeError) as e:
            raise V2Error("input {!r}: not base64: {}".format(tensor["name"], e))
    return out


def as_datetimes(tensor):
    import datetime

    out = []
    for x in flat_strings(tensor["data"]):
        try:
            out.append(datetime.datetime.fromisoformat(x))
        except (ValueError, TypeError) as e:
            raise V2Error("input {!r}: not an ISO date-time: {}".format(tensor["name"], e))
    return out


INPUT_CODECS = {"np": as_ndarray, "str": as_strings, "base64": as_base64, "datetime": as_datetimes}
NOT_DECODED = object()


def decode_input(tensor, model):
    metadata = model.inputs_by_name.get(tensor["name"])
    content_type = content_type_of(tensor, content_type_of(metadata) if metadata else None)
    codec = INPUT_CODECS.get(content_type)
    return NOT_DECODED if codec is None else codec(tensor)


def to_series(tensor, decoded):
    """One DataFrame column (MLServer's pandas `_to_series`)."""
    import numpy as np
    import pandas as pd

    if content_type_of(tensor) == "pd_json":
        try:
            return pd.Series([json.loads(x) if isinstance(x, str) else x for x in flat_strings(tensor["data"])])
        except ValueError as e:
            raise V2Error("input {!r}: not JSON: {}".format(tensor["name"], e))
    payload = tensor["data"] if decoded is NOT_DECODED else decoded
    if tensor["datatype"] == "BYTES":
        return pd.Series(payload)
    try:
        if isinstance(payload, np.ndarray):
            rows = tensor["shape"][0] if tensor["shape"] else payload.size
            payload = payload.reshape(rows, 1).squeeze(axis=1)
        return pd.Series(payload, dtype=numpy_dtype(tensor))
    except (ValueError, TypeError, OverflowError) as e:
        raise V2Error("input {!r}: {}".format(tensor["name"], e))


def single_input(request, content_type, decoded):
    if len(request["inputs"]) != 1:
        raise V2Error("The '{}' codec only supports a single input tensor ({} were received)".format(content_type, len(request["inputs"])))
    value = decoded[0]
    if value is NOT_DECODED:
        tensor = request["inputs"][0]
        return as_ndarray(tensor) if content_type == "np" else as_strings(tensor)
    return value


def decode_request(request, model):
    """(the model input, MLflow params or None) of a parsed infer request."""
    import pandas as pd

    inputs = request["inputs"]
    decoded = [decode_input(tensor, model) for tensor in inputs]
    content_type = content_type_of(request, model.content_type)
    if content_type == "pd":
        data = pd.DataFrame({tensor["name"]: to_series(tensor, value) for tensor, value in zip(inputs, decoded)})
    elif content_type in ("np", "str"):
        data = single_input(request, content_type, decoded)
    elif content_type == "dict":
        data = {tensor["name"]: (tensor["data"] if value is NOT_DECODED else value) for tensor, value in zip(inputs, decoded)}
    elif content_type is None:
        raise V2Error("the request has no content type and the model's signature gives none: set parameters.content_type (pd, np, dict or str)")
    else:
        raise V2Error("unknown content type {!r} (mlf decodes pd, np, dict and str)".format(content_type))
    parameters = request.get("parameters") or {}
    params = {k: v for k, v in parameters.items() if k not in REQUEST_PARAMETERS}
    return data, (params or None)


# --- response ----------------------------------------------------------------------------------


def with_batch_dimension(shape):
    shape = list(shape)
    return shape if len(shape) > 1 else shape + [1]


def datatype_of(dtype):
    name = str(dtype)
    if name in NUMPY_TO_DATATYPE:
        return NUMPY_TO_DATATYPE[name]
    kind = getattr(dtype, "kind", None)
    if kind in NUMPY_TO_DATATYPE:
        return NUMPY_TO_DATATYPE[kind]
    raise V2Error("the model's output has dtype {} which has no Open Inference datatype".format(name))


def is_missing(value):
    if value is None:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def jsonable(value):
    """A value of an output's data as JSON writes it: bytes as UTF-8 text (as MLServer's REST layer),
    numpy scalars as Python's, NaN and infinities as null (MLServer writes its JSON with orjson,
    which writes every non-finite float as null)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def ndarray_output(name, array):
    """MLServer's NumpyCodec.encode_output."""
    datatype = datatype_of(array.dtype)
    data = [jsonable(x) for x in array.flatten().tolist()]
    return {"name": name, "shape": with_batch_dimension(array.shape), "datatype": datatype, "parameters": {"content_type": "np"}, "data": data}


def series_output(series):
    """MLServer's pandas `_to_response_output`: BYTES columns all of strings get content type str,
    others of objects pd_json (each element JSON-encoded)."""
    datatype = datatype_of(series.dtype)
    data = [None if is_missing(x) else jsonable(x) for x in series.tolist()]
    output = {"name": str(series.name), "shape": with_batch_dimension(series.shape), "datatype": datatype, "data": data}
    if datatype == "BYTES":
        if all(isinstance(x, (str, bytes)) for x in series.tolist()):
            output["parameters"] = {"content_type": "str"}
        else:
            output["data"] = [json.dumps(x, ensure_ascii=False, separators=(",", ":"), default=str) for x in data]
            output["parameters"] = {"content_type": "pd_json"}
    return output


def encode_outputs(raw):
    """(the response's content type, its outputs) for what the model returned."""
    import numpy as np
    import pandas as pd

    if isinstance(raw, pd.DataFrame):
        return "pd", [series_output(raw[column]) for column in raw]
    if isinstance(raw, np.ndarray):
        return "np", [ndarray_output("output-1", raw)]
    if isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
        return "str", [{"name": "output-1", "shape": [len(raw), 1], "datatype": "BYTES", "parameters": {"content_type": "str"}, "data": list(raw)}]
    if isinstance(raw, dict):
        return "dict", [ndarray_output(str(k), v if isinstance(v, np.ndarray) else np.asarray(v)) for k, v in raw.items()]
    if isinstance(raw, pd.Series):
        raw = raw.to_numpy()
    return "np", [ndarray_output("output-1", np.asarray(raw))]


def encode_response(model, request_id, raw):
    content_type, outputs = encode_outputs(raw)
    body = {"model_name": model.name}
    if model.version:
        body["model_version"] = model.version
    body["id"] = request_id
    body["parameters"] = {"content_type": content_type}
    body["outputs"] = outputs
    return body


# --- the worker's entry points -----------------------------------------------------------------


def is_json_content_type(content_type):
    """Whether FastAPI (MLServer's REST layer) reads a body of this Content-Type as JSON: none at
    all, or application/json or application/*+json, whatever its parameters."""
    if not content_type:
        return True
    main, _, sub = content_type.split(";", 1)[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def infer(runtime, model, text, content_type=None):
    """The reply to POST /v2/models/{name}/infer: status, content type and body."""
    from ..timings import PhaseTimer

    timer = PhaseTimer()
    try:
        if not is_json_content_type(content_type):
            raise V2Error("the request's Content-Type is {}: an infer request is JSON (application/json)".format(content_type), 422)
        try:
            request = parse_request(text)
        except RecursionError:
            raise V2Error("the request body is nested too deeply to read", 422)
        try:
            data, params = decode_request(request, model)
        except V2Error:
            raise
        except RecursionError:
            raise V2Error("the request's data is nested too deeply to decode")
        except (ValueError, TypeError, KeyError, OverflowError) as e:
            raise V2Error("the request cannot be decoded: {}: {}".format(type(e).__name__, e))
        timer.mark("decode_ms")
        try:
            raw = runtime.predict(data, params)
        except V2Error:
            raise
        except Exception as e:
            classified = runtime.classify_error(e)
            failure = classified if classified is not None else e
            if isinstance(failure, WorkerError):
                raise V2Error(failure.extra.get("detail") or failure.message)
            raise V2Error("{}: {}".format(type(failure).__name__, exception_message(failure)))
        timer.mark("predict_ms")
        request_id = request.get("id")
        if request_id is None:
            request_id = str(uuid.uuid4())
        try:
            answer = reply(200, encode_response(model, request_id, raw))
            timer.mark("encode_ms")
            answer["timings"] = timer.phases
            return answer
        except V2Error:
            raise
        except (TypeError, ValueError, KeyError) as e:
            raise V2Error("the model's output cannot be written as Open Inference outputs: {}: {}".format(type(e).__name__, e))
    except V2Error as e:
        answer = error_reply(e)
        answer["timings"] = timer.phases
        return answer


def model_info(runtime, name, version):
    """The ModelInfo of the runtime's model under `name`, made once per name and version."""
    cache = runtime.__dict__.setdefault("_v2_model_info", {})
    key = (name, version)
    if key not in cache:
        cache[key] = ModelInfo(name, getattr(runtime, "signature", None), version)
    return cache[key]


def handle(runtime, request):
    """The `invoke` request with protocol "v2": `path` ends in /infer (POST) or names the model
    (GET /v2/models/{name}[/versions/{v}]: its metadata). {"status", "content_type", "body",
    "timings"}: an infer's timings are decode_ms, predict_ms, encode_ms, as far as it got; the
    metadata's metadata_ms."""
    model = model_info(runtime, request.get("model_name") or "mlflow-model", request.get("model_version"))
    path = (request.get("path") or "").rstrip("/")
    if path.endswith("/infer"):
        if request.get("body") is None and "body_base64" in request:
            # Bytes that are not UTF-8 (the worker client sends them as base64): FastAPI cannot
            # parse them as JSON and answers 400.
            return error_reply(V2Error("the request body is not valid UTF-8"))
        return infer(runtime, model, request.get("body") or "", request.get("content_type"))
    from ..timings import PhaseTimer

    timer = PhaseTimer()
    answer = reply(200, model.metadata())
    timer.mark("metadata_ms")
    answer["timings"] = timer.phases
    return answer
