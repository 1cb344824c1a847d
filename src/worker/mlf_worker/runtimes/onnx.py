"""The onnx flavor without mlflow, after mlflow/onnx/__init__.py (MLflow 3.17.2): `_OnnxModelWrapper`
(an onnxruntime InferenceSession on the pyfunc data file with the providers MLmodel declares, those
this onnxruntime lacks dropped with a warning, CPU when none is left or they fail to start) and its
`predict`: a DataFrame (one input takes the frame's values, several inputs a column each; each output
flattened into a column), an array (the model's one input; MLflow's error for a model with several)
or a dict of named arrays (the feeds as they are; an array or a dict, what a tensor signature's
enforcement gives, predicts a dict of the outputs); float64 cast to float32 where the input is
`tensor(float)`."""

from .. import logs
from ..errors import LoadFailure, NeedsMlflow
from .flavor_files import flavor_conf, pyfunc_data_path
from .without_mlflow import FlavorRuntime

DEFAULT_PROVIDERS = ["CUDAExecutionProvider", "CPUExecutionProvider"]
CPU = ["CPUExecutionProvider"]


def provider_name(entry):
    if isinstance(entry, (list, tuple)):
        entry = entry[0] if entry else None
    return entry if isinstance(entry, str) else None


def declared_providers(conf):
    providers = conf["providers"] if "providers" in conf else DEFAULT_PROVIDERS
    if isinstance(providers, str):
        providers = [providers]
    elif not providers:
        providers = DEFAULT_PROVIDERS
    return [tuple(p) if isinstance(p, list) else p for p in providers]


def open_session(path, providers):
    import onnxruntime

    available = set(onnxruntime.get_available_providers())
    usable = [p for p in providers if provider_name(p) in available]
    missing = [p for p in providers if provider_name(p) not in available]
    if missing:
        logs.warning(
            "ONNX model declares execution providers {} but {} are unavailable in this onnxruntime build; "
            "serving with {}.".format(providers, missing, usable or CPU)
        )
    requested = usable or CPU
    try:
        return onnxruntime.InferenceSession(path, providers=requested, sess_options=onnxruntime.SessionOptions())
    except Exception:
        if requested == CPU:
            raise
        logs.warning("ONNX model requested execution providers {}, which failed to start; using the CPU.".format(requested))
        return onnxruntime.InferenceSession(path, providers=CPU, sess_options=onnxruntime.SessionOptions())


def load_onnx(model):
    conf = flavor_conf(model, "onnx")
    if conf.get("onnx_session_options"):
        raise NeedsMlflow("the onnx flavor sets onnx_session_options")
    path = pyfunc_data_path(model)
    try:
        session = open_session(path, declared_providers(conf))
    except Exception as e:
        raise LoadFailure(e, path)
    inputs = [(i.name, i.type) for i in session.get_inputs()]
    output_names = [o.name for o in session.get_outputs()]
    if not inputs:
        raise NeedsMlflow("the ONNX model has no inputs")
    # Every prediction builds a DataFrame: importing pandas here, at load, lets it overlap the
    # CLI's own start (the early-started worker loads while Node prepares the environment) and
    # keeps it off the first request when serving.
    import numpy as np
    import pandas as pd

    def predict(data):
        if isinstance(data, dict):
            feeds = data
        elif isinstance(data, np.ndarray):
            # An array feeds the model's one input; MLflow raises for a model with several.
            if len(inputs) != 1:
                raise ArrayForSeveralInputsError(
                    "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as "
                    "input for MLflow ONNX models that have a single input. This model requires {} inputs. Please "
                    "pass in data as either a dictionary or a DataFrame with the following tensors: {}.".format(
                        len(inputs), [name for name, _ in inputs]
                    )
                )
            feeds = {inputs[0][0]: data}
        elif isinstance(data, pd.DataFrame):
            if len(inputs) > 1:
                feeds = {name: data[name].values for name, _ in inputs}
            else:
                feeds = {inputs[0][0]: data.values}
        else:
            raise TypeError("Input should be a dictionary or a numpy array or a pandas.DataFrame, got '{}'".format(type(data)))
        for name, kind in inputs:
            feed = feeds.get(name)
            if kind == "tensor(float)" and feed is not None and feed.dtype == np.float64:
                feeds[name] = feed.astype(np.float32)
        predicted = session.run(output_names, feeds)
        if isinstance(data, pd.DataFrame):
            return pd.DataFrame.from_dict({c: np.asarray(p).reshape(-1) for c, p in zip(output_names, predicted)})
        # An array or a dict (what a tensor signature's enforcement gives) predicts a dict of outputs.
        return dict(zip(output_names, predicted))

    return predict


class ArrayForSeveralInputsError(ValueError):
    """MLflow raises an MlflowException with this message; the model's own failure to mlf."""


class OnnxRuntime(FlavorRuntime):
    name = "onnx"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_onnx)
