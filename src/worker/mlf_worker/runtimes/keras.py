"""The keras flavor (Keras 3) without mlflow, after mlflow/keras/load.py (MLflow 3.17.2):
`_load_keras_model` (`keras.saving.load_model` of `<data>.keras`, `<data>/model.keras` when `data`
is a directory) and `KerasModelWrapper.predict`: for a DataFrame the model's `predict` on the
frame's values, back as a DataFrame on the input's index; for an array, list, tuple or dict (what
a tensor signature's enforcement gives, or an `inputs` request without a signature) the model's
`predict` as a numpy array (`keras.ops.convert_to_numpy`). Models saved with
`save_exported_model` load through tensorflow: MLflow's to load. Keras picks its backend from
KERAS_BACKEND as it does under MLflow."""

import os

from ..errors import LoadFailure, NeedsMlflow
from .flavor_files import flavor_conf, pyfunc_data_path
from .without_mlflow import FlavorRuntime


def keras_file(model, conf):
    path = os.path.join(pyfunc_data_path(model), conf.get("data", "model"))
    if os.path.isdir(path):
        path = os.path.join(path, "model")
    return path + ".keras"


def load_keras(model):
    conf = flavor_conf(model, "keras")
    if conf.get("save_exported_model"):
        raise NeedsMlflow("an exported Keras model loads with tensorflow")
    path = keras_file(model, conf)
    import keras

    try:
        keras_model = keras.saving.load_model(path)
    except Exception as e:
        raise LoadFailure(e, path)

    def predict(data):
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return pd.DataFrame(keras_model.predict(data.values), index=data.index)
        supported = (np.ndarray, list, tuple, dict)
        if not isinstance(data, supported):
            # MLflow's INVALID_PARAMETER_VALUE, raised by the model's wrapper: the model's own failure.
            raise TypeError(
                "`data` must be one of: {}, but received type: {}.".format([t.__name__ for t in supported], type(data))
            )
        return keras.ops.convert_to_numpy(keras_model.predict(data))

    return predict


class KerasRuntime(FlavorRuntime):
    name = "keras"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_keras)
