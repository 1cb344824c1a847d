"""Open Inference (V2): an infer request checked against the protocol's shape, and decoded into the
model's input as MLServer's codecs do (mlserver/codecs/{numpy,pandas,string}.py, MLServer 1.7.1).
http/v2.py explains the content types."""

import json

from .v2_model import DATATYPES, V2Error

# Request parameters that are the protocol's own; every other one becomes an MLflow param.
REQUEST_PARAMETERS = ("content_type", "headers")


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
