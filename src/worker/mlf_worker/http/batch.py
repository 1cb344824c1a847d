"""Adaptive batching (protocol 4's `invoke_batch`): N /invocations items answered with one predict
where that is sound, each reply byte-identical to the one the item alone gets (`invoke_one`).

    request {"id", "type": "invoke_batch", "items": [{"protocol", "path", "content_type", "body"}...]}
    reply   {"id", "ok": true, "type": "http_batch",
             "replies": [{"status", "content_type", "body"}...], "batched_rows": int}

Each item goes through the fast steps of a single request: parse_item (content type checks and the
parse), enforce (the input schema), then, combined with others, predict_frame and encode. Items
whose enforced input is a plain DataFrame (default RangeIndex, no categorical column, unique
columns), not an LLM-style input, are grouped by (columns, dtypes, params); a group of two or more
is concatenated (pandas.concat, index reset), predicted once and split back by row counts.

Everything else is answered by `single`, the single-request `invoke` (the reply the item alone gets,
by construction): an item any fast step refuses (a content type or parse error, a schema failure,
a body that is not text), an item that cannot be combined (a tensor input, a custom index, an LLM
input, a group of one), and every item of a group whose combined result cannot be split soundly
(the combined predict raised; its result is not an array, Series, DataFrame or list; its length is
not the total row count; an encoding failed). Models whose signature comes from type hints are never
combined.

What batching assumes of a model (as MLServer's and BentoML's adaptive batching do): its prediction
for a row depends on that row only, and the type of what it returns does not depend on the rows.
A combined success is encoded with the runtime's encode, as the single path encodes a success.

MERGE NOTE (serve-batch, written before serve-core's mlflow.py was in this branch): `invoke_one`
below is a minimal single-item /invocations path built from the same steps, so that this branch
runs on its own. When merged, the loop passes mlflow.py's `invoke` as `single` and invoke_one (with
its error wording: mlflow_error, worker_error_reply, ...) goes away; the fast steps stay.
"""

import json
import traceback

from ..errors import SchemaError, WorkerError
from ..scoring.parse import SCORING_PROTOCOL_CHANGE_INFO, too_deep_to_convert

JSON = "application/json"
TEXT = "text/plain"
CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_CSV = "text/csv"
# MLflow 3.17.2's CONTENT_TYPES, as its 415 lists them (parquet is answered by `single`).
MLFLOW_CONTENT_TYPES = ["text/csv", "application/json", "application/vnd.apache.parquet"]
MODEL_FAILURE = (
    "Encountered an unexpected error while evaluating the model. Verify"
    " that the serialized input Dataframe is compatible with the model for"
    " inference."
)


class ItemReply(Exception):
    """A step's answer for one item, ending its path: {"status", "content_type", "body"}."""

    def __init__(self, status, content_type, body):
        super().__init__(status)
        self.reply = {"status": status, "content_type": content_type, "body": body}


class Parsed:
    """An item's parsed input: data, params, whether it is an LLM-style (unwrapped) input."""

    def __init__(self, data, params, unwrapped, params_key):
        self.data = data
        self.params = params
        self.unwrapped = unwrapped
        # The params as the request spelled them: items batch together only with equal keys.
        self.params_key = params_key


def mlflow_error(error_code, message, status=400, **extra):
    body = {"error_code": error_code, "message": message}
    body.update(extra)
    return ItemReply(status, JSON, json.dumps(body))


def internal_error():
    # What FastAPI answers for an exception outside MLflow's wrapper.
    return ItemReply(500, TEXT, "Internal Server Error")


def parse_item(runtime, item):
    """MLflow's content type checks (invocations(), 415s as text/plain), then the runtime's parse.
    Returns a Parsed; raises ItemReply."""
    content_type = item.get("content_type")
    if not isinstance(content_type, str):
        raise internal_error()
    parts = [p.strip() for p in content_type.split(";")]
    mime_type = parts[0]
    parameters = {key: value for pair in parts[1:] for key, _, value in [pair.partition("=")]}
    if parameters.get("charset", "utf-8").lower() != "utf-8":
        raise ItemReply(415, TEXT, "The scoring server only supports UTF-8")
    unexpected = set(parameters).difference({"charset"})
    if unexpected:
        raise ItemReply(
            415, TEXT, "Unrecognized content type parameters: {}. {}".format(", ".join(unexpected), SCORING_PROTOCOL_CHANGE_INFO)
        )
    if mime_type == CONTENT_TYPE_CSV:
        kind = "csv"
    elif mime_type == CONTENT_TYPE_JSON:
        kind = "json"
    else:
        raise ItemReply(
            415,
            TEXT,
            "This predictor only supports the following content types: Types: {}. Got '{}'.".format(MLFLOW_CONTENT_TYPES, content_type),
        )
    body = item.get("body")
    if not isinstance(body, str) or "body_base64" in item:
        raise internal_error()
    try:
        try:
            if uses_mlflow(runtime) and kind == "csv" and hasattr(runtime.server, "parse_csv_input"):
                data, params, unwrapped = mlflow_csv(runtime, body), None, False
            else:
                data, params, unwrapped = runtime.parse({"content_type": kind, "data": body})
        except RecursionError:
            raise too_deep_to_convert()
    except ItemReply:
        raise
    except WorkerError as e:
        raise worker_error_reply(e, None)
    except Exception:
        raise internal_error()
    # CSV carries no params: it batches with JSON items that have none.
    params_key = "null" if kind == "csv" else params_key_of(params)
    return Parsed(data, params, unwrapped, params_key)


