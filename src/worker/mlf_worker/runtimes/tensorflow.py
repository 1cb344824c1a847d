"""The tensorflow flavor's Keras models without mlflow, after mlflow/tensorflow/__init__.py (MLflow
3.17.2): `_load_pyfunc` for `model_type: keras` (the keras module that data/keras_module.txt names,
`tensorflow.keras` without it; data/save_format.txt, `compile=True` for MLflow's default `tf`),
`_load_keras_model` (`<keras module>.models.load_model` of data/model.keras, with the custom
objects MLflow cloudpickled beside it) and `_KerasModelWrapper.predict`: for a DataFrame the
model's `predict` on the frame's values, back as a DataFrame on the input's index; for an array,
list, tuple or dict (what a tensor signature's enforcement gives) the model's `predict` as it is.

Only the layout MLflow writes with TensorFlow >= 2.16 (Keras 3, `.keras` files) is covered. The
other model types (`tf2-module`: a tf.Module saved as a SavedModel, predicted on by calling it;
`tf1-estimator`), HDF5 files (`save_format: h5`) and SavedModel directories of older TensorFlow
are MLflow's to load, as is an MLmodel with a `keras` flavor too (MLflow then reads that
section)."""

import os

from ..errors import LoadFailure, NeedsMlflow
from .flavor_files import flavor_conf, pyfunc_data_path, require_pickle_allowed
from .without_mlflow import FlavorRuntime

KERAS_MODULE_FILE = "keras_module.txt"
SAVE_FORMAT_FILE = "save_format.txt"
CUSTOM_OBJECTS_FILES = ("custom_objects.cloudpickle", "global_custom_objects.cloudpickle")
# The modules keras_module.txt may name here: MLflow imports whatever it says.
KERAS_MODULES = ("tensorflow.keras", "keras")


def read_text(path, default):
    if not os.path.isfile(path):
        return default
    with open(path) as f:
        return f.read()


def keras_model_file(model):
    """data/model.keras, after the checks that leave every other layout to MLflow."""
    if "keras" in (model.mlmodel.get("flavors") or {}):
        raise NeedsMlflow("the MLmodel has a keras flavor too, whose section MLflow's tensorflow loader reads")
    conf = flavor_conf(model, "tensorflow")
    model_type = conf.get("model_type")
    if model_type != "keras":
        what = {"tf2-module": "a tf.Module SavedModel", "tf1-estimator": "a TF1 estimator SavedModel"}.get(model_type)
        if model_type is None:
            raise NeedsMlflow("the tensorflow flavor records no model_type (an older MLflow's layout)")
        raise NeedsMlflow("the tensorflow model is {} (`model_type: {}`)".format(what or "of another kind", model_type))
    path = pyfunc_data_path(model)
    # _load_pyfunc reads MLmodel from the data path or the directory holding it.
    if not os.path.isdir(path) or os.path.abspath(os.path.dirname(path)) != os.path.abspath(model.model_dir):
        raise NeedsMlflow("the tensorflow model's data is not a directory at the top of the model directory")
    save_format = read_text(os.path.join(path, SAVE_FORMAT_FILE), "h5")
    if save_format == "h5":
        raise NeedsMlflow("the Keras model is saved as HDF5 (`save_format: h5`)")
    keras_file = os.path.join(path, "model.keras")
    if not os.path.isfile(keras_file):
        raise NeedsMlflow("the Keras model is not a .keras file (a SavedModel of TensorFlow < 2.16)")
    module = read_text(os.path.join(path, KERAS_MODULE_FILE), "tensorflow.keras")
    if module not in KERAS_MODULES:
        raise NeedsMlflow("keras_module.txt names `{}`".format(module[:80]))
    return path, keras_file, module, save_format


def custom_objects(path):
    """`_load_keras_model`'s custom objects: the saved ones, then the global ones over them."""
    objects = {}
    for name in CUSTOM_OBJECTS_FILES:
        file = os.path.join(path, name)
        if not os.path.isfile(file):
            continue
        require_pickle_allowed()
        import cloudpickle

        try:
            with open(file, "rb") as f:
                loaded = cloudpickle.load(f)
        except Exception as e:
            raise LoadFailure(e, file)
        if loaded:
            loaded.update(objects)
            objects = loaded
    return objects


def load_tensorflow(model):
    path, keras_file, module, save_format = keras_model_file(model)
    import importlib

    objects = custom_objects(path)
    keras_models = importlib.import_module(module + ".models")
    try:
        # MLflow compiles a model of the SavedModel format (`tf`, its default) on load.
        keras_model = keras_models.load_model(keras_file, custom_objects=objects, compile=save_format == "tf")
    except Exception as e:
        raise LoadFailure(e, keras_file)

    def predict(data):
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return pd.DataFrame(keras_model.predict(data.values), index=data.index)
        supported = (np.ndarray, list, tuple, dict)
        if not isinstance(data, supported):
            # MLflow's INVALID_PARAMETER_VALUE, raised by the model's wrapper: the model's own failure.
            raise TypeError(
                "Unsupported input data type: {}. Must be one of: {}".format(type(data), [t.__name__ for t in supported])
            )
        return keras_model.predict(data)

    return predict


class TensorflowRuntime(FlavorRuntime):
    name = "tensorflow"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_tensorflow)
