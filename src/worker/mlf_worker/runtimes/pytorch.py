"""The pytorch flavor without mlflow, after mlflow/pytorch/__init__.py (MLflow 3.17.2): `_load_pyfunc`
(the device from the pyfunc `config`, else MLFLOW_DEFAULT_PREDICTION_DEVICE, else cuda when there
is one, else cpu), `_load_model` for the `pickle` format (`torch.load` of data/model.pth with the
pickle module that pickle_module_info.txt names, weights_only=False, then eval() and to(device))
and `_PyTorchWrapper.predict` for a DataFrame (float32 values as one tensor, no_grad, the output
tensor back as a DataFrame on the input's index).

MLflow's own pickle module, `mlflow.pytorch.pickle_module`, is cloudpickle's names with pickle's
Unpickler: a module of those stands in for it, so that loading does not import mlflow. The `pt2`
format (torch.export, MLflow's default) always has a tensor signature, which is MLflow's to enforce;
forecasting models (pytorch_forecasting) and devices other than the CPU are MLflow's too."""

import importlib
import importlib.util
import os
import types

from ..errors import LoadFailure, NeedsMlflow
from .flavor_files import pyfunc_data_path, require_pickle_allowed
from .without_mlflow import FlavorRuntime

MLFLOW_PICKLE_MODULE = "mlflow.pytorch.pickle_module"


def mlflow_pickle_module():
    import pickle

    import cloudpickle

    module = types.ModuleType(MLFLOW_PICKLE_MODULE)
    for name in dir(cloudpickle):
        if not name.startswith("_"):
            setattr(module, name, getattr(cloudpickle, name))
    module.Unpickler = pickle.Unpickler
    module.Pickler = cloudpickle.CloudPickler
    return module


def pickle_module(name):
    if name == MLFLOW_PICKLE_MODULE:
        return mlflow_pickle_module()
    if name == "mlflow" or name.startswith("mlflow."):
        raise NeedsMlflow("the model was pickled with {}".format(name))
    return importlib.import_module(name)


def prediction_device(model, torch):
    config = model.pyfunc_conf.get("config")
    device = config.get("device") if isinstance(config, dict) else None
    if device is None:
        device = os.environ.get("MLFLOW_DEFAULT_PREDICTION_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    if device != "cpu":
        raise NeedsMlflow("the model predicts on `{}`".format(device))
    return device


def load_pytorch(model):
    path = pyfunc_data_path(model)
    model_path = os.path.join(path, "model.pth")
    if not os.path.isdir(path) or not os.path.exists(model_path):
        raise NeedsMlflow("the pytorch model is not in the pickle format (data/model.pth)")
    if importlib.util.find_spec("pytorch_forecasting") is not None:
        raise NeedsMlflow("pytorch_forecasting is installed (its models predict on DataFrames)")
    require_pickle_allowed()
    import torch

    device = prediction_device(model, torch)
    info = os.path.join(path, "pickle_module_info.txt")
    try:
        with open(info) as f:
            module = pickle_module(f.read())
        torch_model = torch.load(model_path, pickle_module=module, weights_only=False)
    except NeedsMlflow:
        raise
    except Exception as e:
        raise LoadFailure(e, model_path)
    torch_model.eval()
    torch_model.to(device=device)

    def predict(data):
        import numpy as np
        import pandas as pd

        with torch.no_grad():
            preds = torch_model(torch.from_numpy(data.to_numpy(dtype=np.float32)).to(device))
            if not isinstance(preds, torch.Tensor):
                raise TypeError(
                    "Expected PyTorch model to output a single output tensor, but got output of type '{}'".format(type(preds))
                )
            predicted = pd.DataFrame(preds.numpy())
            predicted.index = data.index
            return predicted

    return predict


class PytorchRuntime(FlavorRuntime):
    name = "pytorch"
    load_predict_fn = staticmethod(load_pytorch)
