"""The interface between the request loop (loop.py) and a loaded model.

Shaped after Seldon MLServer's runtimes (`MLModel.load` / `predict`, with codecs to decode the
request and encode the response) and MLflow's scoring server, whose `invocations` parses the input,
calls the model's predict and writes its predictions as JSON (mlflow/pyfunc/scoring_server/
__init__.py, MLflow 3.17.2). The loop calls these and nothing else; it never asks which runtime it
holds.
"""


class ModelToLoad:
    """What MLmodel says about the model a runtime is asked to load."""

    def __init__(self, model_dir, mlmodel, mlmodel_path, pyfunc_conf, model_cache_dir):
        self.model_dir = model_dir
        self.mlmodel = mlmodel
        self.mlmodel_path = mlmodel_path
        # MLmodel's `flavors.python_function`.
        self.pyfunc_conf = pyfunc_conf
        self.signature = mlmodel.get("signature") or None
        # Where the skops transcoding cache keeps its pickles (cache/skops.py); None: no cache.
        self.model_cache_dir = model_cache_dir


class Runtime:
    # The runtime's name in the `ready` message (protocol.ts, LoadedRuntime).
    name = None
    # MLmodel's `signature` (a dict of JSON texts) or None; load_runtime sets it after load.
    signature = None

    @classmethod
    def load(cls, model, schema=None):
        """Loads `model` (a ModelToLoad). A runtime without mlflow gets the parsed input schema
        (scoring/signature.py) and raises NeedsMlflow when it cannot give MLflow's result."""
        raise NotImplementedError

    def parse(self, request):
        """(data, params, unwrapped) from a predict request: its `content_type` ("json" or
        "csv") and either `data` (the text) or `input_path`. `unwrapped`: an LLM-style input,
        whose predictions are written without the {"predictions": ...} wrapper."""
        raise NotImplementedError

    def predict(self, data, params):
        """The model's raw predictions, after the input is checked against the signature."""
        raise NotImplementedError

    def encode(self, raw, unwrapped):
        """The predictions as the text `mlflow models predict` writes."""
        raise NotImplementedError

    def classify_error(self, error):
        """A WorkerError to report instead of an exception predict raised, or None to report it as
        the model's own failure (or a missing module)."""
        return None
