"""The inputs test_tensor_schema.py gives both mlf's port (scoring/tensor_schema.py, parse.py) and
MLflow 3.17.2's own functions (mlflow_tensor_reference.py, in a child process, since the tests may
not import mlflow), and the one summary of an outcome both sides are compared by."""

import json

UNNAMED_F32 = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'
NAMED = (
    '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}, '
    '{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
)
ONE_NAME = '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
FIXED_FIRST = '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [2, -1]}}]'
RAGGED = '[{"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]'
STRINGS = '[{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]'
ROWS = "[[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4]]"

# (case id, signature inputs, a Python expression of numpy (np) and pandas (pd) giving the input):
# what PyFuncModel.predict's _validate_prediction_input receives.
ENFORCE = [
    ("array float32", UNNAMED_F32, "np.array(%s, dtype=np.float32)" % ROWS),
    ("array float64", UNNAMED_F32, "np.array(%s)" % ROWS),
    ("array of three columns", UNNAMED_F32, "np.ones((2, 3), dtype=np.float32)"),
    ("array of one dimension", UNNAMED_F32, "np.ones(4, dtype=np.float32)"),
    ("frame float64", UNNAMED_F32, "pd.DataFrame(%s)" % ROWS),
    ("frame float32", UNNAMED_F32, "pd.DataFrame(np.array(%s, dtype=np.float32))" % ROWS),
    ("frame of three columns", UNNAMED_F32, "pd.DataFrame(np.ones((2, 3), dtype=np.float32))"),
    ("frame of list cells", UNNAMED_F32, "pd.DataFrame({'t': %s})" % ROWS),
    ("frame of ragged list cells", UNNAMED_F32, "pd.DataFrame({'t': [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0]]})"),
    ("frame of array cells", UNNAMED_F32, "pd.DataFrame({'t': [np.ones(4, dtype=np.float32), np.zeros(4, dtype=np.float32)]})"),
    ("frame of dict cells", UNNAMED_F32, "pd.DataFrame({'t': [{'k': 1}, {'k': 2}]})"),
    ("frame of scalar cells", UNNAMED_F32, "pd.DataFrame({'t': [1.0, 2.0]})"),
    ("empty frame", UNNAMED_F32, "pd.DataFrame({'t': []})"),
    ("series", UNNAMED_F32, "pd.Series([1.0, 2.0])"),
    ("list", UNNAMED_F32, "[[1.0, 2.0, 3.0, 4.0]]"),
    ("dict", UNNAMED_F32, "{'t': np.ones((1, 4), dtype=np.float32)}"),
    ("named dict of arrays", NAMED, "{'a': np.ones((2, 2), dtype=np.float32), 'b': np.array([1, 2])}"),
    ("named dict with extra", NAMED, "{'a': np.ones((2, 2), dtype=np.float32), 'b': np.array([1, 2]), 'c': np.array([0])}"),
    ("named dict with a list", NAMED, "{'a': [[1.0, 2.0]], 'b': np.array([1])}"),
    ("named dict missing one", NAMED, "{'a': np.ones((2, 2), dtype=np.float32), 'c': np.array([1])}"),
    ("named dict of wrong dtype", NAMED, "{'a': np.ones((2, 2)), 'b': np.array([1, 2])}"),
    ("named frame", NAMED, "pd.DataFrame({'a': [[1.0, 2.0], [3.0, 4.0]], 'b': [1.5, 2.0]})"),
    ("named frame of the wrong width", NAMED, "pd.DataFrame({'a': [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], 'b': [1, 2]})"),
    ("named list", NAMED, "[1, 2]"),
    ("named array", NAMED, "np.ones((2, 2), dtype=np.float32)"),
    ("single name, an array", ONE_NAME, "np.ones((2, 3))"),
    ("single name, an int array", ONE_NAME, "np.ones((2, 3), dtype=np.int64)"),
    ("fixed first dimension, a frame", FIXED_FIRST, "pd.DataFrame({'t': [[1.0], [2.0]]})"),
    ("fixed first dimension, an array", FIXED_FIRST, "np.ones((2, 7))"),
    ("ragged object spec", RAGGED, "np.array([[1, 2], [3]], dtype=object)"),
    ("string tensor", STRINGS, "np.array(['a', 'bc'])"),
    ("string frame", STRINGS, "pd.DataFrame({'s': ['a', 'bc']})"),
]

# (case id, signature inputs, the JSON request): parsed as the scoring server parses it
# (_parse_json_data), then enforced.
REQUESTS = [
    ("inputs rows", UNNAMED_F32, json.dumps({"inputs": json.loads(ROWS)})),
    ("instances rows", UNNAMED_F32, json.dumps({"instances": json.loads(ROWS)})),
    ("inputs of three columns", UNNAMED_F32, json.dumps({"inputs": [[1, 2, 3]]})),
    ("inputs of strings", UNNAMED_F32, json.dumps({"inputs": [["x", "y", "z", "w"]]})),
    ("inputs ragged", UNNAMED_F32, json.dumps({"inputs": [[1, 2, 3, 4], [1]]})),
    ("inputs as a dict", UNNAMED_F32, json.dumps({"inputs": {"t": [[1, 2, 3, 4]]}})),
    ("split rows", UNNAMED_F32, json.dumps({"dataframe_split": {"data": json.loads(ROWS)}})),
    ("split with a string", UNNAMED_F32, json.dumps({"dataframe_split": {"data": [["x", 1, 2, 3]]}})),
    ("split of list cells", UNNAMED_F32, json.dumps({"dataframe_split": {"columns": ["t"], "data": [[[1, 2, 3, 4]]]}})),
    ("records", UNNAMED_F32, json.dumps({"dataframe_records": [{"a": 1, "b": 2, "c": 3, "d": 4}]})),
    ("named inputs", NAMED, json.dumps({"inputs": {"a": [[1, 2], [3, 4]], "b": [5, 6]}})),
    ("named inputs missing one", NAMED, json.dumps({"inputs": {"a": [[1, 2]]}})),
    ("named instances", NAMED, json.dumps({"instances": [{"a": [1, 2], "b": 3}, {"a": [3, 4], "b": 5}]})),
    ("named instances of unequal length", NAMED, json.dumps({"instances": [{"a": [1, 2], "b": 3}, {"a": [3, 4]}]})),
    ("named records", NAMED, json.dumps({"dataframe_records": [{"a": [1, 2], "b": 3}, {"a": [3, 4], "b": 5}]})),
    ("named split of a float b", NAMED, json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[[1, 2], 3.5]]}})),
    ("named inputs as a list", NAMED, json.dumps({"inputs": [[1, 2]]})),
    ("single name, inputs as a list", ONE_NAME, json.dumps({"inputs": [[1, 2, 3]]})),
    ("string inputs", STRINGS, json.dumps({"inputs": ["a", "bc"]})),
]


def summary(value):
    """A JSON-able description of an enforced or parsed input: the type, and for arrays, frames and
    dicts their dtypes, shapes and values."""
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray):
        values = value.tolist() if value.dtype != object else [repr(v) for v in value.tolist()]
        return ["ndarray", value.dtype.str, list(value.shape), values]
    if isinstance(value, pd.DataFrame):
        cells = [[repr(c) for c in row] for row in value.itertuples(index=False)]
        return ["DataFrame", [str(c) for c in value.columns], [str(d) for d in value.dtypes], cells]
    if isinstance(value, dict):
        return ["dict", {str(k): summary(v) for k, v in value.items()}]
    return [type(value).__name__, repr(value)]
