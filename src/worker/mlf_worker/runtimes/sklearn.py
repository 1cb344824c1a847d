"""The sklearn flavor without mlflow: the same files and the same deserializer as
mlflow/sklearn/__init__.py (MLflow 3.17.2: `_load_pyfunc`, `_load_model_from_local_file` and
`_SklearnModelWrapper`'s custom predict functions), skops models through mlf's transcoding cache."""

import os

from ..errors import LoadError, LoadFailure, NeedsMlflow
from ..model_dir import add_code_to_sys_path
from .flavor_files import flavor_conf, pyfunc_data_path, require_pickle_allowed
from .without_mlflow import WithoutMlflowRuntime

SKLEARN_CUSTOM_PREDICT_FNS = ("predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")


class SklearnRuntime(WithoutMlflowRuntime):
    name = "sklearn"
    takes_tensor_signatures = True

    @classmethod
    def load(cls, model, schema=None):
        return cls(load_sklearn(model), schema)


def load_sklearn(model):
    """The model's predict function (`pyfunc_predict_fn`), as mlflow.pyfunc would call it."""
    sk_conf = flavor_conf(model, "sklearn")
    pyfunc_conf = model.pyfunc_conf
    path = pyfunc_data_path(model)
    if not os.path.isfile(path):
        model_path = pyfunc_conf.get("model_path")
        if not model_path:
            raise NeedsMlflow("the python_function flavor has no model_path")
        path = os.path.join(path, model_path)
    add_code_to_sys_path(model.model_dir, pyfunc_conf)
    estimator = load_estimator(model, path, sk_conf.get("serialization_format", "pickle"), sk_conf.get("skops_trusted_types", None))
    predict_fn = pyfunc_conf.get("predict_fn", "predict")
    if predict_fn == "predict":
        from .sklearn_arrays import predict_function

        return predict_function(estimator)
    if predict_fn in SKLEARN_CUSTOM_PREDICT_FNS and hasattr(estimator, predict_fn):
        return getattr(estimator, predict_fn)
    raise LoadError("Model implementation is missing required {} method.".format(predict_fn))


def load_estimator(model, path, serialization, skops_trusted_types):
    """mlflow.sklearn's `_load_model_from_local_file`: also what the lightgbm flavor loads its
    scikit-learn API models with."""
    if serialization not in ("pickle", "cloudpickle", "skops"):
        raise NeedsMlflow("unrecognized serialization format")
    require_pickle_allowed()
    try:
        if serialization == "skops":
            from ..cache.skops import load_skops

            return load_skops(path, skops_trusted_types, model.model_dir, model.pyfunc_conf, model.model_cache_dir)
        with open(path, "rb") as f:
            if serialization == "pickle":
                import pickle

                return pickle.load(f)
            import cloudpickle

            return cloudpickle.load(f)
    except Exception as e:
        # The deserializer's message rarely says which file it was reading.
        raise LoadFailure(e, path)
