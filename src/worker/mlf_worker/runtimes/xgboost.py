"""The xgboost flavor without mlflow, after mlflow/xgboost/__init__.py (MLflow 3.17.2): `_load_model`
(an instance of MLmodel's `model_class`, then its `load_model` of the `data` file) and
`_XGBModelWrapper.predict` through `_wrapped_xgboost_model_predict_fn` (a Booster predicts on a
DMatrix, a scikit-learn API model with `predict`; both with validate_features=True). pyfunc never
calls predict_proba: a classifier predicts labels."""

import importlib

from ..errors import LoadFailure, NeedsMlflow
from .flavor_files import flavor_conf, flavor_file
from .without_mlflow import FlavorRuntime


def load_xgboost(model):
    conf = flavor_conf(model, "xgboost")
    model_class = conf.get("model_class", "xgboost.core.Booster")
    if not isinstance(model_class, str) or not model_class.startswith("xgboost."):
        raise NeedsMlflow("the xgboost model class `{}` is not xgboost's own".format(model_class))
    path = flavor_file(model, "xgboost", conf)
    import xgboost as xgb

    module_name, _, class_name = model_class.rpartition(".")
    try:
        xgb_model = getattr(importlib.import_module(module_name), class_name)()
        xgb_model.load_model(path)
    except (ImportError, AttributeError):
        raise NeedsMlflow("xgboost has no class `{}`".format(model_class))
    except Exception as e:
        raise LoadFailure(e, path)
    if isinstance(xgb_model, xgb.Booster):
        return lambda data: xgb_model.predict(xgb.DMatrix(data), validate_features=True)
    if isinstance(xgb_model, xgb.XGBModel):
        return lambda data: xgb_model.predict(data, validate_features=True)
    return xgb_model.predict


class XgboostRuntime(FlavorRuntime):
    name = "xgboost"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_xgboost)
