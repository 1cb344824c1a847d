"""Input parsing, ported from MLflow 3.17.2 for scalar column and tensor signatures, without
importing mlflow:

  mlflow/pyfunc/scoring_server/__init__.py   `_parse_json_data`, `_decode_json_input`,
                                             `parse_csv_input` (the CSV reading, with its dtypes)
  mlflow/utils/proto_json_utils.py           `dataframe_from_parsed_json`,
                                             `cast_df_types_according_to_schema`,
                                             `parse_tf_serving_input`, `_cast_schema_type`,
                                             `convert_data_type`

The messages are MLflow's, except where MLflow echoes the whole input or appends its note on the
2.0 protocol change: those go to the reply's `detail`, and the line stays readable. The test suite
compares every path with `mlflow models predict` byte for byte (test/worker/worker.test.ts).
"""

import base64
import json
import sys
from collections import defaultdict
from copy import deepcopy

from ..errors import BadInput, WorkerError, invalid_input
from ..utf8 import first_undecodable_byte, not_utf8
from .fast_frame import double_frame
from .signature import Types

SUPPORTED_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
LLM_KEYS = ("messages", "prompt", "input")
REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields {}".format(
        # MLflow formats a set here; its order is the set's, so keep the wording but a fixed order.
        "{'dataframe_records', 'dataframe_split', 'instances', 'inputs'}"
    )
)
SCORING_PROTOCOL_CHANGE_INFO = (
    "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are"
    " seeing this error, you are likely using an outdated scoring request format. To resolve the"
    " error, either update your request format or adjust your MLflow Model's requirements file to"
    " specify an older version of MLflow (for example, change the 'mlflow' requirement specifier"
    " to 'mlflow==1.30.0'). If you are making a request using the MLflow client"
    " (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in"
    " order to use the new request format. For more information about the updated MLflow"
    " Model scoring protocol in MLflow 2.0, see"
    " https://mlflow.org/docs/latest/models.html#deploy-mlflow-models."
)
# Echoing a whole input file into an error message (as MLflow does) drowns the message.
MAX_ECHOED_INPUT = 300


