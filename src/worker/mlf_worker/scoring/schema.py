"""Schema enforcement for scalar column signatures, ported from MLflow 3.17.2 without mlflow:

  mlflow/models/utils.py     `_enforce_schema` (its conversion of the input to a DataFrame),
                             `_enforce_named_col_schema`, `_enforce_unnamed_col_schema`,
                             `_enforce_mlflow_datatype`, `_enforce_params_schema` (no params schema)
  mlflow/pyfunc/__init__.py  `_validate_prediction_input` (how a failure is worded, for column
                             and tensor signatures: tensor_schema.py enforces the latter)

The messages are MLflow's; where MLflow's spells out the whole input and schema before saying what
is wrong, the line says what is wrong and the detail keeps MLflow's text.
"""

import datetime
import decimal

from .. import logs
from ..environment import env_flag
from ..errors import SchemaError, WorkerError
from .fast_frame import already_enforced

MISSING_VALUES_HINT = (
    " Hint: the type mismatch is likely caused by missing values. "
    "Integer columns in python can not represent missing values and are therefore "
    "encoded as floats. The best way to avoid this problem is to infer the model "
    "schema based on a realistic data sample (training dataset) that includes missing "
    "values. Alternatively, you can declare integer columns as doubles (float64) "
    "whenever these columns may have missing values. See `Handling Integers With "
    "Missing Values <https://www.mlflow.org/docs/latest/models.html#"
    "handling-integers-with-missing-values>`_ for more details."
)


def enforce_mlflow_datatype(name, values, type_name, types_):
    import numpy as np
    import pandas as pd

    if values.dtype == object and type_name not in ("binary", "string"):
        values = values.infer_objects()
    string_dtype = getattr(pd, "StringDtype", None)
    is_string_dtype = string_dtype is not None and isinstance(values.dtype, string_dtype)
    if type_name == "string" and (values.dtype == object or is_string_dtype):
        return values
    if type_name == "binary" and is_string_dtype:
        return values
    if types_.pandas[type_name] == values.dtype or types_.numpy[type_name] == values.dtype:
        return values
    numpy_type = types_.numpy[type_name]
    if type_name == "binary" and values.dtype.kind == numpy_type.kind:
        return values
    if type_name == "datetime" and values.dtype.kind == numpy_type.kind:
        try:
            return values.astype(np.dtype("datetime64[ns]"))
        except TypeError as e:
            raise SchemaError(
                "Please ensure that the input data of datetime column only contains timezone-naive "
                "datetime objects. Error: {}".format(e)
            )
    if type_name == "datetime" and (values.dtype == object or values.dtype == datetime.date):
        try:
            return values.astype(np.dtype("datetime64[ns]"), errors="raise")
        except ValueError:
            raise SchemaError("Failed to convert column {} from type {} to {}.".format(name, values.dtype, type_name))
    if type_name == "boolean" and values.dtype == object:
        return values
    if type_name == "double" and values.dtype == decimal.Decimal:
        try:
            return pd.to_numeric(values, errors="raise")
        except ValueError:
            raise SchemaError("Failed to convert column {} from type {} to {}.".format(name, values.dtype, type_name))
    if values.dtype.kind == numpy_type.kind:
        is_upcast = values.dtype.itemsize <= numpy_type.itemsize
    elif values.dtype.kind == "u" and numpy_type.kind == "i":
        is_upcast = values.dtype.itemsize < numpy_type.itemsize
    elif values.dtype.kind in ("i", "u") and numpy_type == np.float64:
        is_upcast = values.dtype.itemsize <= 6
    else:
        is_upcast = False
    if is_upcast:
        return values.astype(numpy_type, errors="raise")
    if (
        values.dtype == np.int64
        and numpy_type in (np.float32, np.float64)
        and all(pd.isnull(x) or x in [0, 1] for x in values)
    ):
        return values.astype(numpy_type, errors="raise")
    hint = ""
    if (
        values.dtype == np.float64
        and numpy_type.kind in ("i", "u")
        and values.hasnans
        and all(pd.isnull(x) or int(x) == x for x in values)
    ):
        hint = MISSING_VALUES_HINT
    raise SchemaError(
        "Incompatible input types for column {}. Can not safely convert {} to {}.{}".format(
            name, values.dtype, numpy_type, hint
        )
    )


def check_input_names(schema, actual_cols):
    """_enforce_schema's check of a named schema's inputs against the input's names: SchemaError
    for missing required ones, MLflow's warning for extra ones (then ignored)."""
    input_names = schema.required_input_names()
    expected_required = set(input_names)
    optional_cols = set(schema.optional_input_names())
    missing = [c for c in input_names if c in expected_required - actual_cols]
    extra = [c for c in actual_cols if c in actual_cols - expected_required - optional_cols]
    if missing:
        if env_flag("MLFLOW_DISABLE_SCHEMA_DETAILS"):
            message = "Input schema validation failed. Mismatched or missing input(s)."
            if extra:
                message += " Note that there were extra inputs provided."
        else:
            message = "Model is missing inputs {}.".format(missing)
            if extra:
                message += " Note that there were extra inputs: {}.".format(extra)
        raise SchemaError(message)
    if extra:
        logs.warning(
            "Found extra inputs in the model input that are not defined in the model "
            "signature: `{}`. These inputs will be ignored.".format(extra)
        )


