"""`score_frame`: one pandas DataFrame of input rows scored exactly as `mlf models predict` scores
them (the runtime's signature enforcement, then the model's predict: scoring/run.py, the same
call the request loop makes), returned as the input's columns with the result column(s) appended,
rows in the input's order.

Both batch engines call it: the local engine's worker (parts.py) and the Spark engine's
`mapInPandas` function on each executor. `model` is a loaded runtime (runtimes/registry.py),
which `load_model` gives in-process.

How predictions become columns (the one place that decides it):
  - a 1-D array, a list, a Series, or a one-column DataFrame or 2-D array: one column named
    `result_column`;
  - a DataFrame of several columns: one column per column, `<result_column>_<name>`;
  - a 2-D array of k > 1 columns: `<result_column>_0` ... `<result_column>_<k-1>`;
  - a dict of equal-length arrays: each as above under `<result_column>_<key>` (one column of that
    name for a 1-D or one-column array, `<result_column>_<key>_<i>` for k > 1 columns).
Anything else (a scalar, a length other than the row count, deeper arrays) is a ModelOutputError,
and so is a result column whose name is one of the input's.
"""

from ..errors import BadInput, ModelOutputError
from ..scoring.run import predict_classified


def load_model(model_dir, runtime="auto", model_cache_dir=None):
    """The runtime the worker would load for `model_dir` (`runtime`: "auto" or "mlflow"), loaded in
    this process: what score_frame takes as `model`."""
    import os

    from ..model_dir import read_mlmodel
    from ..runtimes.registry import load_runtime

    model_dir = os.path.abspath(model_dir)
    loaded, _ = load_runtime(model_dir, runtime, read_mlmodel(model_dir), model_cache_dir)
    return loaded


def score_frame(model, frame, columns, result_column):
    """`frame` with the model's predictions appended (a new DataFrame; `frame` is not changed).

    `columns`: the input columns the model gets, in this order (None: all of them; every one
    must exist, else BadInput). The predictions are for the model's input as predict would give
    it, so signature enforcement refuses what predict refuses (SchemaError)."""
    import pandas as pd

    selected = frame if columns is None else select_columns(frame, columns)
    # The model sees a frame indexed 0..n-1, as predict's parsed input is.
    model_input = selected.reset_index(drop=True) if not is_range_index(selected.index) else selected
    raw = predict_classified(model, model_input, None)
    results = result_columns(raw, len(frame), result_column)
    clashes = [name for name in results if name in frame.columns]
    if clashes:
        raise BadInput(
            "the result column `{}` is also a column of the input".format(clashes[0]),
            hint="name the result column with --result-column",
        )
    appended = pd.DataFrame(results, index=frame.index)
    return pd.concat([frame, appended], axis=1)


def select_columns(frame, columns):
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise BadInput("the input has no column `{}` (--columns)".format(missing[0]))
    return frame[list(columns)]


def is_range_index(index):
    import pandas as pd

    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def result_columns(raw, rows, result_column):
    """{column name: 1-D values of length `rows`} from the model's raw predictions."""
    import numpy as np
    import pandas as pd

    if isinstance(raw, pd.DataFrame):
        if raw.shape[1] == 1:
            return {result_column: checked(raw.iloc[:, 0].to_numpy(), rows)}
        return {"{}_{}".format(result_column, name): checked(raw[name].to_numpy(), rows) for name in raw.columns}
    if isinstance(raw, pd.Series):
        return {result_column: checked(raw.to_numpy(), rows)}
    if isinstance(raw, dict):
        # Each value by the rules for one prediction, under `<result_column>_<key>`: an onnx model
        # given an array returns its outputs so, each of shape (rows, 1) or (rows, k).
        columns = {}
        for key, value in raw.items():
            columns.update(result_columns(np.asarray(value), rows, "{}_{}".format(result_column, key)))
        return columns
    if isinstance(raw, (list, tuple)):
        raw = np.asarray(raw)
    if isinstance(raw, np.ndarray):
        if raw.ndim == 1:
            return {result_column: checked(raw, rows)}
        if raw.ndim == 2:
            if raw.shape[1] == 1:
                return {result_column: checked(raw[:, 0], rows)}
            return {"{}_{}".format(result_column, i): checked(raw[:, i], rows) for i in range(raw.shape[1])}
        raise ModelOutputError("the model returned an array of {} dimensions: batch-predict writes one or two".format(raw.ndim))
    raise ModelOutputError("the model returned {} where batch-predict needs one prediction per row".format(type(raw).__name__))


def checked(values, rows):
    if len(values) != rows:
        raise ModelOutputError("the model returned {} predictions for {} input rows".format(len(values), rows))
    return values
