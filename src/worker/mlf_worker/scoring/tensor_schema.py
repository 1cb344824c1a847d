"""Tensor-based signatures and their enforcement, ported from MLflow 3.17.2 without mlflow:

  mlflow/types/schema.py     `TensorInfo`, `TensorSpec` (from_json_dict, repr) and the checks of
                             `Schema.__init__` that concern tensors
  mlflow/types/utils.py      `clean_tensor_type`
  mlflow/models/utils.py     `_enforce_schema` (its tensor path: missing names, a single-name
                             schema given an array), `_enforce_tensor_schema`,
                             `_reshape_and_cast_pandas_column_values`, `_enforce_tensor_spec`

The input parsing that depends on a tensor schema (`cast_df_types_according_to_schema`,
`convert_data_type`) is in parse.py, with the column one; validate_prediction_input (schema.py)
words failures for both. Sparse matrices (scipy) are not ported: a tensor schema never sees one
from a JSON or CSV request. The messages are MLflow's.
"""

from ..errors import NeedsMlflow, SchemaError
from .schema import check_input_names


class TensorSpec:
    is_tensor = True

    def __init__(self, dtype, shape, name):
        self.type = dtype
        self.shape = shape
        self.name = name
        self.required = True

    def __repr__(self):
        info = "Tensor({!r}, {!r})".format(self.type.name, self.shape)
        return info if self.name is None else "{!r}: {}".format(self.name, info)


class TensorSchema:
    """A signature whose inputs are all TensorSpecs; the accessors are mlflow.types.Schema's."""

    is_tensor = True

    def __init__(self, inputs):
        self.inputs = inputs

    def has_input_names(self):
        return self.inputs[0].name is not None

    def input_names(self):
        return [spec.name if spec.name is not None else i for i, spec in enumerate(self.inputs)]

    def required_input_names(self):
        return self.input_names()

    def optional_input_names(self):
        return []

    def input_types(self):
        return [spec.type for spec in self.inputs]

    def input_dict(self):
        return {spec.name: spec for spec in self.inputs}

    def csv_dtypes(self):
        """None: a CSV is read without dtypes. `mlflow models predict` reads it without the schema;
        MLflow's scoring server asks the schema for pandas types, which a TensorSpec refuses."""
        return None

    def __repr__(self):
        return "[" + ", ".join(repr(spec) for spec in self.inputs) + "]"


def parse_tensor_schema(specs):
    """The TensorSchema of MLmodel's parsed `signature.inputs` (a list whose items all have
    `"type": "tensor"`); NeedsMlflow for what MLflow itself would refuse to read or construct."""
    import numpy as np

    inputs = []
    for spec in specs:
        info = spec.get("tensor-spec")
        if not isinstance(info, dict) or "dtype" not in info or not isinstance(info.get("shape"), list):
            raise NeedsMlflow("a tensor input of the signature lacks its dtype or shape")
        try:
            dtype = np.dtype(info["dtype"])
        except (TypeError, ValueError):
            raise NeedsMlflow("a tensor input of the signature has an unknown dtype")
        # MLflow refuses sized flexible types (`<U10`), and object tensors pass any input.
        if dtype.char in ("U", "S") and not dtype.name.isalpha():
            raise NeedsMlflow("a tensor input of the signature has a sized string dtype")
        shape = tuple(info["shape"])
        if not all(type(d) is int for d in shape):
            raise NeedsMlflow("a tensor input of the signature has a non-integer dimension")
        name = spec.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            raise NeedsMlflow("a tensor input of the signature has a name that is not a string")
        inputs.append(TensorSpec(dtype, shape, name))
    named = [spec.name is not None for spec in inputs]
    if any(named) and not all(named):
        raise NeedsMlflow("the signature mixes named and unnamed inputs")
    if len(inputs) > 1 and not all(named):
        raise NeedsMlflow("the signature has several unnamed tensors")
    return TensorSchema(inputs)


def is_tensor_signature(specs):
    return all(isinstance(spec, dict) and spec.get("type") == "tensor" for spec in specs)


def clean_tensor_type(dtype):
    import numpy as np

    if dtype.char == "U":
        return np.dtype("str")
    if dtype.char == "S":
        return np.dtype("bytes")
    return dtype


def enforce_tensor_spec(values, spec):
    import numpy as np

    expected_shape = spec.shape
    actual_shape = values.shape
    actual_type = values.dtype
    # Ragged arrays: an object vector passes a (-1,) object spec, or any spec with a variable
    # dimension after the first.
    if len(expected_shape) == 1 and expected_shape[0] == -1 and spec.type == np.dtype("O"):
        return values
    if len(expected_shape) > 1 and -1 in expected_shape[1:] and len(actual_shape) == 1 and actual_type == np.dtype("O"):
        return values
    if len(expected_shape) != len(actual_shape) or any(
        expected != -1 and expected != actual for expected, actual in zip(expected_shape, actual_shape)
    ):
        raise SchemaError("Shape of input {} does not match expected shape {}.".format(actual_shape, expected_shape))
    if clean_tensor_type(actual_type) != spec.type:
        raise SchemaError("dtype of input {} does not match expected dtype {}".format(actual_type, spec.type))
    return values


