"""The pytorch flavor without mlflow, after mlflow/pytorch/__init__.py (MLflow 3.17.2): `_load_pyfunc`
(the device from the pyfunc `config`, else MLFLOW_DEFAULT_PREDICTION_DEVICE, else cuda when there
is one, else cpu), `_load_model` for the `pickle` format (`torch.load` of data/model.pth with the
pickle module that pickle_module_info.txt names, weights_only=False, then eval() and to(device))
and for the `pt2` format (`torch.export.load(data/model.pt2).module()`, kept on its device), and
`_PyTorchWrapper.predict` (a DataFrame's float32 values or an array as one tensor, no_grad; the
output tensor back as a DataFrame on the input's index for a DataFrame, as an array otherwise).

MLflow's own pickle module, `mlflow.pytorch.pickle_module`, is cloudpickle's names with pickle's
Unpickler: a module of those stands in for it, so that loading does not import mlflow. The `pt2`
format (torch.export, MLflow's default) always has a tensor signature: tensor_schema.py enforces
it. Forecasting models (pytorch_forecasting), devices other than the CPU, and a pt2 archive under
MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false (MLflow then vets its records first) are MLflow's."""

import importlib
import importlib.util
import itertools
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


def load_pickled(path, torch, device):
    """`_load_model` for data/model.pth: torch.load with the recorded pickle module, eval, to(device)."""
    model_path = os.path.join(path, "model.pth")
    if importlib.util.find_spec("pytorch_forecasting") is not None:
        raise NeedsMlflow("pytorch_forecasting is installed (its models predict on DataFrames)")
    require_pickle_allowed()
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
    return torch_model


def load_exported(path, torch):
    """`_load_model` for data/model.pt2: torch.export.load(...).module(), on the CPU its weights
    were exported on (an exported program's tensors cannot be moved: MLflow checks, not moves)."""
    model_path = os.path.join(path, "model.pt2")
    # torch's TorchVersion compares with a version string as PEP 440 says.
    if torch.__version__ < "2.4":
        raise NeedsMlflow("torch {} cannot load a torch.export model (2.4 or later can)".format(torch.__version__))
    # MLflow vets the archive for pickle payloads first when pickles are disallowed.
    require_pickle_allowed()
    try:
        torch_model = torch.export.load(model_path).module()
    except Exception as e:
        raise LoadFailure(e, model_path)
    for tensor in itertools.chain(torch_model.parameters(), torch_model.buffers()):
        if tensor.device.type != "cpu":
            raise NeedsMlflow("the exported model's weights are on `{}`".format(tensor.device.type))
    return torch_model


def load_pytorch(model):
    path = pyfunc_data_path(model)
    if not os.path.isdir(path):
        raise NeedsMlflow("the pytorch model's data is a file, not MLflow's data directory")
    pickled = os.path.exists(os.path.join(path, "model.pth"))
    import torch

    device = prediction_device(model, torch)
    torch_model = load_pickled(path, torch, device) if pickled else load_exported(path, torch)

    def predict(data):
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            inp_data = data.to_numpy(dtype=np.float32)
        elif isinstance(data, np.ndarray):
            inp_data = data
        elif isinstance(data, (list, dict)):
            raise TypeError(
                "The PyTorch flavor does not support List or Dict input types. "
                "Please use a pandas.DataFrame or a numpy.ndarray"
            )
        else:
            raise TypeError("Input data should be pandas.DataFrame or numpy.ndarray")
        with torch.no_grad():
            preds = torch_model(torch.from_numpy(inp_data).to(device))
            if not isinstance(preds, torch.Tensor):
                raise TypeError(
                    "Expected PyTorch model to output a single output tensor, but got output of type '{}'".format(type(preds))
                )
            if isinstance(data, pd.DataFrame):
                predicted = pd.DataFrame(preds.numpy())
                predicted.index = data.index
                return predicted
            return preds.numpy()

    return predict


class PytorchRuntime(FlavorRuntime):
    name = "pytorch"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_pytorch)
