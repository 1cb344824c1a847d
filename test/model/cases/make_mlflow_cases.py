"""Generate test tables from real MLflow (signature JSON, input example files, the python_env
fallback from conda.yaml) and Python's json module.

Run once with the e2e venv (MLflow installed):
    .e2e/venv/bin/python test/model/cases/make_mlflow_cases.py test/model/cases
Writes signature-cases.json, input-example-cases.json, python-json-cases.json and
python-env-from-conda-cases.json there.
"""
import datetime
import json
import logging
import math
import os
import sys
import tempfile

import numpy as np
import pandas as pd
import mlflow
from mlflow.models.signature import ModelSignature
from mlflow.models.utils import _Example
from mlflow.types.schema import (
    AnyType, Array, ColSpec, DataType, Map, Object, ParamSchema, ParamSpec, Property, Schema, TensorSpec,
)
from mlflow.utils.environment import _PythonEnv

out_dir = sys.argv[1]


def write(name, data):
    with open(os.path.join(out_dir, name), "w") as f:
        json.dump(data, f, ensure_ascii=True, indent=1)
        f.write("\n")


# --- signatures ------------------------------------------------------------------------------
signatures = []


def sig(name, inputs=None, outputs=None, params=None):
    d = ModelSignature(inputs=inputs, outputs=outputs, params=params).to_dict()
    signatures.append({"name": name, "mlflow": mlflow.__version__, "signature": d})


sig("all data types named", Schema([ColSpec(t, f"c_{t.name}") for t in DataType]))
sig("unnamed double", Schema([ColSpec("double")]), Schema([ColSpec("long")]))
sig("optional named", Schema([ColSpec("string", "a", required=False), ColSpec("long", "b")]))
sig("array of strings", Schema([ColSpec(Array("string"), "tags")]))
sig("nested arrays", Schema([ColSpec(Array(Array(DataType.double)), "m")]))
sig("object", Schema([ColSpec(Object([Property("zeta", "long"), Property("alpha", "string", required=False),
                                      Property("mid", Array("double"))]), "obj")]))
sig("map", Schema([ColSpec(Map("double"), "scores"), ColSpec(Map(Array("string")), "lists")]))
sig("any", Schema([ColSpec(AnyType(), "whatever", required=False)]))
sig("deep", Schema([ColSpec(Array(Object([Property("m", Map(Object([Property("x", AnyType())]))),
                                          Property("b", "binary")])), "deep")]))
sig("chat-like", Schema([ColSpec(Array(Object([Property("role", "string"), Property("content", "string")])), "messages")]),
    Schema([ColSpec("string")]))
sig("tensor unnamed", Schema([TensorSpec(np.dtype("float32"), (-1, 28, 28))]), Schema([TensorSpec(np.dtype("int64"), (-1,))]))
sig("tensors named", Schema([TensorSpec(np.dtype("float64"), (-1, 4), "x"), TensorSpec(np.dtype("str"), (-1,), "s"),
                             TensorSpec(np.dtype("object"), (-1,), "o"), TensorSpec(np.dtype("bool"), (2, 2), "b"),
                             TensorSpec(np.dtype("uint8"), (-1, 3), "u"), TensorSpec(np.dtype("datetime64[ns]"), (-1,), "t")]))
sig("non-ascii names", Schema([ColSpec("double", "température"), ColSpec("string", "名前"), ColSpec("long", 'q"uote\\')]))
sig("params all", Schema([ColSpec("string", "prompt")]), None, ParamSchema([
    ParamSpec("temperature", "double", 0.5), ParamSpec("max_tokens", "long", 100), ParamSpec("n", "integer", 1),
    ParamSpec("f", "float", 1.0), ParamSpec("flag", "boolean", True), ParamSpec("stop", "string", ["\n", "é"], (-1,)),
    ParamSpec("s", "string", None), ParamSpec("when", "datetime", datetime.datetime(2025, 1, 2, 3, 4, 5)),
    ParamSpec("whens", "datetime", [datetime.date(2025, 1, 2)], (-1,)), ParamSpec("ints", "long", [1, 2, 3], (-1,)),
    ParamSpec("big", "double", 1e16),
]))
sig("params object", None, Schema([ColSpec("double")]), ParamSchema([
    ParamSpec("config", Object([Property("b", "long"), Property("a", "string", required=False)]), {"a": "x", "b": 2}),
]))
sig("only params", params=ParamSchema([ParamSpec("k", "long", 3)]))
sig("inferred from dataframe", mlflow.models.infer_signature(
    pd.DataFrame({"a": [1, 2], "b": [1.5, 2.5], "c": ["x", "y"], "d": [True, False],
                  "e": pd.to_datetime(["2025-01-01", "2025-01-02"]), "f": [b"x", b"y"],
                  "g": [[1, 2], [3]], "h": [{"k": 1}, {"k": 2, "j": "s"}]}),
    pd.Series([0.1, 0.2])).inputs)
