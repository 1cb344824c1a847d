"""POST /invocations as MLflow 3.17.2's scoring server answers it (mlflow/pyfunc/scoring_server/
__init__.py, `invocations()` and the `_async_catch_mlflow_exception` wrapper of its FastAPI app).

A protocol-4 `invoke` request carries the request's Content-Type and body; the reply carries the
HTTP status, content type and body MLflow's server would send, byte for byte:

  - the content type checks first, with MLflow's 415 texts (text/plain): a charset other than
    utf-8, a parameter other than charset, a type other than text/csv, application/json and
    application/vnd.apache.parquet;
  - when the model is loaded by MLflow itself (runtimes/mlflow.py), MLflow's own `invocations()`
    runs on it, and an MlflowException becomes `{"error_code", "message"[, "stack_trace"]}` with
    MLflow's status, as the FastAPI wrapper writes it;
  - when a runtime without mlflow holds the model, it answers the requests it answers as MLflow
    does (its predictions are MLflow's: the predict tests compare them); anything it refuses or
    fails on is answered by MLflow's own code after all, on a copy of the model loaded by mlflow
    the first time this happens, so that every error body is MLflow's own. Only when mlflow is not
    installed in the environment does mlf word the error itself (`ported_error`), in MLflow's
    shape and with its status codes and texts where mlf's ports carry them.

Anything outside MLflow's handling (no Content-Type at all: MLflow's `None.split` raises) is the
500 `Internal Server Error` text/plain that Starlette answers for an unhandled exception.
"""

import base64
import json
import traceback

from ..errors import WorkerError, find_import_error
from ..scoring.parse import SCORING_PROTOCOL_CHANGE_INFO
from ..timings import PhaseTimer

CONTENT_TYPE_CSV = "text/csv"
CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_PARQUET = "application/vnd.apache.parquet"
CONTENT_TYPES = [CONTENT_TYPE_CSV, CONTENT_TYPE_JSON, CONTENT_TYPE_PARQUET]
TEXT_PLAIN = "text/plain"
APPLICATION_JSON = "application/json"
# MLflow's ERROR_CODE_TO_HTTP_STATUS (mlflow/exceptions.py), for the errors mlf words itself.
BAD_REQUEST = "BAD_REQUEST"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
UNEXPECTED_ERROR = (
    "Encountered an unexpected error while evaluating the model. Verify"
    " that the serialized input Dataframe is compatible with the model for"
    " inference."
)


def http_reply(status, content_type, body, timings=None):
    return {"ok": True, "type": "http", "status": status, "content_type": content_type, "body": body, "timings": timings or {}}


def request_body(request):
    """The request's body as bytes, as FastAPI's `await request.body()` gives it to MLflow."""
    if "body_base64" in request:
        return base64.b64decode(request["body_base64"])
    return request.get("body", "").encode("utf-8")


def content_type_refusal(content_type):
    """MLflow's 415 for a content type it does not serve, or None when it goes on to parse."""
    type_parts = [part.strip() for part in content_type.split(";")]
    parameters = {}
    for pair in type_parts[1:]:
        key, _, value = pair.partition("=")
        parameters[key] = value
    if parameters.get("charset", "utf-8").lower() != "utf-8":
        return http_reply(415, TEXT_PLAIN, "The scoring server only supports UTF-8")
    unexpected = set(parameters.keys()).difference({"charset"})
    if unexpected:
        return http_reply(
            415,
            TEXT_PLAIN,
            "Unrecognized content type parameters: {}. {}".format(", ".join(unexpected), SCORING_PROTOCOL_CHANGE_INFO),
        )
    if type_parts[0] not in CONTENT_TYPES:
        return http_reply(
            415,
            TEXT_PLAIN,
            "This predictor only supports the following content types: Types: {}. Got '{}'.".format(CONTENT_TYPES, content_type),
        )
    return None


def internal_server_error():
    # Starlette's ServerErrorMiddleware answer to an exception no handler caught.
    return http_reply(500, TEXT_PLAIN, "Internal Server Error")


class MlflowServing:
    """MLflow's scoring server module and a pyfunc model loaded by MLflow, found when first needed."""

    def __init__(self, runtime, model_dir):
        self.runtime = runtime
        self.model_dir = model_dir
        self._loaded = None
        self._unavailable = False

    def get(self):
        """(scoring_server, pyfunc model), or None when mlflow is not installed."""
        if self._loaded is not None:
            return self._loaded
        if self._unavailable:
            return None
        server = getattr(self.runtime, "server", None)
        model = getattr(self.runtime, "model", None)
        if server is not None and hasattr(server, "invocations") and hasattr(model, "metadata"):
            self._loaded = (server, model)
            return self._loaded
        if self.model_dir is None:
            self._unavailable = True
            return None
        try:
            import mlflow.pyfunc
            from mlflow.pyfunc import scoring_server
        except ImportError:
            self._unavailable = True
            return None
        from .. import logs

        logs.info("loading the model with mlflow too, to answer a request as MLflow's server does")
        self._loaded = (scoring_server, mlflow.pyfunc.load_model(self.model_dir))
        return self._loaded


