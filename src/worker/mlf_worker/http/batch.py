"""Adaptive batching (protocol 4's `invoke_batch`): N /invocations items answered with one predict
where that is sound, each reply byte-identical to the one the item alone gets (`single`, the loop's `invoke`).

    request {"id", "type": "invoke_batch", "items": [{"protocol", "path", "content_type", "body"}...]}
    reply   {"id", "ok": true, "type": "http_batch",
             "replies": [{"status", "content_type", "body"}...], "batched_rows": int}

Each item goes through the fast steps of a single request: parse_item (content type checks and the
parse), enforce (the input schema), then, combined with others, predict_frame and encode. Items
whose enforced input is a plain DataFrame (default RangeIndex, no categorical column, unique
columns), not an LLM-style input, are grouped by (columns, dtypes, params); a group of two or more
is concatenated (pandas.concat, index reset), predicted once and split back by row counts.

Items that are a lone `dataframe_split` of plain numbers for an all-double signature skip the
DataFrame per item (double_item): their rows are stacked, and one frame built for the group.

Everything else is answered by `single`, the single-request `invoke` of http/mlflow.py (the reply
the item alone gets, by construction), so no error is worded here: an item any fast step refuses (a content type or parse error, a schema failure,
a body that is not text), an item that cannot be combined (a tensor input, a custom index, an LLM
input, a group of one), and every item of a group whose combined result cannot be split soundly
(the combined predict raised; its result is not an array, Series, DataFrame or list; its length is
not the total row count; an encoding failed). Models whose signature comes from type hints are never
combined.

What batching assumes of a model (as MLServer's and BentoML's adaptive batching do): its prediction
for a row depends on that row only, and the type of what it returns does not depend on the rows.
A combined success is encoded with the runtime's encode, as the single path encodes a success.

"""

import json

from .mlflow import CONTENT_TYPE_CSV, CONTENT_TYPE_JSON, content_type_refusal


class Refused(Exception):
    """A fast step cannot take the item (or the group) further: `single` answers it instead."""


class Parsed:
    """An item's parsed input: data, params, whether it is an LLM-style (unwrapped) input."""

    def __init__(self, data, params, unwrapped, params_key):
        self.data = data
        self.params = params
        self.unwrapped = unwrapped
        # The params as the request spelled them: items batch together only with equal keys.
        self.params_key = params_key


def parse_item(runtime, item):
    """The runtime's parse of an item MLflow would go on to parse (JSON or CSV, UTF-8, no other
    content type parameter); a Parsed, or Refused."""
    content_type = item.get("content_type")
    body = item.get("body")
    if not isinstance(content_type, str) or content_type_refusal(content_type) is not None:
        raise Refused()
    mime_type = content_type.split(";")[0].strip()
    if mime_type not in (CONTENT_TYPE_CSV, CONTENT_TYPE_JSON) or not isinstance(body, str) or "body_base64" in item:
        raise Refused()
    kind = "csv" if mime_type == CONTENT_TYPE_CSV else "json"
    try:
        if uses_mlflow(runtime) and kind == "csv" and hasattr(runtime.server, "parse_csv_input"):
            data, params, unwrapped = mlflow_csv(runtime, body), None, False
        else:
            data, params, unwrapped = runtime.parse({"content_type": kind, "data": body})
    except Exception:  # RecursionError and WorkerError included: the single path words it
        raise Refused()
    # CSV carries no params: it batches with JSON items that have none.
    params_key = "null" if kind == "csv" else params_key_of(params)
    return Parsed(data, params, unwrapped, params_key)


def mlflow_csv(runtime, body):
    """MLflow's own CSV reading (parse_csv_input, with the input schema), as invocations() reads it."""
    import io

    return runtime.server.parse_csv_input(csv_input=io.StringIO(body), schema=runtime.model.metadata.get_input_schema())


