"""A runtime that loads a model without importing mlflow (seconds of start-up) and scores with
mlf's ports of MLflow's scoring code (scoring/): used only where those ports cover the model
completely (scalar column signatures, tensor signatures where the runtime says so, no params
schema, no type-hint signatures). Its predictions
are MLflow's by construction of those checks; the tests compare them with `mlflow models predict`.
"""

from ..scoring.encode import encode_predictions
from ..scoring.parse import csv_source, parse_json_request, read_csv_input, read_input_text
from ..scoring.schema import validate_prediction_input, warn_ignored_params
from ..scoring.signature import Types
from .base import Runtime


class WithoutMlflowRuntime(Runtime):
    # Whether predict_fn takes what a tensor signature's enforcement gives (arrays, a dict of
    # arrays) as MLflow's wrapper of the flavor does; else such a model is MLflow's to load.
    takes_tensor_signatures = False

    def __init__(self, predict_fn, schema):
        self.predict_fn = predict_fn
        self.schema = schema
        self.types = Types()
        self.csv_inputs = schema.csv_dtypes() if schema is not None else None

    def parse(self, request):
        if request["content_type"] == "csv":
            return read_csv_input(csv_source(request), self.csv_inputs), None, False
        return parse_json_request(read_input_text(request), self.schema, self.types)

    def predict(self, data, params):
        data = validate_prediction_input(data, self.schema, self.types)
        warn_ignored_params(params)
        return self.predict_fn(data)

    def encode(self, raw, unwrapped):
        return encode_predictions(raw, unwrapped)


class FlavorRuntime(WithoutMlflowRuntime):
    """A flavor's runtime: its module gives `load_predict_fn(model)`, the function its MLflow
    pyfunc wrapper's `predict` is, on the model loaded with the flavor's own library."""

    load_predict_fn = None

    @classmethod
    def load(cls, model, schema=None):
        from ..model_dir import add_code_to_sys_path

        # mlflow.pyfunc.load_model does this for every flavor before its `_load_pyfunc`.
        add_code_to_sys_path(model.model_dir, model.pyfunc_conf)
        return cls(cls.load_predict_fn(model), schema)
