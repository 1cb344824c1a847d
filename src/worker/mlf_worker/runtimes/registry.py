"""Which runtime loads a model directory: one that skips importing mlflow where its ports cover the
model completely, else MLflow itself (`--runtime auto`); always MLflow under `--runtime mlflow`.

The runtimes without mlflow are imported only when a model needs them (each module's import is
paid on every start that uses it; scikit-learn's models never pay for models-from-code's).
"""

import importlib
import os

from ..errors import NeedsMlflow, cut_message
from ..model_dir import check_signature, python_function_conf
from ..scoring.signature import parse_input_schema
from .base import ModelToLoad

# loader_module of MLmodel's python_function flavor -> (module under runtimes/, runtime class).
RUNTIMES_WITHOUT_MLFLOW = {
    "mlflow.sklearn": ("sklearn", "SklearnRuntime"),
    "mlflow.xgboost": ("xgboost", "XgboostRuntime"),
    "mlflow.lightgbm": ("lightgbm", "LightgbmRuntime"),
    "mlflow.catboost": ("catboost", "CatboostRuntime"),
    "mlflow.statsmodels": ("statsmodels", "StatsmodelsRuntime"),
    "mlflow.onnx": ("onnx", "OnnxRuntime"),
    "mlflow.keras": ("keras", "KerasRuntime"),
    "mlflow.pytorch": ("pytorch", "PytorchRuntime"),
    "mlflow.tensorflow": ("tensorflow", "TensorflowRuntime"),
    "mlflow.pyfunc.loaders.code_model": ("code_model", "CodeModelRuntime"),
}


def load_runtime(model_dir, choice, mlmodel, model_cache_dir=None):
    """(the loaded runtime, why MLflow loads it or None)."""
    mlmodel_path = os.path.join(model_dir, "MLmodel")
    pyfunc_conf = python_function_conf(mlmodel, mlmodel_path)
    check_signature(mlmodel, mlmodel_path)
    model = ModelToLoad(model_dir, mlmodel, mlmodel_path, pyfunc_conf, model_cache_dir)
    runtime, reason = load_chosen_runtime(model, choice, mlmodel)
    # MLmodel's signature, for what the serving protocols say of the model (http/v2.py's metadata).
    runtime.signature = model.signature
    return runtime, reason


def load_chosen_runtime(model, choice, mlmodel):
    if choice == "mlflow":
        return mlflow_runtime().load(model), "--runtime mlflow"
    try:
        schema = schema_without_mlflow(mlmodel, model.signature)
        pyfunc_conf = model.pyfunc_conf
        loader = pyfunc_conf.get("loader_module")
        if loader not in RUNTIMES_WITHOUT_MLFLOW:
            raise NeedsMlflow("loader_module `{}` needs mlflow".format(loader))
        module, name = RUNTIMES_WITHOUT_MLFLOW[loader]
        runtime_class = getattr(importlib.import_module("." + module, __package__), name)
        if schema is not None and schema.is_tensor and not runtime_class.takes_tensor_signatures:
            raise NeedsMlflow("the signature is tensor-based, which the {} runtime does not enforce".format(runtime_class.name))
        return runtime_class.load(model, schema), None
    except NeedsMlflow as e:
        reason, _ = cut_message(str(e))
    return mlflow_runtime().load(model), reason


def schema_without_mlflow(mlmodel, signature):
    """The input schema a runtime without mlflow enforces; NeedsMlflow for what only MLflow can."""
    if mlmodel.get("is_signature_from_type_hint") or mlmodel.get("type_hint_from_example"):
        raise NeedsMlflow("the signature comes from type hints")
    metadata = mlmodel.get("metadata")
    if isinstance(metadata, dict) and metadata.get("mlflow.model.is_external"):
        raise NeedsMlflow("the model is external")
    return parse_input_schema(signature)


def mlflow_runtime():
    from .mlflow import MlflowRuntime

    return MlflowRuntime
