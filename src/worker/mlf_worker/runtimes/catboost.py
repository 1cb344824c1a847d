"""The catboost flavor without mlflow, after mlflow/catboost/__init__.py (MLflow 3.17.2): `_init_model`
(CatBoost, CatBoostClassifier, CatBoostRegressor or CatBoostRanker by MLmodel's `model_type`),
`_load_model` (its `load_model` of the pyfunc data file in the flavor's `save_format`) and
`_CatboostModelWrapper.predict` (the model's `predict` on the DataFrame)."""

import os

from ..errors import LoadFailure, NeedsMlflow
from .flavor_files import flavor_conf, pyfunc_data_path
from .without_mlflow import FlavorRuntime

MODEL_TYPES = ("CatBoost", "CatBoostClassifier", "CatBoostRegressor", "CatBoostRanker")


def load_catboost(model):
    conf = flavor_conf(model, "catboost")
    model_type = conf.get("model_type")
    if model_type not in MODEL_TYPES:
        # MLflow raises its own TypeError for it: let it say so.
        raise NeedsMlflow("the catboost model type `{}` is not one of {}".format(model_type, ", ".join(MODEL_TYPES)))
    path = pyfunc_data_path(model)
    import catboost

    model_class = getattr(catboost, model_type, None)
    if model_class is None:
        raise NeedsMlflow("this catboost has no {}".format(model_type))
    cb_model = model_class()
    try:
        cb_model.load_model(os.path.abspath(path), conf.get("save_format"))
    except Exception as e:
        raise LoadFailure(e, path)
    return lambda data: cb_model.predict(data)


class CatboostRuntime(FlavorRuntime):
    name = "catboost"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_catboost)