def params_key_of(params):
    """The request's params (as JSON decoded them) as a key; None (never combined) if unusual."""
    try:
        return json.dumps(params, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return None


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
    """The input after the model's schema, as predict would pass it to the model; Refused when the
    schema refuses it (the single path gives MLflow's 400)."""
    try:
        if uses_mlflow(runtime):
            import mlflow.pyfunc

            model = runtime.model
            metadata = model.metadata
            if hasattr(metadata, "_is_signature_from_type_hint") and metadata._is_signature_from_type_hint():
                return parsed.data
            data, _ = mlflow.pyfunc._validate_prediction_input(
                parsed.data, parsed.params, metadata.get_input_schema(), metadata.get_params_schema(), model.loader_module
            )
            return data
        from ..scoring.schema import validate_prediction_input

        return validate_prediction_input(parsed.data, runtime.schema, runtime.types)
    except Exception:
        raise Refused()


def warn_params(runtime, parsed):
    """The runtime without mlflow's warning that params are ignored, once per item that has them
    (MLflow's own predict logs its warning itself)."""
    if not uses_mlflow(runtime):
        from ..scoring.schema import warn_ignored_params

        warn_ignored_params(parsed.params)


def predict_frame(runtime, data, parsed):
    """The model's raw predictions for enforced `data` (any failure propagates: the group falls back)."""
    if uses_mlflow(runtime):
        return runtime.predict(data, parsed.params)
    return runtime.predict_fn(data)


def encode(runtime, raw, parsed):
    """200 with the predictions as MLflow writes them ({"predictions": ...}, or unwrapped)."""
    return {"status": 200, "content_type": "application/json", "body": runtime.encode(raw, parsed.unwrapped)}


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


class DoubleRows:
    """An item whose enforced input is double_frame's (scoring/fast_frame.py), kept as its float64
    rows: the frame is built once for the group it joins (combine_frames)."""

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)


def double_item(runtime, item):
    """(grouping key, Parsed, DoubleRows) of an item that is a lone `dataframe_split` of plain
    numbers for an all-double signature, read by the runtime without mlflow; None otherwise (the
    item takes parse_item and enforce). The key is what combinable_key gives for its frame."""
    from ..runtimes.without_mlflow import WithoutMlflowRuntime
    from ..scoring.fast_frame import double_rows

    if not isinstance(runtime, WithoutMlflowRuntime) or type(runtime).parse is not WithoutMlflowRuntime.parse:
        return None
    content_type = item.get("content_type")
    body = item.get("body")
    if not isinstance(content_type, str) or not isinstance(body, str) or "body_base64" in item:
        return None
    if content_type_refusal(content_type) is not None or content_type.split(";")[0].strip() != CONTENT_TYPE_JSON:
        return None
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(decoded, dict) or len(decoded) != 1 or "dataframe_split" not in decoded:
        return None
    rows = double_rows(decoded["dataframe_split"], runtime.schema)
    if rows is None:
        return None
    names = runtime.schema.input_names()
    params_key = params_key_of(None)
    key = (tuple(repr(name) for name in names), ("float64",) * len(names), params_key)
    return key, Parsed(rows, None, False, params_key), DoubleRows(rows)


def combine_frames(runtime, frames):
    """One DataFrame of the group's inputs, as pandas.concat(frames, ignore_index=True) gives it."""
    import pandas as pd

    if all(isinstance(frame, DoubleRows) for frame in frames):
        import numpy as np

        from ..scoring.fast_frame import frame_of

        return frame_of(np.concatenate([frame.rows for frame in frames]), runtime.schema)
    if any(isinstance(frame, DoubleRows) for frame in frames):
        from ..scoring.fast_frame import frame_of

        frames = [frame_of(frame.rows, runtime.schema) if isinstance(frame, DoubleRows) else frame for frame in frames]
    return pd.concat(frames, ignore_index=True)


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
            combined = combine_frames(runtime, frames)
            raw = predict_frame(runtime, combined, first)
        except Exception:  # each item gets its own answer below
            raw = None
        pieces = split_predictions(raw, counts) if raw is not None else None
        if pieces is not None:
            encoded = []
            for (index, _, parsed), piece in zip(members, pieces):
                try:
                    encoded.append((index, encode(runtime, piece, parsed)))
                except Exception:
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


def invoke_batch(runtime, request, single):
    """The reply to an `invoke_batch` request (see the module's docstring). `single(item)` answers
    one item as a lone request would be answered (the loop's `invoke`)."""
    from ..errors import BadRequest

    items = request.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest("invoke_batch needs items: a list of objects")
    if any(i.get("protocol") != "mlflow" or i.get("path") != "/invocations" for i in items):
        raise BadRequest("invoke_batch items must be MLflow /invocations requests")
    answer = lambda index: http_fields(single(items[index]))  # noqa: E731
    replies = [None] * len(items)
    groups = {}
    combine = can_combine(runtime)
    for index, item in enumerate(items):
        fast = double_item(runtime, item) if combine else None
        if fast is not None:
            key, parsed, data = fast
            groups.setdefault(key, []).append((index, data, parsed))
            continue
        try:
            parsed = parse_item(runtime, item)
            data = enforce(runtime, parsed)
        except Refused:
            parsed = None
        if parsed is None:
            # Answered outside the `except`: a traceback MLflow writes into the body must not
            # carry this refusal as its context.
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
