"""The lightgbm flavor without mlflow, after mlflow/lightgbm/__init__.py (MLflow 3.17.2): `_load_model`
(a `lightgbm.basic.Booster` from its text model file; any other `model_class`, a scikit-learn API
model, through mlflow.sklearn's loader with the flavor's `serialization_format`, cloudpickle when
absent) and `_LGBModelWrapper.predict` (the model's `predict` on the DataFrame)."""

from ..errors import LoadFailure
from .flavor_files import flavor_conf, flavor_file
from .sklearn import load_estimator
from .without_mlflow import FlavorRuntime


def load_lightgbm(model):
    conf = flavor_conf(model, "lightgbm")
    path = flavor_file(model, "lightgbm", conf)
    if conf.get("model_class", "lightgbm.basic.Booster") == "lightgbm.basic.Booster":
        import lightgbm as lgb

        try:
            lgb_model = lgb.Booster(model_file=path)
        except Exception as e:
            raise LoadFailure(e, path)
    else:
        lgb_model = load_estimator(model, path, conf.get("serialization_format", "cloudpickle"), conf.get("skops_trusted_types", None))
    return lambda data: lgb_model.predict(data)


class LightgbmRuntime(FlavorRuntime):
    name = "lightgbm"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_lightgbm)