def read_input_text(request):
    """The JSON input of a predict request: its `data`, or the UTF-8 text of its `input_path`."""
    if "data" in request:
        return request["data"]
    path = request["input_path"]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise BadInput("the input file does not exist", file=path)
    except OSError as e:
        raise BadInput("cannot read the input file: {}".format(e.strerror or e), file=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        message, where = not_utf8("the input", data, e, file=path)
        raise BadInput(message, hint="JSON input must be UTF-8: convert the file (e.g. `iconv -t UTF-8`)", **where)


def json_decode_failure(text, ex):
    """MLflow's "not valid JSON" error, on one line; the input it echoes goes to the detail only.

    When the text looks like CSV (a first line with commas that does not open a JSON array or
    object), the reply says so: the content type was most likely forgotten.
    """
    message = "Invalid input. Ensure that input is a valid JSON formatted string. Error: '{!r}'".format(ex)
    shown = text if len(text) <= MAX_ECHOED_INPUT else text[:MAX_ECHOED_INPUT] + "..."
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    looks_like_csv = "," in first_line and not first_line.startswith(("{", "["))
    return BadInput(
        message,
        detail="{}\nInput: \n{}\n".format(message, shown),
        input_looks_like="csv" if looks_like_csv else None,
    )


def json_too_deep(text):
    """The input nests deeper than Python's JSON parser can go (its recursion limit, ~1,000).

    MLflow parses with the same json.loads and fails the same way, as a bare RecursionError. Said
    here with the depth and where it is first reached; the text is scanned only on this path.
    """
    import re

    depth = deepest = 0
    at = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, match.start()
        elif token in "]}":
            depth -= 1
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return invalid_input(
        "The JSON nests {:,} levels of arrays and objects deep (at line {}, column {}): more than Python's "
        "JSON parser, which MLflow uses too, can read (about {:,} levels)".format(deepest, line, column, sys.getrecursionlimit()),
        hint="flatten the input",
    )


def too_deep_to_convert():
    """JSON that parsed, but nests too deeply for the conversions after it (deepcopy, numpy):
    json_too_deep is the parser's own limit, this one comes a little earlier."""
    return invalid_input("The input nests arrays or objects too deeply to be converted to the model's input", hint="flatten the input")


def decode_json_input(text):
    try:
        decoded = json.loads(text)
    except ValueError as ex:
        raise json_decode_failure(text, ex)
    except RecursionError:
        raise json_too_deep(text)
    if isinstance(decoded, dict):
        return decoded
    if isinstance(decoded, list):
        raise invalid_input("{}. Received a list.".format(REQUIRED_INPUT_FORMAT))
    raise invalid_input("{}. Received unexpected input type '{}.".format(REQUIRED_INPUT_FORMAT, type(decoded)))


def input_fields_error(fields, full_message=None):
    """Not exactly one of the input keys. MLflow appends a note on its 2.0 protocol change to this
    message (~700 characters, about clients older than 2.0): kept in the detail only."""
    message = "{}. Received dictionary with input fields: {}.".format(REQUIRED_INPUT_FORMAT, fields)
    return BadInput(message, detail=full_message or "{} {}".format(message, SCORING_PROTOCOL_CHANGE_INFO))


def parse_json_request(text, schema, types_):
    """(data, params, is_llm_input), as scoring_server._parse_json_data without a params schema."""
    decoded = decode_json_input(text)
    if any(key in decoded for key in LLM_KEYS):
        # No params schema here, so every key is data.
        return dict(decoded), {}, True
    data = {k: v for k, v in decoded.items() if k in SUPPORTED_FORMATS}
    params = decoded.pop("params", None)
    format_keys = [k for k in data if k in SUPPORTED_FORMATS]
    if len(format_keys) != 1:
        raise input_fields_error(list(data.keys()))
    input_format = format_keys[0]
    if input_format in ("instances", "inputs"):
        return parse_tf_serving_input(data, schema, types_), params, False
    return dataframe_from_parsed_json(data[input_format], input_format[10:], schema, types_), params, False


def dataframe_from_parsed_json(decoded, orient, schema, types_):
    import pandas as pd

    if orient == "records":
        if not isinstance(decoded, list):
            what = "dictionary" if isinstance(decoded, dict) else "type {}".format(type(decoded))
            raise invalid_input("Dataframe records format must be a list of records. Got {}.".format(what))
        try:
            pdf = pd.DataFrame(data=decoded)
        except Exception as ex:
            raise invalid_input(
                "Provided dataframe_records field is not a valid dataframe representation in "
                "'records' format. Error: '{}'".format(ex)
            )
    else:
        fast = double_frame(decoded, schema)
        if fast is not None:
            return fast
        if not isinstance(decoded, dict):
            what = "list" if isinstance(decoded, list) else "type {}".format(type(decoded))
            raise invalid_input("Dataframe split format must be a dictionary. Got {}.".format(what))
        keys = set(decoded.keys())
        if "data" not in keys or keys.difference({"columns", "data", "index"}):
            raise invalid_input(
                "Dataframe split format must have 'data' field and optionally 'columns' "
                "and 'index' fields. Got {}.'".format(keys)
            )
        try:
            pdf = pd.DataFrame(index=decoded.get("index"), columns=decoded.get("columns"), data=decoded["data"])
        except Exception as ex:
            raise invalid_input(
                "Provided dataframe_split field is not a valid dataframe representation in "
                "'split' format. Error: '{}'".format(ex)
            )
    if schema is not None:
        pdf = cast_df_types_according_to_schema(pdf, schema, types_)
    return pdf


def type_conversion_failure(col_name, col_type, ex):
    return invalid_input(
        "Data is not compatible with model signature. "
        "Failed to convert column {} to type '{}'. Error: '{!r}'".format(col_name, col_type, ex)
    )


def is_string_column(pdf, col_name, col_type):
    """A pandas string column the schema wants as object or str: left as it is (pandas 3)."""
    import numpy as np
    import pandas as pd

    string_dtype = getattr(pd, "StringDtype", None)
    return (
        (col_type == object or (isinstance(col_type, np.dtype) and col_type.kind == "U"))
        and string_dtype is not None
        and isinstance(pdf[col_name].dtype, string_dtype)
    )


def cast_df_types_for_tensors(pdf, schema):
    """cast_df_types_according_to_schema for a tensor schema: each column to its tensor's dtype
    (every column to the one unnamed tensor's), except list-valued columns, which enforcement
    reshapes (tensor_schema.py). MLflow walks an unnamed schema's columns in set order; here they
    go in the frame's order, which only decides which of several failing columns is named."""
    import numpy as np

    if schema.has_input_names():
        dtype_list = zip(schema.input_names(), schema.input_types())
    else:
        dtype_list = [(col_name, schema.inputs[0].type) for col_name in pdf.columns]
    actual_cols = set(pdf.columns)
    for col_name, col_type in dtype_list:
        if col_name not in actual_cols:
            continue
        try:
            if col_type == np.dtype(bytes):
                pdf[col_name] = pdf[col_name].map(lambda x: bytes(x, "utf8"))
            elif isinstance(pdf[col_name].iloc[0], list) or is_string_column(pdf, col_name, col_type):
                continue
            else:
                pdf[col_name] = pdf[col_name].astype(col_type)
        except Exception as ex:
            raise type_conversion_failure(col_name, col_type, ex)
    return pdf


def cast_df_types_according_to_schema(pdf, schema, types_):
    import pandas as pd

    if schema.is_tensor:
        return cast_df_types_for_tensors(pdf, schema)
    actual_cols = set(pdf.columns)
    if schema.has_input_names():
        dtype_list = zip(schema.input_names(), schema.input_types())
    else:
        n = min(len(schema.input_types()), len(pdf.columns))
        dtype_list = zip(pdf.columns[:n], schema.input_types()[:n])
    for col_name, type_name in dtype_list:
        col_type = types_.pandas[type_name]
        if col_name not in actual_cols:
            continue
        try:
            if type_name == "binary":
                # Binary columns arrive base64-encoded.
                pdf[col_name] = pdf[col_name].map(lambda x: base64.decodebytes(bytes(x, "utf8")))
            elif type_name == "datetime":
                parsed = pd.to_datetime(pdf[col_name])
                if pd.api.types.is_datetime64_any_dtype(parsed) and getattr(parsed.dt, "unit", "ns") != "ns":
                    parsed = parsed.dt.as_unit("ns")
                pdf[col_name] = parsed
            elif not is_string_column(pdf, col_name, col_type):
                pdf[col_name] = pdf[col_name].astype(col_type)
        except Exception as ex:
            raise type_conversion_failure(col_name, col_type, ex)
    return pdf


def convert_data_type(data, spec, types_):
    np = types_.np
    try:
        if spec is None:
            return np.array(data)
        if spec.is_tensor:
            return np.array(data, dtype=spec.type)
        dtype = types_.numpy[spec.type]
        if isinstance(data, (list, np.ndarray)):
            return np.array(data, dtype)
        return np.array([data], dtype)[0]
    except WorkerError:
        raise
    except Exception as ex:
        raise invalid_input("{}".format(ex))


def cast_schema_type(input_data, schema, types_):
    np = types_.np
    input_data = deepcopy(input_data)
    types_dict = schema.input_dict() if schema is not None and schema.has_input_names() else {}
    if schema is not None:
        if len(types_dict) == 1 and isinstance(input_data, list) and not any(isinstance(x, dict) for x in input_data):
            input_data = {next(iter(types_dict)): input_data}
        elif not schema.has_input_names() and not (isinstance(input_data, list) or np.isscalar(input_data)):
            raise invalid_input(
                "Failed to parse input data. This model contains an un-named "
                " model signature which expects a single n-dimensional array or "
                "a single value as input, however, an input of type "
                "{} was found.".format(type(input_data))
            )
    if isinstance(input_data, dict):
        return {col: convert_data_type(value, types_dict.get(col), types_) for col, value in input_data.items()}
    if isinstance(input_data, list):
        if all(isinstance(x, dict) for x in input_data):
            return [
                {col: convert_data_type(v, types_dict.get(col), types_) for col, v in row.items()}
                for row in input_data
            ]
        spec = schema.inputs[0] if schema is not None else None
        return convert_data_type(input_data, spec, types_)
    spec = schema.inputs[0] if schema is not None else None
    try:
        return convert_data_type(input_data, spec, types_)
    except Exception:
        raise invalid_input(
            "Failed to convert data `{}` to type `{}` defined in the model signature.".format(input_data, spec)
        )


def parse_instances_data(data, schema, types_):
    np = types_.np
    data = data["instances"]
    if isinstance(data, list) and len(data) > 0 and isinstance(data[0], dict):
        columns = defaultdict(list)
        types_dict = schema.input_dict() if schema is not None and schema.has_input_names() else {}
        for item in data:
            for col, v in item.items():
                columns[col].append(convert_data_type(v, types_dict.get(col), types_))
        data = {col: np.array(v) for col, v in columns.items()}
    else:
        data = cast_schema_type(data, schema, types_)
    if isinstance(data, dict):
        check_data = {k: v for k, v in data.items() if isinstance(v, (list, np.ndarray))}
        if schema is not None and schema.has_input_names():
            check_cols = list(set(schema.required_input_names()) & set(schema.input_names()) & set(check_data.keys()))
        else:
            check_cols = list(check_data.keys())
        if check_cols:
            expected = len(check_data[check_cols[0]])
            if not all(len(check_data[col]) == expected for col in check_cols[1:]):
                raise invalid_input("The length of values for each input/column name are not the same")
    return data


def parse_tf_serving_input(data, schema, types_):
    try:
        if "instances" in data:
            return parse_instances_data(data, schema, types_)
        return cast_schema_type(data["inputs"], schema, types_)
    except (WorkerError, RecursionError):
        raise
    except Exception as e:
        raise invalid_input("Ensure that the input is a valid JSON-formatted string.\nError: {!r}".format(e))


def csv_source(request):
    """What pandas reads a CSV request from: its inline `data`, or its `input_path` (read by pandas
    itself, in chunks)."""
    if "data" in request:
        import io

        return io.StringIO(request["data"])
    return request["input_path"]


def read_csv_input(source, schema_inputs, **read_options):
    """pandas.read_csv with the schema's dtypes, as MLflow's scoring server reads text/csv.

    `schema_inputs` is a list of (name or position, type name) for a scalar column schema, else None.
    Datetime columns are parsed with parse_dates: pandas refuses a datetime dtype in `dtype=`
    (MLflow passes it there and so cannot read a CSV for a model with a datetime column).
    `read_options` go to read_csv as well (batch-predict's `chunksize`: the chunks' own parse
    failures are then raised while iterating, and csv_parse_failure words them).
    """
    import pandas as pd

    kwargs = dict(read_options)
    if schema_inputs:
        types_ = Types()
        dtypes = {}
        dates = []
        for name, type_name in schema_inputs:
            if type_name == "datetime":
                dates.append(name)
            else:
                dtypes[name] = types_.pandas[type_name]
        kwargs["dtype"] = dtypes
        if dates:
            kwargs["parse_dates"] = dates
    try:
        return pd.read_csv(source, **kwargs)
    except FileNotFoundError:
        raise BadInput("the input file does not exist", file=source)
    except UnicodeDecodeError as e:
        found = first_undecodable_byte(source) if isinstance(source, str) else None
        if found is None:
            raise BadInput("the input is not UTF-8 text: {}".format(e), file=source if isinstance(source, str) else None)
        line, column, byte, reason = found
        raise BadInput(
            "the input is not UTF-8 text: byte 0x{:02x} cannot be decoded ({})".format(byte, reason),
            file=source,
            line=line,
            column=column,
            hint="CSV input must be UTF-8: convert the file (e.g. `iconv -t UTF-8`)",
        )
    except OSError as e:
        raise BadInput("cannot read the input file: {}".format(e.strerror or e), file=source if isinstance(source, str) else None)
    except Exception as e:
        raise csv_parse_failure(e)


def csv_parse_failure(error):
    """MLflow's words for a CSV that pandas cannot read."""
    return BadInput(
        "Failed to parse input as a Pandas DataFrame. Ensure that the input is"
        " a valid CSV-formatted Pandas DataFrame produced using the"
        " `pandas.DataFrame.to_csv()` method. Error: '{}'".format(str(error).strip())
    )
