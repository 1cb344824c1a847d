"""The request loop: reads request lines, answers each with exactly one reply (protocol.py).

Every failure becomes a reply and the worker keeps serving. A predict is parse -> predict ->
encode through the loaded runtime (runtimes/base.py), whichever it is.
"""

import json

from .errors import BadInput, BadRequest, ModelOutputError, WorkerError, exception_message, find_import_error
from .protocol import error_reply
from .scoring.run import predict_classified
from .timings import PhaseTimer, peak_rss_kb

CONTENT_TYPES = ("json", "csv")
# The protocols of `invoke` requests (protocol 4, `mlf models serve`): http/mlflow.py and http/v2.py answer them.
INVOKE_PROTOCOLS = ("mlflow", "v2")


def run(channel, runtime, model_dir=None, serving=None):
    """Answers requests until `shutdown` or the end of stdin. `model_dir` lets an `invoke` load
    the model with mlflow too, when only MLflow's own code can answer a request (http/mlflow.py);
    `serving` is the MlflowServing the warm-up used (made at the first invoke otherwise)."""
    for line in channel.requests():
        request_id = None
        try:
            try:
                request = json.loads(line.decode("utf-8"))
            except ValueError as e:
                raise BadRequest("request is not JSON: {}".format(e))
            if not isinstance(request, dict):
                raise BadRequest("request is not a JSON object")
            request_id = request.get("id")
            kind = request.get("type")
            if kind == "shutdown":
                channel.send({"ok": True, "id": request_id, "type": "bye"})
                return
            if kind == "ping":
                reply = {"ok": True, "type": "pong"}
            elif kind == "predict":
                reply = predict(runtime, request)
            elif kind in ("batch_inspect", "batch_part"):
                from .batch import requests as batch_requests

                reply = batch_requests.batch_inspect(request) if kind == "batch_inspect" else batch_requests.batch_part(runtime, request)
            elif kind in ("invoke", "invoke_batch"):
                if serving is None:
                    from .http.mlflow import MlflowServing

                    serving = MlflowServing(runtime, model_dir)
                if kind == "invoke":
                    reply = invoke(serving, request)
                else:
                    from .http.batch import invoke_batch

                    # Each item the batch cannot combine soundly is answered as it would be alone.
                    reply = invoke_batch(runtime, request, single=lambda item, serving=serving: invoke(serving, item))
            else:
                raise BadRequest("unknown request type {!r}".format(kind))
        except Exception as e:  # every failure becomes a reply; the worker keeps serving
            reply = error_reply(e)
        reply["id"] = request_id
        channel.send(reply)


def invoke(serving, request):
    """The reply to an `invoke` request (protocol 4): one HTTP request, answered as an `http` reply
    whatever the request holds; only a request mlf itself got wrong is an error reply."""
    protocol = request.get("protocol")
    if protocol not in INVOKE_PROTOCOLS:
        raise BadRequest("unknown invoke protocol {!r}".format(protocol))
    if not isinstance(request.get("body", ""), str):
        raise BadRequest("invoke needs a string body")
    if protocol == "v2":
        from .http.v2 import handle

        answer = handle(serving.runtime, request)
        return {"ok": True, "type": "http", "status": answer["status"], "content_type": answer["content_type"], "body": answer["body"], "timings": answer.get("timings") or {}}
    from .http.mlflow import invoke as invoke_mlflow

    return invoke_mlflow(serving, request)


def predict(runtime, request):
    """The reply to one predict request: the prediction, or the model's own failure."""
    timer = PhaseTimer()
    content_type = request.get("content_type", "json")
    if content_type not in CONTENT_TYPES:
        raise BadRequest("Unknown content type '{}'".format(content_type))
    if "data" not in request and not isinstance(request.get("input_path"), str):
        raise BadRequest("predict needs input_path or data")
    request = dict(request, content_type=content_type)
    try:
        data, params, unwrapped = runtime.parse(request)
    except RecursionError:
        from .scoring.parse import too_deep_to_convert

        raise too_deep_to_convert()
    timer.mark("parse_ms")
    try:
        raw = predict_classified(runtime, data, params)
    except WorkerError:
        raise
    except Exception as e:
        return error_reply(e, stage="predict")
    timer.mark("predict_ms")
    try:
        text = runtime.encode(raw, unwrapped)
        if request.get("strict_json"):
            from .scoring.encode import strict_json

            text = strict_json(text)
    except Exception as e:
        if find_import_error(e) is not None:
            return error_reply(e, stage="predict")
        failure = ModelOutputError("the model's output cannot be written as JSON: {}: {}".format(type(e).__name__, exception_message(e)))
        failure.__cause__ = e
        return error_reply(failure, stage="predict")
    timer.mark("encode_ms")
    reply = {"ok": True, "type": "prediction", "timings": timer.phases}
    peak = peak_rss_kb()
    if peak is not None:
        reply["max_rss_kb"] = peak
    output_path = request.get("output_path")
    if output_path:
        try:
            with open(output_path, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise BadInput("cannot write the output file: {}".format(e.strerror or e), file=output_path)
        reply["output_path"] = output_path
        reply["bytes"] = len(text)
    else:
        reply["output"] = text
    return reply
