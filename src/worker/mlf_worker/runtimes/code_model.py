"""Models from code without mlflow: the model's file executed as mlflow/models/utils.py (MLflow
3.17.2, `_load_model_code_path`) executes it, with a stand-in `mlflow.models.set_model`, for files
whose only use of mlflow is `set_model` with a plain function (mlflow/pyfunc/loaders/code_model.py
wraps that function as a PythonModel whose predict calls it)."""

import ast
import os
import sys
import types

from ..errors import LoadError, NeedsMlflow
from ..model_dir import add_code_to_sys_path, python_file_problem
from .without_mlflow import WithoutMlflowRuntime

LOADER_MODULE = "mlflow.pyfunc.loaders.code_model"


class CodeModelRuntime(WithoutMlflowRuntime):
    name = "code-model"

    @classmethod
    def load(cls, model, schema=None):
        if not model.pyfunc_conf.get("model_code_path"):
            raise NeedsMlflow("loader_module `{}` needs mlflow".format(LOADER_MODULE))
        return cls(load_code_model(model.model_dir, model.pyfunc_conf), schema)


def check_code_model_source(path):
    """Whether a models-from-code file uses mlflow only for `set_model` (so a stand-in is sound).

    Allowed: `from mlflow.models import set_model` (optionally aliased), and `import mlflow` /
    `import mlflow.models` when every use of the name is the call `mlflow.models.set_model(...)`.
    Any other import from mlflow, any other use of the name, or a mention of `dbutils` (which
    MLflow mocks) means MLflow itself must load the file.
    """
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as e:
        # MLflow executes the same file and fails on it the same way.
        raise python_file_problem(e, path)
    mlflow_aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mlflow":
            if node.module != "mlflow.models" or any(alias.name != "set_model" for alias in node.names):
                raise NeedsMlflow("the model file imports more than set_model from mlflow")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "mlflow":
                    continue
                if alias.name not in ("mlflow", "mlflow.models") or (alias.asname and alias.name != "mlflow"):
                    raise NeedsMlflow("the model file imports mlflow modules beyond mlflow.models")
                mlflow_aliases.add(alias.asname or "mlflow")
        elif isinstance(node, ast.Name) and node.id == "dbutils":
            raise NeedsMlflow("the model file refers to dbutils")
    if mlflow_aliases:
        allowed = set()
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "set_model"
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "models"
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id in mlflow_aliases
            ):
                allowed.add(id(node.value.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in mlflow_aliases and id(node) not in allowed:
                raise NeedsMlflow("the model file uses mlflow beyond mlflow.models.set_model")


class _StandInModule(types.ModuleType):
    """`mlflow` / `mlflow.models` stand-ins: any other attribute or submodule is a clear miss."""

    def __getattr__(self, name):
        raise AttributeError("mlf's stand-in for {} has no attribute {!r}".format(self.__name__, name))


def load_code_model(model_dir, pyfunc_conf):
    """Executes a models-from-code file with a stand-in `mlflow.models.set_model`; the function
    it was given."""
    import importlib.util
    import uuid

    if pyfunc_conf.get("config"):
        raise NeedsMlflow("the model has a model_config")
    if os.environ.get("SERVING_MODEL_CONFIG"):
        raise NeedsMlflow("SERVING_MODEL_CONFIG is set")
    if pyfunc_conf.get("predict_fn", "predict") != "predict":
        raise NeedsMlflow("the model has a custom predict_fn")
    if "mlflow" in sys.modules:
        raise NeedsMlflow("mlflow is already imported")
    code_path = os.path.join(model_dir, os.path.basename(pyfunc_conf["model_code_path"]))
    if not os.path.isfile(code_path):
        raise NeedsMlflow("the model code file is missing")
    check_code_model_source(code_path)
    add_code_to_sys_path(model_dir, pyfunc_conf)

    captured = []

    def set_model(model):
        captured.append(model)

    root = _StandInModule("mlflow")
    root.__path__ = []  # a package with no submodules: `import mlflow.x` fails by name
    models = _StandInModule("mlflow.models")
    models.__path__ = []
    models.set_model = set_model
    root.models = models
    sys.modules["mlflow"] = root
    sys.modules["mlflow.models"] = models
    module_name = "code_model_{}".format(uuid.uuid4().hex)
    try:
        spec = importlib.util.spec_from_file_location(module_name, code_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except ImportError as e:
            name = getattr(e, "name", None) or ""
            if name == "mlflow" or name.startswith("mlflow."):
                raise NeedsMlflow("the model's code imports mlflow indirectly")
            raise
    finally:
        del sys.modules["mlflow"]
        del sys.modules["mlflow.models"]
    if not captured:
        raise LoadError(
            "If the model is logged as code, ensure the model is set using "
            "mlflow.models.set_model() within the code file code file."
        )
    model = captured[-1]
    if not isinstance(model, types.FunctionType):
        raise NeedsMlflow("set_model was given something other than a plain function")
    if getattr(model, "_is_pyfunc", False) or model.__annotations__:
        raise NeedsMlflow("the model function has type hints")
    return model
