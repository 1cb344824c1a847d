"""What the flavor runtimes share: MLmodel's section of a flavor, the path mlflow.pyfunc hands to a
flavor's `_load_pyfunc` (mlflow/pyfunc/__init__.py, MLflow 3.17.2, `load_model`: the model directory
joined with python_function's `data`), and the pickle gate MLflow puts before every unpickling."""

import os

from ..environment import env_flag
from ..errors import NeedsMlflow


def flavor_conf(model, flavor):
    """MLmodel's `flavors.<flavor>` mapping; NeedsMlflow when it is missing."""
    conf = (model.mlmodel.get("flavors") or {}).get(flavor)
    if not isinstance(conf, dict):
        raise NeedsMlflow("the {} flavor configuration is missing".format(flavor))
    return conf


def pyfunc_data_path(model):
    """The path mlflow.pyfunc passes to `_load_pyfunc`."""
    data = model.pyfunc_conf.get("data")
    return os.path.join(model.model_dir, data) if data else model.model_dir


def flavor_file(model, flavor, conf, default=None):
    """The file the flavor section's `data` names, as the flavors' `_load_model` finds it: beside
    the MLmodel of the directory holding the pyfunc data path. Older layouts (MLflow < 1.22, whose
    data path is a directory of its own) are MLflow's to load."""
    data_path = pyfunc_data_path(model)
    holder = os.path.dirname(data_path) if os.path.isfile(data_path) else data_path
    if os.path.abspath(holder) != os.path.abspath(model.model_dir):
        raise NeedsMlflow("the {} model's data is not at the top of the model directory".format(flavor))
    name = conf.get("data", default)
    if not isinstance(name, str) or not name:
        raise NeedsMlflow("the {} flavor names no data file".format(flavor))
    return os.path.join(model.model_dir, name)


def require_pickle_allowed():
    if not env_flag("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", True):
        raise NeedsMlflow("MLFLOW_ALLOW_PICKLE_DESERIALIZATION is false")