def to_dataframe(pf_input):
    """The input as a DataFrame, as _enforce_schema converts it for a column-based signature."""
    import numpy as np
    import pandas as pd

    def is_scalar(x):
        return np.isscalar(x) or x is None

    if isinstance(pf_input, pd.Series):
        pf_input = pd.DataFrame(pf_input)
    if np.isscalar(pf_input):
        pf_input = pd.DataFrame([pf_input])
    elif isinstance(pf_input, dict):
        if all(
            is_scalar(value) or (isinstance(value, list) and all(isinstance(item, str) for item in value))
            for value in pf_input.values()
        ):
            pf_input = pd.DataFrame([pf_input])
        else:
            try:
                if all(
                    isinstance(value, np.ndarray) and value.dtype.type == np.str_ and value.size == 1 and value.shape == ()
                    for value in pf_input.values()
                ):
                    pf_input = pd.DataFrame([pf_input])
                elif any(isinstance(value, np.ndarray) and value.ndim > 1 for value in pf_input.values()):
                    pf_input = pd.DataFrame(
                        {
                            key: (value.tolist() if (isinstance(value, np.ndarray) and value.ndim > 1) else value)
                            for key, value in pf_input.items()
                        }
                    )
                else:
                    pf_input = pd.DataFrame(pf_input)
            except Exception as e:
                raise SchemaError(
                    "This model contains a column-based signature, which suggests a DataFrame"
                    " input. There was an error casting the input data to a DataFrame:"
                    " {}".format(e)
                )
    elif isinstance(pf_input, (list, np.ndarray, pd.Series)):
        pf_input = pd.DataFrame(pf_input)
    if not isinstance(pf_input, pd.DataFrame):
        raise SchemaError("Expected input to be DataFrame. Found: {}".format(type(pf_input).__name__))
    return pf_input


def enforce_schema(pf_input, schema, types_):
    import pandas as pd

    pf_input = to_dataframe(pf_input)
    if already_enforced(pf_input, schema, types_):
        return pf_input
    if schema.has_input_names():
        check_input_names(schema, set(pf_input.columns))
        input_dict = schema.input_dict()
        columns = {}
        for name in schema.input_names():
            if name not in pf_input:
                continue
            columns[name] = enforce_mlflow_datatype(name, pf_input[name], input_dict[name].type, types_)
        return pd.DataFrame(columns)
    if len(pf_input.columns) < len(schema.inputs):
        raise SchemaError(
            "Model inference is missing inputs. The model signature declares "
            "{} inputs  but the provided value only has "
            "{} inputs. Note: the inputs were not named in the signature so we can "
            "only verify their count.".format(len(schema.inputs), len(pf_input.columns))
        )
    names = pf_input.columns[: len(schema.inputs)]
    types_list = schema.input_types()
    columns = {}
    for i, x in enumerate(names):
        columns[x] = enforce_mlflow_datatype(x, pf_input[x], types_list[i], types_)
    return pd.DataFrame(columns)


def validate_prediction_input(data, schema, types_):
    if schema is None:
        return data
    try:
        if schema.is_tensor:
            # Imported here: tensor_schema uses this module's check_input_names.
            from .tensor_schema import enforce_tensor_schema

            return enforce_tensor_schema(data, schema)
        return enforce_schema(data, schema, types_)
    except Exception as e:
        if env_flag("MLFLOW_DISABLE_SCHEMA_DETAILS"):
            message = "Failed to enforce model input schema. Please check your input data."
        else:
            detail = e.message if isinstance(e, WorkerError) else str(e)
            message = "Failed to enforce schema of data '{}' with schema '{}'. Error: {}".format(data, schema, detail)
            raise schema_failure(message, detail)
        raise SchemaError(message)


def schema_failure(message, cause):
    """MLflow's schema error spells out the whole input (a pandas dump over many lines) and the
    whole schema before what is wrong: the line says what is wrong, the detail keeps MLflow's text."""
    return SchemaError(cause, detail=message)


def warn_ignored_params(params):
    """MLflow's _enforce_params_schema without a params schema: params are dropped with a warning."""
    if params is None or params == {}:
        return
    info = (
        "Ignoring provided params: {}".format(list(params.keys()))
        if isinstance(params, dict)
        else "Ignoring invalid params (not a dictionary)."
    )
    logs.warning(
        "`params` can only be specified at inference time if the model signature "
        "defines a params schema. This model does not define a params schema. {}".format(info)
    )