def invoke(serving, request):
    """The reply to an `invoke` request of protocol "mlflow" (path /invocations)."""
    timer = PhaseTimer()
    content_type = request.get("content_type")
    if content_type is None:
        return internal_server_error()
    refusal = content_type_refusal(content_type)
    if refusal is not None:
        return refusal
    runtime = serving.runtime
    if getattr(runtime, "name", None) != "mlflow":
        fast = invoke_without_mlflow(runtime, request, content_type, timer)
        if fast is not None:
            return fast
        timer = PhaseTimer()
    mlflow_serving = serving.get()
    if mlflow_serving is None:
        return ported_error(runtime, request, content_type)
    server, model = mlflow_serving
    reply = invoke_with_mlflow(server, model, request_body(request), content_type)
    timer.mark("invoke_ms")
    reply["timings"] = timer.phases
    return reply


def invoke_with_mlflow(server, model, data, content_type):
    """MLflow's own invocations(), and its FastAPI wrapper's answer to an MlflowException."""
    # The scoring server module imports it; reading it there keeps this module free of mlflow imports.
    MlflowException = getattr(server, "MlflowException", None)
    if MlflowException is None:
        from mlflow.exceptions import MlflowException

    try:
        result = server.invocations(data, content_type, model, model.metadata.get_input_schema())
    except MlflowException as e:
        return http_reply(e.get_http_status_code(), APPLICATION_JSON, e.serialize_as_json())
    except Exception:
        from .. import logs

        logs.warning("MLflow's scoring server raised an exception it does not handle: {}".format(traceback.format_exc().rstrip()))
        return internal_server_error()
    return http_reply(result.status, result.mimetype, result.response)


def invoke_without_mlflow(runtime, request, content_type, timer):
    """The reply of a runtime without mlflow, or None when it refuses or fails (MLflow answers then)."""
    mime_type = content_type.split(";")[0].strip()
    if mime_type == CONTENT_TYPE_PARQUET or "body_base64" in request:
        return None
    parse_request = {"content_type": "csv" if mime_type == CONTENT_TYPE_CSV else "json", "data": request.get("body", "")}
    try:
        data, params, unwrapped = runtime.parse(parse_request)
        timer.mark("parse_ms")
        raw = runtime.predict(data, params)
        timer.mark("predict_ms")
        text = runtime.encode(raw, unwrapped)
        timer.mark("encode_ms")
    except Exception:
        return None
    return http_reply(200, APPLICATION_JSON, text, timer.phases)


def mlflow_error_body(error_code, message, stack_trace=None):
    """MlflowException.serialize_as_json: `{"error_code", "message"[, "stack_trace"]}`."""
    body = {"error_code": error_code, "message": message}
    if stack_trace is not None:
        body["stack_trace"] = stack_trace
    return json.dumps(body)


def ported_error(runtime, request, content_type):
    """Without mlflow in the environment: the failure of the runtime without mlflow, in MLflow's shape."""
    mime_type = content_type.split(";")[0].strip()
    if mime_type == CONTENT_TYPE_PARQUET:
        return http_reply(400, APPLICATION_JSON, mlflow_error_body(BAD_REQUEST, "Parquet input needs mlflow in the model's environment"))
    parse_request = {"content_type": "csv" if mime_type == CONTENT_TYPE_CSV else "json", "data": request_body(request).decode("utf-8", "replace")}
    stage = "parse"
    data = None
    try:
        data, params, unwrapped = runtime.parse(parse_request)
        stage = "predict"
        raw = runtime.predict(data, params)
        stage = "encode"
        return http_reply(200, APPLICATION_JSON, runtime.encode(raw, unwrapped))
    except Exception as e:
        error = e
        if stage == "predict" and not isinstance(e, WorkerError):
            classified = runtime.classify_error(e)
            if classified is not None:
                error = classified
        if isinstance(error, WorkerError) and error.kind == "schema":
            message = "Failed to predict data '{}'. \nError: {}".format(data, error.extra.get("detail", error.message))
            return http_reply(400, APPLICATION_JSON, mlflow_error_body(INVALID_PARAMETER_VALUE, message))
        if isinstance(error, WorkerError) and error.kind == "bad_input" and stage == "parse":
            if mime_type == CONTENT_TYPE_CSV:
                return http_reply(400, APPLICATION_JSON, mlflow_error_body(BAD_REQUEST, error.message, traceback.format_exc()))
            return http_reply(400, APPLICATION_JSON, mlflow_error_body(BAD_REQUEST, error.extra.get("detail", error.message)))
        if stage == "predict" or find_import_error(error) is not None:
            return http_reply(400, APPLICATION_JSON, mlflow_error_body(BAD_REQUEST, UNEXPECTED_ERROR, traceback.format_exc()))
        return internal_server_error()