def reshape_and_cast_column(name, series, spec):
    """A DataFrame column as the tensor `spec` asks for (_reshape_and_cast_pandas_column_values)."""
    import numpy as np

    if spec.shape[0] != -1 or -1 in spec.shape[1:]:
        raise SchemaError(
            "For pandas dataframe input, the first dimension of shape must be a variable "
            "dimension and other dimensions must be fixed, but in model signature the shape "
            "of {} is {}.".format("input " + name if name else "the unnamed input", spec.shape)
        )
    first = series[0]
    if np.isscalar(first):
        if spec.shape in ((-1,), (-1, 1)):
            return enforce_tensor_spec(np.array(series, dtype=spec.type).reshape(spec.shape), spec)
        raise SchemaError(
            "The input pandas dataframe column '{}' contains scalar values, which requires the shape "
            "to be (-1,) or (-1, 1), but got tensor spec shape of {}.".format(name, spec.shape)
        )
    if isinstance(first, list) and np.isscalar(first[0]):
        message = (
            "The value in the Input DataFrame column '{}' could not be converted to the expected shape of: "
            "'{}'. Ensure that each of the input list elements are of uniform length and that the data can "
            "be coerced to the tensor type '{}'".format(name, spec.shape, spec.type)
        )
        try:
            reshaped = np.vstack(series.tolist()).reshape(spec.shape).astype(spec.type)
        except ValueError:
            raise SchemaError(message)
        if len(reshaped) != len(series):
            raise SchemaError(message)
        return reshaped
    if isinstance(first, np.ndarray):
        message = (
            "The value in the Input DataFrame column '{}' could not be converted to the expected shape of: "
            "'{}'. Ensure that each of the input numpy array elements are of uniform length and can be "
            "reshaped to above expected shape.".format(name, spec.shape)
        )
        try:
            # No cast: the arrays' own dtype is checked strictly later, as MLflow leaves it.
            reshaped = np.vstack(series.tolist()).reshape(spec.shape)
        except ValueError:
            raise SchemaError(message)
        if len(reshaped) != len(series):
            raise SchemaError(message)
        return reshaped
    raise SchemaError(
        "Because the model signature requires tensor spec input, the input pandas dataframe values should be "
        "either scalar value, python list containing scalar values or numpy array containing scalar values, "
        "other types are not supported."
    )


def named_input(pf_input, schema):
    """The input of a named schema after _enforce_schema's name check: a single-name schema's
    array is given its name; missing names fail, extra ones are dropped with a warning."""
    import numpy as np
    import pandas as pd

    names = schema.required_input_names()
    actual = set()
    if len(names) == 1 and isinstance(pf_input, np.ndarray):
        pf_input = {names[0]: pf_input}
        actual = set(names)
    elif isinstance(pf_input, pd.DataFrame):
        actual = set(pf_input.columns)
    elif isinstance(pf_input, dict):
        actual = set(pf_input.keys())
    check_input_names(schema, actual)
    return pf_input


def enforce_tensor_schema(pf_input, schema):
    """The input as the model gets it: a dict of arrays for a named schema, one array otherwise."""
    import numpy as np
    import pandas as pd

    if isinstance(pf_input, pd.Series):
        pf_input = pd.DataFrame(pf_input)
    if schema.has_input_names():
        pf_input = named_input(pf_input, schema)
        pairs = zip(schema.input_names(), schema.inputs)
        if isinstance(pf_input, dict):
            enforced = {}
            for name, spec in pairs:
                if not isinstance(pf_input[name], np.ndarray):
                    raise SchemaError(
                        "This model contains a tensor-based model signature with input names, which suggests a "
                        "dictionary input mapping input name to a numpy array, but a dict with value type {} was "
                        "found.".format(type(pf_input[name]))
                    )
                enforced[name] = enforce_tensor_spec(pf_input[name], spec)
            return enforced
        if isinstance(pf_input, pd.DataFrame):
            return {name: reshape_and_cast_column(name, pf_input[name], spec) for name, spec in pairs}
        raise SchemaError(
            "This model contains a tensor-based model signature with input names, which suggests a dictionary "
            "input mapping input name to tensor, or a pandas DataFrame input containing columns mapping input "
            "name to flattened list value from tensor, but an input of type {} was found.".format(type(pf_input))
        )
    spec = schema.inputs[0]
    if isinstance(pf_input, pd.DataFrame):
        width = len(pf_input.columns)
        if pf_input.empty:
            raise SchemaError("Input DataFrame is empty.")
        if width == 1:
            return reshape_and_cast_column(None, pf_input[pf_input.columns[0]], spec)
        if spec.shape != (-1, width):
            raise SchemaError(
                "This model contains a model signature with an unnamed input. Since the input data is a pandas "
                "DataFrame containing multiple columns, the input shape must be of the structure "
                "(-1, number_of_dataframe_columns). Instead, the input DataFrame passed had {} columns and an "
                "input shape of {} with all values within the DataFrame of scalar type. Please adjust the passed "
                "in DataFrame to match the expected structure".format(width, spec.shape)
            )
        return enforce_tensor_spec(pf_input.to_numpy(), spec)
    if isinstance(pf_input, np.ndarray):
        return enforce_tensor_spec(pf_input, spec)
    raise SchemaError(
        "This model contains a tensor-based model signature with no input names, which suggests a numpy array "
        "input or a pandas dataframe input with proper column values, but an input of type {} was "
        "found.".format(type(pf_input))
    )
