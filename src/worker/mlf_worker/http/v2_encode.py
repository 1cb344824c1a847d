"""Open Inference (V2): the model's output as the response's outputs, as MLServer's codecs encode
them (mlserver/codecs/{numpy,pandas,utils}.py, MLServer 1.7.1). http/v2.py explains the choices."""

import json
import math

from .v2_model import NUMPY_TO_DATATYPE, V2Error


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
