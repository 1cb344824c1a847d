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
import uuid

from ..errors import WorkerError, exception_message
from .v2_decode import decode_request, parse_request
from .v2_encode import encode_outputs, encode_response
from .v2_model import ModelInfo, V2Error, model_content_type

__all__ = ["handle", "infer", "ModelInfo", "V2Error", "decode_request", "encode_outputs", "model_content_type", "parse_request"]

JSON = "application/json"


def reply(status, body):
    return {"status": status, "content_type": JSON, "body": json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))}


def error_reply(error):
    return reply(error.status, {"error": error.message})


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