write("signature-cases.json", signatures)

# --- Python json.dumps -----------------------------------------------------------------------


def encode(value):
    """Tagged JSON for what the TS side cannot tell apart (floats, big ints)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"__int__": str(value)}
    if isinstance(value, float):
        return {"__float__": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[k, encode(v)] for k, v in value.items()]}
    raise TypeError(type(value))


values = [
    None, True, False, 0, -1, 2**53, 2**64, 0.0, -0.0, 1.0, 1.5, 0.1, 1e16, 1e-5, 1e-4, 123456789.123, 1e300, 5e-324,
    float("nan"), float("inf"), float("-inf"), "", "a", 'q"uote', "back\\slash", "tab\t", "nl\n", "cr\r", "\b\f",
    "\x00\x01\x1f\x7f", "café", "日本語", "😀", "\u2028", "/", "</script>",
    [], {}, [1, [2, [3, []]], {}], {"b": 1, "a": [1.0, 2.5], "c": {"d": None}}, {"é": "ü", "k": ["x", {"y": [True]}]},
    {"columns": ["sepal length (cm)", "w"], "data": [[5.1, 3.5], [7.0, 3.2]]},
]
json_cases = []
for i, v in enumerate(values):
    json_cases.append({"name": f"value {i} {v!r}"[:80], "value": encode(v), "compact": json.dumps(v),
                       "indent2": json.dumps(v, indent=2)})
write("python-json-cases.json", json_cases)

# --- input examples --------------------------------------------------------------------------
examples = []


def example(name, value, kind):
    ex = _Example(value)
    examples.append({"name": name, "kind": kind, "info": ex.info, "inputExample": ex.json_input_example,
                     "servingInput": ex.json_serving_input})


example("dataframe named", pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "é"], "c": [1, 2]}), "dataframe")
example("dataframe default columns", pd.DataFrame([[1.0, 2.0], [3.0, 4.0]]), "dataframe")
example("dataframe with NaN", pd.DataFrame({"a": [1.0, float("nan")], "b": [None, "x"]}), "dataframe")
example("ndarray", np.array([[1.0, 2.0], [3.0, 4.5]]), "ndarray")
example("dict of ndarrays", {"x": np.array([1, 2, 3]), "y": np.array([[0.5], [1.5]])}, "ndarray")
example("json dict", {"question": "What is MLflow?", "k": 3, "ratio": 1.0}, "json_object")
example("json list", ["a", "b", "ü"], "json_object")
example("json scalar", "hello", "json_object")
example("llm messages", {"messages": [{"role": "user", "content": "hi"}]}, "json_object")
example("dataframe with params", (pd.DataFrame({"a": [1, 2]}), {"temperature": 0.5, "n": 1}), "dataframe")
example("llm with params", ({"messages": [{"role": "user", "content": "hi"}]}, {"max_tokens": 10}), "json_object")
example("json dict with params", ({"q": "x"}, {"p": [1, 2]}), "json_object")
write("input-example-cases.json", examples)

# --- python_env fallback from conda.yaml -----------------------------------------------------
conda_cases = []
CONDAS = {
    "pinned =": "dependencies:\n- python=3.8.13\n- pip=21.0\n- setuptools\n- wheel==0.40\n- pip:\n  - mlflow\n",
    "pinned ==": "dependencies:\n- python==3.10.12\n- pip:\n  - numpy==1.0\n",
    "python >=": "dependencies:\n- python>=3.9\n",
    "python <=": "dependencies:\n- python<=3.9\n- pip<=24.0\n",
    "python unpinned": "dependencies:\n- python\n",
    "python version without operator": "dependencies:\n- python3.8\n",
    "python <": "dependencies:\n- python<3.9\n",
    "python >": "dependencies:\n- python>3.9\n",
    "python !=": "dependencies:\n- python!=3.9\n",
    "no python": "dependencies:\n- pip\n- pip:\n  - a\n",
    "other conda deps": "dependencies:\n- python=3.9\n- numpy=1.21\n- cudatoolkit\n- pip:\n  - b\n",
    "two python entries": "dependencies:\n- python=3.9\n- python=3.10\n",
    "mapping without pip": "dependencies:\n- python=3.9\n- {foo: [a]}\n",
    "two pip lists": "dependencies:\n- python=3.9\n- pip:\n  - first\n- pip:\n  - second\n",
    "no dependencies": "name: x\n",
    "mlflow default": "channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=26.3\n- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\nname: mlflow-env\n",
}
logging.disable(logging.CRITICAL)
for name, text in CONDAS.items():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "conda.yaml")
        with open(path, "w") as f:
            f.write(text)
        case = {"name": name, "conda": text}
        try:
            deps = _PythonEnv.get_dependencies_from_conda_yaml(path)
            case["result"] = deps
        except Exception as e:
            case["error"] = str(e)
        conda_cases.append(case)
write("python-env-from-conda-cases.json", conda_cases)
print("mlflow", mlflow.__version__, "ok")