def mlflow_csv(runtime, body):
    """MLflow's own CSV reading (parse_csv_input, with the input schema), as invocations() reads it."""
    import io

    from mlflow.exceptions import MlflowException

    try:
        return runtime.server.parse_csv_input(csv_input=io.StringIO(body), schema=runtime.model.metadata.get_input_schema())
    except MlflowException as e:
        raise ItemReply(e.get_http_status_code(), JSON, e.serialize_as_json())


def params_key_of(params):
    """The request's params (as JSON decoded them) as a key; None (never combined) if unusual."""
    try:
        return json.dumps(params, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return None


def worker_error_reply(error, data):
    """A WorkerError of parse or enforce as MLflow's error body: the full text MLflow gives (the
    reply's detail when the worker cut it)."""
    text = error.extra.get("detail") or error.message
    if isinstance(error, SchemaError):
        # As MLflow's MlflowException.invalid_parameter_value(..., error_class=...) serializes.
        return mlflow_error(
            "INVALID_PARAMETER_VALUE",
            "Failed to predict data '{}'. \nError: {}".format(data, text),
            error_class="SCHEMA_ENFORCEMENT_FAILED",
        )
    return mlflow_error("BAD_REQUEST", text)


def uses_mlflow(runtime):
    return getattr(runtime, "name", None) == "mlflow"


def can_combine(runtime):
    """Whether items may be predicted together at all (type-hint signatures validate inside the
    model's own predict, on the whole input)."""
    if uses_mlflow(runtime):
        metadata = runtime.model.metadata
        for check in ("_is_signature_from_type_hint", "_is_type_hint_from_example"):
            if hasattr(metadata, check) and getattr(metadata, check)():
                return False
    return True


def enforce(runtime, parsed):
    """The input after the model's schema, as predict would pass it to the model; a failure is the
    item's own reply (400 INVALID_PARAMETER_VALUE, MLflow's words)."""
    if uses_mlflow(runtime):
        import mlflow.pyfunc
        from mlflow.exceptions import MlflowException

        model = runtime.model
        metadata = model.metadata
        if hasattr(metadata, "_is_signature_from_type_hint") and metadata._is_signature_from_type_hint():
            return parsed.data
        try:
            data, _ = mlflow.pyfunc._validate_prediction_input(
                parsed.data, parsed.params, metadata.get_input_schema(), metadata.get_params_schema(), model.loader_module
            )
        except MlflowException as e:
            raise mlflow_exception_reply(e, parsed.data)
        except Exception:
            raise model_failure_reply()
        return data
    from ..scoring.schema import validate_prediction_input

    try:
        return validate_prediction_input(parsed.data, runtime.schema, runtime.types)
    except WorkerError as e:
        raise worker_error_reply(e, parsed.data)
    except Exception:
        raise model_failure_reply()


def warn_params(runtime, parsed):
    """The runtime without mlflow's warning that params are ignored, once per item that has them
    (MLflow's own predict logs its warning itself)."""
    if not uses_mlflow(runtime):
        from ..scoring.schema import warn_ignored_params

        warn_ignored_params(parsed.params)


def mlflow_exception_reply(error, data):
    # invocations(): an MlflowException of predict keeps its code, its message prefixed.
    error.message = "Failed to predict data '{}'. \nError: {}".format(data, error.message)
    return ItemReply(error.get_http_status_code(), JSON, error.serialize_as_json())


def model_failure_reply():
    """MLflow's answer to any other exception of predict; call inside the `except`."""
    return mlflow_error("BAD_REQUEST", MODEL_FAILURE, stack_trace=traceback.format_exc())


def predict_frame(runtime, data, parsed):
    """The model's raw predictions for enforced `data`; its failure as MLflow answers it."""
    try:
        if uses_mlflow(runtime):
            from mlflow.exceptions import MlflowException

            try:
                return runtime.predict(data, parsed.params)
            except MlflowException as e:
                raise mlflow_exception_reply(e, parsed.data)
        return runtime.predict_fn(data)
    except ItemReply:
        raise
    except Exception:
        raise model_failure_reply()


def encode(runtime, raw, parsed):
    """200 with the predictions as MLflow writes them ({"predictions": ...}, or unwrapped)."""
    try:
        text = runtime.encode(raw, parsed.unwrapped)
    except Exception:
        raise internal_error()
    return {"status": 200, "content_type": JSON, "body": text}


def invoke_one(runtime, item):
    """The reply one /invocations item gets on its own."""
    try:
        parsed = parse_item(runtime, item)
        data = enforce(runtime, parsed)
        warn_params(runtime, parsed)
        return encode(runtime, predict_frame(runtime, data, parsed), parsed)
    except ItemReply as r:
        return r.reply


def combinable_key(data, parsed):
    """The grouping key of an enforced input that may be concatenated with others, else None."""
    import pandas as pd

    if parsed.unwrapped or parsed.params_key is None or not isinstance(data, pd.DataFrame):
        return None
    index = data.index
    if not isinstance(index, pd.RangeIndex) or index.start != 0 or index.step != 1 or len(data) == 0:
        return None
    columns = data.columns
    if columns.has_duplicates:
        return None
    dtypes = data.dtypes.tolist()
    if any(isinstance(dtype, pd.CategoricalDtype) for dtype in dtypes):
        return None
    return (tuple(repr(name) for name in columns.tolist()), tuple(str(dtype) for dtype in dtypes), parsed.params_key)


def split_predictions(raw, counts):
    """`raw` cut into pieces of `counts` rows, or None when that is not sound."""
    import numpy as np
    import pandas as pd

    total = sum(counts)
    if isinstance(raw, np.ndarray):
        if raw.ndim == 0 or raw.shape[0] != total:
            return None
        cut = lambda a, b: raw[a:b]  # noqa: E731
    elif isinstance(raw, (pd.Series, pd.DataFrame)):
        if len(raw) != total:
            return None
        cut = lambda a, b: raw.iloc[a:b]  # noqa: E731
    elif isinstance(raw, list):
        if len(raw) != total:
            return None
        cut = lambda a, b: raw[a:b]  # noqa: E731
    else:
        return None
    pieces = []
    start = 0
    for count in counts:
        pieces.append(cut(start, start + count))
        start += count
    return pieces


def predict_group(runtime, members, replies, items, single):
    """Predicts a group of (index, data, parsed) together; returns the rows predicted together (0
    when the group fell back to `single`, one by one)."""
    import pandas as pd

    if len(members) > 1:
        frames = [data for _, data, _ in members]
        counts = [len(f) for f in frames]
        first = members[0][2]
        try:
            combined = pd.concat(frames, ignore_index=True)
            raw = predict_frame(runtime, combined, first)
        except Exception:  # ItemReply included: each item gets its own answer below
            raw = None
        pieces = split_predictions(raw, counts) if raw is not None else None
        if pieces is not None:
            encoded = []
            for (index, _, parsed), piece in zip(members, pieces):
                try:
                    encoded.append((index, encode(runtime, piece, parsed)))
                except ItemReply:
                    encoded = None
                    break
            if encoded is not None:
                for (index, reply), (_, _, parsed) in zip(encoded, members):
                    warn_params(runtime, parsed)
                    replies[index] = reply
                return sum(counts)
    for index, _, _ in members:
        replies[index] = single(items[index])
    return 0


def http_fields(reply):
    """An item's reply as invoke_batch carries it (a single invoke's reply has more keys)."""
    return {"status": reply["status"], "content_type": reply["content_type"], "body": reply["body"]}


def invoke_batch(runtime, request, single=None):
    """The reply to an `invoke_batch` request (see the module's docstring). `single(item)` answers
    one item as a lone request would be answered (default: invoke_one)."""
    from ..errors import BadRequest

    items = request.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest("invoke_batch needs items: a list of objects")
    if any(i.get("protocol") != "mlflow" or i.get("path") != "/invocations" for i in items):
        raise BadRequest("invoke_batch items must be MLflow /invocations requests")
    if single is None:
        single = lambda item: invoke_one(runtime, item)  # noqa: E731
    answer = lambda index: http_fields(single(items[index]))  # noqa: E731
    replies = [None] * len(items)
    groups = {}
    combine = can_combine(runtime)
    for index, item in enumerate(items):
        try:
            parsed = parse_item(runtime, item)
            data = enforce(runtime, parsed)
        except ItemReply:
            replies[index] = answer(index)
            continue
        key = combinable_key(data, parsed) if combine else None
        if key is None:
            replies[index] = answer(index)
        else:
            groups.setdefault(key, []).append((index, data, parsed))
    batched_rows = 0
    for members in groups.values():
        if len(members) == 1:
            replies[members[0][0]] = answer(members[0][0])
        else:
            batched_rows += predict_group(runtime, members, replies, items, lambda item: http_fields(single(item)))
    return {"ok": True, "type": "http_batch", "replies": replies, "batched_rows": batched_rows}
