"""Shortcuts for the common request, each giving exactly the DataFrame the ported steps give:

  double_frame      a `dataframe_split` whose columns are the schema's names in order, all of type
                    double, with rows of plain numbers: one float64 array, instead of pandas
                    inferring each column, then casting it (cast_df_types_according_to_schema);
  already_enforced  a DataFrame whose columns are the schema's names in order, each of the exact
                    dtype the schema's type asks for: enforce_schema would rebuild the same frame.

double_rows is double_frame before the DataFrame: adaptive batching (http/batch.py) stacks the
rows of such requests and builds one frame for them all (frame_of), which is what pandas.concat of
their frames gives.

For a small frame the ported steps are most of the worker's time (~1 ms of pandas per column
cast and frame rebuilt, against ~60 us here). Anything outside these cases takes the ported path.
"""

# Integers beyond this would round differently through pandas' int64 column than straight to float64.
EXACT_INT = 2**53


def double_rows(decoded, schema):
    """The rows of a split-orient `decoded` for an all-double named schema as one float64 array, or None."""
    if schema is None or schema.is_tensor or not schema.has_input_names() or not isinstance(decoded, dict):
        return None
    if len(decoded) != 2 or "columns" not in decoded or "data" not in decoded:
        return None
    columns, rows = decoded["columns"], decoded["data"]
    if columns != schema.input_names() or not isinstance(rows, list) or not rows:
        return None
    if any(spec.type != "double" for spec in schema.inputs):
        return None
    width = len(columns)
    if len(set(columns)) != width:
        return None
    for row in rows:
        if type(row) is not list or len(row) != width:
            return None
        for value in row:
            kind = type(value)
            # bool is not int here (a bool column would be cast as pandas casts bools).
            if kind is not float and not (kind is int and -EXACT_INT <= value <= EXACT_INT):
                return None
    import numpy as np

    return np.array(rows, dtype=np.float64)


def frame_of(rows, schema):
    """The DataFrame of double_rows' array (or of several stacked), as double_frame builds it."""
    import pandas as pd

    return pd.DataFrame(rows, columns=list(schema.input_names()))


def double_frame(decoded, schema):
    """The DataFrame of a split-orient `decoded` for an all-double named schema, or None."""
    rows = double_rows(decoded, schema)
    return None if rows is None else frame_of(rows, schema)


def already_enforced(frame, schema, types_):
    """Whether enforce_schema would return `frame`'s very columns and dtypes, in the same order."""
    names = schema.input_names()
    if schema.is_tensor or not schema.has_input_names() or len(set(names)) != len(names) or list(frame.columns) != names:
        return False
    for dtype, spec in zip(frame.dtypes.tolist(), schema.inputs):
        # An object column would go through infer_objects first: not a shortcut.
        if dtype == object or not (types_.numpy[spec.type] == dtype or types_.pandas[spec.type] == dtype):
            return False
    return True
