"""Output encoding, ported from MLflow 3.17.2 without mlflow:

  mlflow/pyfunc/scoring_server/__init__.py   `predictions_to_json`, `unwrapped_predictions_to_json`
  mlflow/utils/proto_json_utils.py           `NumpyEncoder`, `_get_jsonable_obj`

MLflow writes with json.dump's defaults, so NaN and infinities come out bare (`NaN`: not JSON);
strict_json is mlf's --strict-json, which writes them as null.
"""

import base64
import datetime
import json
import sys


class NumpyEncoder(json.JSONEncoder):
    def try_convert(self, o):
        import numpy as np
        import pandas as pd

        def encode_binary(x):
            return base64.encodebytes(x).decode("ascii")

        if isinstance(o, np.ndarray):
            if o.dtype == object:
                return [self.try_convert(x)[0] for x in o.tolist()], True
            if o.dtype == np.bytes_:
                return np.vectorize(encode_binary)(o), True
            return o.tolist(), True
        if isinstance(o, np.generic):
            return o.item(), True
        if isinstance(o, (bytes, bytearray)):
            return encode_binary(o), True
        if isinstance(o, np.datetime64):
            return np.datetime_as_string(o), True
        if isinstance(o, (pd.Timestamp, datetime.date, datetime.datetime, datetime.time)):
            return o.isoformat(), True
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and isinstance(o, getattr(pydantic, "BaseModel", ())):
            return o.model_dump(), True
        return o, False

    def default(self, o):
        res, converted = self.try_convert(o)
        if converted:
            return res
        return super().default(o)


def jsonable(data):
    import numpy as np
    import pandas as pd

    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(data, pd.DataFrame):
        return data.to_dict(orient="records")
    if isinstance(data, pd.Series):
        return pd.DataFrame(data).to_dict(orient="records")
    return data


def encode_predictions(raw, unwrapped):
    """`{"predictions": ...}`, or the predictions alone for an LLM-style input (`unwrapped`)."""
    payload = jsonable(raw) if unwrapped else {"predictions": jsonable(raw)}
    return json.dumps(payload, cls=NumpyEncoder)


def strict_json(text):
    """MLflow's output with NaN and infinities as null: valid JSON (mlf's --strict-json)."""

    def finite(value):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return None
        if isinstance(value, list):
            return [finite(v) for v in value]
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        return value

    return json.dumps(finite(json.loads(text)))
