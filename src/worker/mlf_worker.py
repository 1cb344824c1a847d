"""mlf's model worker: loads one MLflow model directory and answers predict requests.

Started by mlf (src/worker/worker-client.ts) with the model environment's interpreter, through
the launcher beside it (worker.py, which lets Python cache this module's bytecode):

    python worker.py --model-dir DIR [--runtime auto|mlflow]

Protocol (version PROTOCOL_VERSION), newline-delimited JSON, one object per line:
  - on start the worker writes {"ok": true, "type": "hello", "protocol": N, ...} at once,
    then loads the model and writes {"ok": true, "type": "ready", "runtime": ...} or an error;
  - then for each request line {"id": K, "type": "predict" | "ping" | "shutdown", ...} it writes
    exactly one reply line {"ok": true, "id": K, ...} or {"ok": false, "id": K, "kind": ..., ...}.
Errors: {"ok": false, "kind": "missing_module" | "bad_input" | "schema" | "bad_model_file" |
"model_error" | "load_error" | "bad_request" | "internal", "message": ..., "detail"?: ...,
"traceback"?: ..., "file"?, "line"?, "column"?, "field"?, "hint"?, "module"?, "input_looks_like"?}:
`message` is always one line of at most ~300 characters; the full text, when it was cut, is in
`detail`, and the Python traceback in `traceback` (mlf shows both under --verbose only).

The protocol travels on a private duplicate of the original stdout. File descriptor 1 itself is
pointed at stderr before any model code runs, so a model's print() (or a C library writing to
fd 1) lands on stderr and can never corrupt the protocol. Logs go to stderr only.

Two runtimes give the same predictions (the tests compare them with `mlflow models predict`):
  - "mlflow": mlflow.pyfunc.load_model and MLflow's own scoring-server parsing and encoding;
  - fast paths that skip importing mlflow (seconds of start-up): the sklearn flavor (pickle,
    cloudpickle or skops, exactly as mlflow.sklearn loads it) and models-from-code files whose
    only use of mlflow is `set_model` with a plain function. They re-implement MLflow's input
    parsing (mlflow/pyfunc/scoring_server, mlflow/utils/proto_json_utils.py), its column-schema
    enforcement (mlflow/models/utils.py::_enforce_schema) and its JSON encoding, and are used
    only where that re-implementation covers the model completely (scalar column signatures,
    no params schema, no type-hint signatures). Anything else goes to MLflow.

Python 3.8+ syntax; imports only the standard library until the model's needs are known.
"""

import argparse
import ast
import base64
import datetime
import decimal
import importlib.util
import io
import json
import os
import sys
import time
import traceback
import types
import uuid
from collections import defaultdict
from copy import deepcopy

PROTOCOL_VERSION = 2
WORKER_VERSION = "1"

SCALAR_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")
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


# --------------------------------------------------------------------------------------------
# Errors the worker reports, each with the protocol `kind` it maps to.
#
# Every failure becomes one reply whose `message` is one line of readable length (cut_message);
# the full text, when it was cut, travels in `detail`, and the Python traceback in `traceback`:
# mlf shows those two only under --verbose. Kinds:
#   bad_input        the input is malformed (not JSON, not UTF-8, two input keys, a bad CSV);
#   schema           the input does not satisfy the model's signature;
#   bad_model_file   a file of the model directory cannot be read as MLflow would read it
#                    (MLmodel not UTF-8 or not YAML, a signature that is not valid JSON, a model
#                    code file that is not Python, a file MLmodel names that is missing);
#   load_error / model_error   the model's own code (or MLflow's loader) raised;
#   missing_module   an ImportError at load or predict (`module` names it);
#   bad_request / internal     a bug in mlf (the client sent nonsense, or the worker failed).

# Fields a WorkerError may add to its reply (protocol.ts, ErrorReply).
REPLY_FIELDS = ("file", "line", "column", "field", "hint", "detail", "module", "input_looks_like")
# At most this many characters of a message reach the one line the user sees.
MAX_MESSAGE = 300


class WorkerError(Exception):
    kind = "internal"

    def __init__(self, message, **extra):
        super().__init__(message)
        unknown = set(extra) - set(REPLY_FIELDS)
        if unknown:
            raise TypeError("unknown reply fields {}".format(sorted(unknown)))
        self.message = message
        self.extra = {k: v for k, v in extra.items() if v is not None}


class BadInput(WorkerError):
    """Malformed input: MLflow answers these with "Invalid input. ..." (BAD_REQUEST)."""

    kind = "bad_input"


class SchemaError(WorkerError):
    """The input does not satisfy the model's signature (MLflow: INVALID_PARAMETER_VALUE)."""

    kind = "schema"


class BadModelFile(WorkerError):
    """A file of the model directory is damaged: `file` names it (and line, column or field)."""

    kind = "bad_model_file"


class LoadError(WorkerError):
    kind = "load_error"


class ModelOutputError(WorkerError):
    """What the model returned cannot be encoded (MLflow's encoder fails on it too)."""

    kind = "model_error"


class BadRequest(WorkerError):
    kind = "bad_request"


class NeedsMlflow(Exception):
    """The fast path cannot be sure of giving MLflow's result; the reason says why."""


class LoadFailure(Exception):
    """The model's loader raised while reading `file`: reported as a load error naming the file."""

    def __init__(self, error, file):
        super().__init__(str(error))
        self.error = error
        self.file = file


def invalid_input(message, **extra):
    return BadInput("Invalid input. " + message, **extra)


def cut_message(text, limit=MAX_MESSAGE):
    """(one line of at most `limit` characters plus a marker, the full text or None).

    Line breaks and runs of blanks become single spaces (a pandas dump or a traceback-like text
    inside a message would otherwise spill over many lines); what is cut is counted in the marker.
    The full text comes back only when the line differs from it.
    """
    flat = " ".join(text.split())
    full = text if flat != text.strip() else None
    if len(flat) <= limit:
        return flat, full
    shown = flat[:limit].rstrip()
    return "{}… ({} more characters; --verbose shows all)".format(shown, len(flat) - len(shown)), text


def not_utf8(what, data, error, **extra):
    """The problem of bytes that are not UTF-8, at the line and column of the first bad byte."""
    start = error.start
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", "replace")) + 1
    return "{} is not UTF-8 text: byte 0x{:02x} cannot be decoded ({})".format(what, data[start], error.reason), dict(
        extra, line=line, column=column
    )


def first_undecodable_byte(path, chunk_size=1 << 20):
    """(line, column, byte, reason) of the first byte of a file that is not UTF-8, or None.

    Used only after a reader (pandas) has failed on the file: two passes in chunks, so that a
    large input is never held whole in memory.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0
    found = None
    with open(path, "rb") as f:
        while found is None:
            chunk = f.read(chunk_size)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                found = (consumed - pending + e.start, e.reason)
                break
            if not chunk:
                return None
            consumed += len(chunk)
    offset, reason = found
    line, line_start = 1, 0
    with open(path, "rb") as f:
        read = 0
        while read < offset:
            chunk = f.read(min(chunk_size, offset - read))
            newlines = chunk.count(b"\n")
            if newlines:
                line += newlines
                line_start = read + chunk.rfind(b"\n") + 1
            read += len(chunk)
        f.seek(line_start)
        prefix = f.read(offset - line_start)
        byte = f.read(1)
    column = len(prefix.decode("utf-8", "replace")) + 1
    return line, column, byte[0], reason


def log(message):
    sys.stderr.write("[mlf-worker] " + message + "\n")
    sys.stderr.flush()


def env_flag(name, default=False):
    """MLflow's boolean environment variables: true/1 and false/0, case-insensitive."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return default


# --------------------------------------------------------------------------------------------
# The protocol channel.


class Channel:
    def __init__(self):
        # Keep a private handle on the real stdout, then point fd 1 at stderr for everyone else.
        sys.stdout.flush()
        self._out = os.fdopen(os.dup(1), "wb", buffering=0)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._in = sys.stdin.buffer

    def send(self, message):
        data = json.dumps(message, ensure_ascii=True, allow_nan=False, default=str)
        self._out.write(data.encode("ascii") + b"\n")

    def requests(self):
        for raw in self._in:
            line = raw.strip()
            if not line:
                continue
            yield line


def error_reply(error, request_id=None, stage="worker", model_dir=None):
    """The reply for any exception: classified, one line of message, detail and traceback apart.

    `stage` says whose code raised an exception that is not a WorkerError: the model's loader
    ("load": load_error, or bad_model_file when it is a damaged file under `model_dir`), the
    model's predict ("predict": model_error), or the worker's own ("worker": internal).
    """
    if isinstance(error, LoadFailure):
        file, error = error.file, error.error
    else:
        file = None
    missing = find_import_error(error)
    if isinstance(error, WorkerError):
        reply = {"ok": False, "kind": error.kind, "message": error.message}
        reply.update(error.extra)
    elif missing is not None:
        reply = {
            "ok": False,
            "kind": "missing_module",
            "message": "{}: {}".format(type(missing).__name__, missing),
            "module": missing.name or module_from_message(str(missing)),
        }
    else:
        damaged = damaged_model_file(error, model_dir) if stage == "load" else None
        if damaged is not None:
            reply = {"ok": False, "kind": damaged.kind, "message": damaged.message}
            reply.update(damaged.extra)
        else:
            kind = "internal" if stage == "worker" else ("load_error" if stage == "load" else "model_error")
            reply = {"ok": False, "kind": kind, "message": "{}: {}".format(type(error).__name__, exception_message(error))}
            if file is not None:
                reply["file"] = file
    message, full = cut_message(reply["message"])
    reply["message"] = message
    if full is not None and "detail" not in reply:
        reply["detail"] = full
    if "detail" in reply and reply["detail"] == message:
        del reply["detail"]
    if error.__traceback__ is not None:
        reply["traceback"] = format_traceback(error)
    if request_id is not None:
        reply["id"] = request_id
    return reply


def damaged_model_file(error, model_dir):
    """A load failure that is a damaged file of the model directory, as a BadModelFile, or None.

    A model code file that is not Python (a syntax error, bytes that are not UTF-8), or a file the
    model names that does not exist or cannot be read. Anything else is the loader's own failure.
    """
    if not model_dir:
        return None
    root = os.path.realpath(model_dir)

    def inside(path):
        if not isinstance(path, str) or not path:
            return False
        real = os.path.realpath(path)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    for current in exception_chain(error):
        if isinstance(current, SyntaxError) and inside(current.filename):
            return python_file_problem(current, current.filename)
        if isinstance(current, OSError) and inside(current.filename):
            return BadModelFile(
                "cannot read the model file: {}".format(current.strerror or current),
                file=current.filename,
                hint="restore the file from the saved model",
            )
    return None


def python_file_problem(error, path):
    """A model code file that Python cannot compile (not UTF-8, a NUL byte, a syntax error)."""
    what, reason = "is not valid Python", getattr(error, "msg", None) or str(error)
    if reason.startswith("(unicode error)"):
        import re

        what, reason = "is not UTF-8 text", reason[len("(unicode error)"):].strip()
        # "'utf-8' codec can't decode byte 0xff in position 4: invalid start byte": the position
        # is within a token, not the file, so it is left out.
        decoded = re.search(r"can't decode byte (0x[0-9a-fA-F]+) in position \d+: (.*)", reason)
        if decoded:
            reason = "byte {} cannot be decoded ({})".format(decoded.group(1), decoded.group(2))
    line = getattr(error, "lineno", None)
    return BadModelFile(
        "the model's code {}: {}".format(what, reason),
        file=path,
        line=line if isinstance(line, int) and line > 0 else None,
        hint="correct the file, or save the model again",
    )


def exception_chain(error):
    """An exception and its causes and contexts, each once."""
    seen = set()
    current = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def find_import_error(error):
    """The ImportError in an exception's cause/context chain (MLflow wraps some of them)."""
    for current in exception_chain(error):
        if isinstance(current, ImportError):
            return current
    return None


def module_from_message(message):
    # "No module named 'x'" / "cannot import name 'y' from 'x' (...)"
    for marker in ("No module named '", "from '"):
        at = message.find(marker)
        if at >= 0:
            rest = message[at + len(marker):]
            end = rest.find("'")
            if end > 0:
                return rest[:end]
    return None


def format_traceback(error):
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def exception_message(error):
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else str(error)


# --------------------------------------------------------------------------------------------
# The model directory.


def read_mlmodel(model_dir):
    """MLmodel as MLflow reads it (UTF-8, PyYAML's safe loader); BadModelFile when it cannot be."""
    path = os.path.join(model_dir, "MLmodel")
    if not os.path.isfile(path):
        raise BadModelFile("no MLmodel file in the model directory", file=path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BadModelFile("cannot read MLmodel: {}".format(e.strerror or e), file=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        message, where = not_utf8("the file", data, e, file=path)
        raise BadModelFile(message, hint="save the file as UTF-8, or save the model again", **where)
    try:
        import yaml
    except ImportError as e:
        raise LoadError(
            "The worker needs PyYAML to read MLmodel, and this environment lacks it: {}".format(e),
            module="yaml",
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        raise BadModelFile("not valid YAML: {}".format(yaml_problem(e)), file=path, **yaml_location(e, text))
    if not isinstance(doc, dict):
        raise BadModelFile("not a YAML mapping", file=path)
    return doc


def yaml_problem(error):
    """PyYAML's own words for a problem, without the position it appends (reported apart)."""
    if hasattr(error, "reason") and hasattr(error, "character"):  # yaml.reader.ReaderError
        character = error.character
        # The pure-Python reader gives the character, libyaml's its code point (the text is str).
        code = ord(character) if isinstance(character, str) else character
        return "unacceptable character #x{:04x}: {}".format(code, error.reason)
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    if problem:
        return "{} {}".format(context, problem) if context else problem
    return str(error)


def yaml_location(error, text):
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return {"line": mark.line + 1, "column": mark.column + 1}
    position = getattr(error, "position", None)
    if isinstance(position, int):
        line_start = text.rfind("\n", 0, position) + 1
        return {"line": text.count("\n", 0, position) + 1, "column": position - line_start + 1}
    return {}


SIGNATURE_FIELDS = ("inputs", "outputs", "params")


def check_signature(mlmodel, mlmodel_path):
    """Refuses a signature that MLflow could not read, or whose columns no input can ever match.

    MLflow reads each of `signature.inputs`, `outputs` and `params` that is set as a JSON list of
    mappings with a `type` (Schema.from_json / ParamSchema.from_json): anything else fails its
    load with a bare JSONDecodeError, KeyError or TypeError. A column name that is a list or a
    mapping loads, but then fails every predict (`unhashable type`). Both are a damaged MLmodel,
    said here with the field. (A signature that is not a mapping is ignored by MLflow.)
    """
    signature = mlmodel.get("signature")
    if not isinstance(signature, dict):
        return

    def bad(field, problem):
        return BadModelFile(
            "the signature's `{}` {}".format(field, problem),
            file=mlmodel_path,
            field="signature." + field,
            hint="correct the signature, or save the model again with MLflow",
        )

    for field in SIGNATURE_FIELDS:
        raw = signature.get(field)
        if not raw:
            continue
        if not isinstance(raw, str):
            raise bad(field, "is a YAML {}, not a JSON string".format(type(raw).__name__))
        try:
            specs = json.loads(raw)
        except ValueError as e:
            raise bad(field, "is not valid JSON: {} at column {}".format(getattr(e, "msg", e), getattr(e, "colno", "?")))
        except RecursionError:
            raise bad(field, "nests too deeply to be parsed as JSON")
        if not isinstance(specs, list):
            raise bad(field, "is not a JSON list (it is a {})".format(json_type_name(specs)))
        for position, spec in enumerate(specs, 1):
            if not isinstance(spec, dict) or "type" not in spec:
                raise bad(field, "entry {} is not a mapping with a `type`".format(position))
            name = spec.get("name")
            if isinstance(name, (list, dict)):
                raise bad(field, "entry {} has a name that is a JSON {}, not a string".format(position, json_type_name(name)))


def json_type_name(value):
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


class ColSpec:
    def __init__(self, type_name, name, required):
        self.type = type_name
        self.name = name
        self.required = required

    def __repr__(self):
        required = "required" if self.required else "optional"
        if self.name is None:
            return "{} ({})".format(self.type, required)
        return "{!r}: {} ({})".format(self.name, self.type, required)


class ColSchema:
    """A column signature whose every type is a scalar DataType (all the fast path handles)."""

    def __init__(self, inputs):
        self.inputs = inputs

    def has_input_names(self):
        return bool(self.inputs) and self.inputs[0].name is not None

    def input_names(self):
        return [c.name for c in self.inputs]

    def input_types(self):
        return [c.type for c in self.inputs]

    def input_dict(self):
        return {c.name: c for c in self.inputs}

    def required_input_names(self):
        return [c.name for c in self.inputs if c.required]

    def optional_input_names(self):
        return [c.name for c in self.inputs if not c.required]

    def __repr__(self):
        return "[" + ", ".join(repr(c) for c in self.inputs) + "]"


def parse_col_schema(signature):
    """The input schema for the fast path, None when there is none; NeedsMlflow otherwise."""
    if not signature:
        return None
    if not isinstance(signature, dict):
        raise NeedsMlflow("the signature is not a mapping")
    if signature.get("params"):
        raise NeedsMlflow("the signature has a params schema")
    raw = signature.get("inputs")
    if not raw:
        return None
    try:
        specs = json.loads(raw)
    except ValueError:
        raise NeedsMlflow("the signature's inputs are not JSON")
    if not isinstance(specs, list) or not specs:
        raise NeedsMlflow("the signature's inputs are not a non-empty list")
    cols = []
    for spec in specs:
        if not isinstance(spec, dict) or spec.get("type") not in SCALAR_TYPES:
            raise NeedsMlflow("the signature has a non-scalar input type")
        required = spec.get("required", True)
        cols.append(ColSpec(spec["type"], spec.get("name"), bool(required)))
    named = [c.name is not None for c in cols]
    if any(named) and not all(named):
        raise NeedsMlflow("the signature mixes named and unnamed inputs")
    return ColSchema(cols)


# --------------------------------------------------------------------------------------------
# MLflow's DataType mappings (mlflow/types/schema.py::DataType), built once numpy is imported.


class Types:
    def __init__(self):
        import numpy as np

        self.np = np
        self.numpy = {
            "boolean": np.dtype("bool"),
            "integer": np.dtype("int32"),
            "long": np.dtype("int64"),
            "float": np.dtype("float32"),
            "double": np.dtype("float64"),
            "string": np.dtype("str"),
            "binary": np.dtype("bytes"),
            "datetime": np.dtype("datetime64[ns]"),
        }
        self.pandas = dict(self.numpy)
        self.pandas["string"] = object
        self.pandas["binary"] = object


# --------------------------------------------------------------------------------------------
# Input parsing, as mlflow/pyfunc/scoring_server/__init__.py and proto_json_utils.py do it.


def read_input_text(request):
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
    """(data, params, is_llm_input) for the fast path; mirrors scoring_server._parse_json_data."""
    decoded = decode_json_input(text)
    if any(key in decoded for key in LLM_KEYS):
        # No params schema on the fast path, so every key is data.
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


def cast_df_types_according_to_schema(pdf, schema, types_):
    import numpy as np
    import pandas as pd

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
            else:
                string_dtype = getattr(pd, "StringDtype", None)
                if (
                    (col_type == object or (isinstance(col_type, np.dtype) and col_type.kind == "U"))
                    and string_dtype is not None
                    and isinstance(pdf[col_name].dtype, string_dtype)
                ):
                    continue
                pdf[col_name] = pdf[col_name].astype(col_type)
        except Exception as ex:
            raise invalid_input(
                "Data is not compatible with model signature. "
                "Failed to convert column {} to type '{}'. Error: '{!r}'".format(col_name, col_type, ex)
            )
    return pdf


def convert_data_type(data, spec, types_):
    np = types_.np
    try:
        if spec is None:
            return np.array(data)
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


def read_csv_input(source, schema_inputs):
    """pandas.read_csv with the schema's dtypes, as MLflow's scoring server reads text/csv.

    `schema_inputs` is a list of (name or position, type name) for a scalar column schema, else None.
    Datetime columns are parsed with parse_dates: pandas refuses a datetime dtype in `dtype=`
    (MLflow passes it there and so cannot read a CSV for a model with a datetime column).
    """
    import pandas as pd

    kwargs = {}
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
        raise BadInput(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is"
            " a valid CSV-formatted Pandas DataFrame produced using the"
            " `pandas.DataFrame.to_csv()` method. Error: '{}'".format(str(e).strip())
        )


def csv_schema_inputs(signature):
    """(name or position, type) pairs of an all-scalar column input schema; None otherwise."""
    if not isinstance(signature, dict) or not signature.get("inputs"):
        return None
    try:
        specs = json.loads(signature["inputs"])
    except (TypeError, ValueError):
        return None
    if not isinstance(specs, list) or not specs:
        return None
    if not all(isinstance(spec, dict) and spec.get("type") in SCALAR_TYPES for spec in specs):
        return None
    # An unnamed schema's input names are its positions (MLflow's Schema.input_names()), which
    # pandas takes as column indices.
    return [(spec.get("name", i), spec["type"]) for i, spec in enumerate(specs)]


# --------------------------------------------------------------------------------------------
# Schema enforcement, as mlflow/models/utils.py::_enforce_schema does it for scalar columns.


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
        hint = (
            " Hint: the type mismatch is likely caused by missing values. "
            "Integer columns in python can not represent missing values and are therefore "
            "encoded as floats. The best way to avoid this problem is to infer the model "
            "schema based on a realistic data sample (training dataset) that includes missing "
            "values. Alternatively, you can declare integer columns as doubles (float64) "
            "whenever these columns may have missing values. See `Handling Integers With "
            "Missing Values <https://www.mlflow.org/docs/latest/models.html#"
            "handling-integers-with-missing-values>`_ for more details."
        )
    raise SchemaError(
        "Incompatible input types for column {}. Can not safely convert {} to {}.{}".format(
            name, values.dtype, numpy_type, hint
        )
    )


def to_dataframe(pf_input, schema):
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

    pf_input = to_dataframe(pf_input, schema)
    if schema.has_input_names():
        input_names = schema.required_input_names()
        expected_required = set(input_names)
        actual_cols = set(pf_input.columns)
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
            log(
                "WARNING Found extra inputs in the model input that are not defined in the model "
                "signature: `{}`. These inputs will be ignored.".format(extra)
            )
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
    log(
        "WARNING `params` can only be specified at inference time if the model signature "
        "defines a params schema. This model does not define a params schema. {}".format(info)
    )


# --------------------------------------------------------------------------------------------
# Output encoding: json.dump(..., cls=mlflow.utils.proto_json_utils.NumpyEncoder).


class NumpyEncoder(json.JSONEncoder):
    def try_convert(self, o):
        import numpy as np
        import pandas as pd

        def encode_binary(x):
            return base64.encodebytes(x).decode("ascii")

        if isinstance(o, np.ndarray):
            if o.dtype == object:
                return [self.try_convert(x)[0] for x in o.tolist()], True
            if o.dtype == np.bytes_:
                return np.vectorize(encode_binary)(o), True
            return o.tolist(), True
        if isinstance(o, np.generic):
            return o.item(), True
        if isinstance(o, (bytes, bytearray)):
            return encode_binary(o), True
        if isinstance(o, np.datetime64):
            return np.datetime_as_string(o), True
        if isinstance(o, (pd.Timestamp, datetime.date, datetime.datetime, datetime.time)):
            return o.isoformat(), True
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and isinstance(o, getattr(pydantic, "BaseModel", ())):
            return o.model_dump(), True
        return o, False

    def default(self, o):
        res, converted = self.try_convert(o)
        if converted:
            return res
        return super().default(o)


def jsonable(data):
    import numpy as np
    import pandas as pd

    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(data, pd.DataFrame):
        return data.to_dict(orient="records")
    if isinstance(data, pd.Series):
        return pd.DataFrame(data).to_dict(orient="records")
    return data


def encode_predictions(raw, unwrapped):
    payload = jsonable(raw) if unwrapped else {"predictions": jsonable(raw)}
    return json.dumps(payload, cls=NumpyEncoder)


def strict_json(text):
    """MLflow's output with NaN and infinities as null: valid JSON (mlf's --strict-json)."""

    def finite(value):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return None
        if isinstance(value, list):
            return [finite(v) for v in value]
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        return value

    return json.dumps(finite(json.loads(text)))


# --------------------------------------------------------------------------------------------
# Runtimes.


class FastRuntime:
    """A model loaded without mlflow; predictions are MLflow's by construction of the checks."""

    def __init__(self, name, predict_fn, schema):
        self.name = name
        self.predict_fn = predict_fn
        self.schema = schema
        self.types = Types()
        self.csv_inputs = (
            [(c.name if c.name is not None else i, c.type) for i, c in enumerate(schema.inputs)] if schema is not None else None
        )

    def parse(self, request):
        if request["content_type"] == "csv":
            source = io.StringIO(request["data"]) if "data" in request else request["input_path"]
            return read_csv_input(source, self.csv_inputs), None, False
        return parse_json_request(read_input_text(request), self.schema, self.types)

    def predict(self, data, params):
        data = validate_prediction_input(data, self.schema, self.types)
        warn_ignored_params(params)
        return self.predict_fn(data)

    def encode(self, raw, unwrapped):
        return encode_predictions(raw, unwrapped)


class MlflowRuntime:
    name = "mlflow"

    def __init__(self, model_dir, signature):
        import mlflow.pyfunc

        check_signature_with_mlflow(signature, os.path.join(model_dir, "MLmodel"))
        self.model = mlflow.pyfunc.load_model(model_dir)
        try:
            from mlflow.pyfunc import scoring_server
        except ImportError:
            scoring_server = None
        self.server = scoring_server
        self.csv_inputs = csv_schema_inputs(signature)

    def parse(self, request):
        if request["content_type"] == "csv":
            source = io.StringIO(request["data"]) if "data" in request else request["input_path"]
            return read_csv_input(source, self.csv_inputs), None, False
        text = read_input_text(request)
        metadata = self.model.metadata
        server = self.server
        try:
            if hasattr(server, "_parse_json_data"):
                parsed = server._parse_json_data(
                    data=text, metadata=metadata, input_schema=metadata.get_input_schema()
                )
                return parsed.data, parsed.params, parsed.is_unified_llm_input
            if hasattr(server, "_split_data_and_params") and hasattr(server, "infer_and_parse_data"):
                data, params = server._split_data_and_params(text)
                return server.infer_and_parse_data(data, metadata.get_input_schema()), params, False
        except WorkerError:
            raise
        except Exception as e:
            if find_import_error(e) is not None:
                raise
            raise mlflow_bad_input(e, text)
        # An MLflow too old for either: parse as the fast path does, without a schema.
        return parse_json_request(text, None, Types())

    def predict(self, data, params):
        import inspect

        if "params" in inspect.signature(self.model.predict).parameters:
            return self.model.predict(data, params=params)
        return self.model.predict(data)

    def encode(self, raw, unwrapped):
        server = self.server
        out = io.StringIO()
        if unwrapped and hasattr(server, "unwrapped_predictions_to_json"):
            server.unwrapped_predictions_to_json(raw, out)
        elif not unwrapped and hasattr(server, "predictions_to_json"):
            server.predictions_to_json(raw, out)
        else:
            return encode_predictions(raw, unwrapped)
        return out.getvalue()

    @staticmethod
    def is_schema_failure(error):
        if getattr(error, "error_class", None) == "SCHEMA_ENFORCEMENT_FAILED":
            return True
        message = exception_message(error)
        return message.startswith(
            ("Failed to enforce schema of data", "Failed to enforce model input schema", "Invalid parameters found")
        )


def mlflow_schema_failure(error):
    """MLflow's schema error: pyfunc's _validate_prediction_input raises it while handling the
    error that says what is wrong (its __context__), which becomes the line."""
    message = exception_message(error)
    inner = error.__context__
    if message.startswith("Failed to enforce schema of data") and inner is not None:
        return schema_failure(message, exception_message(inner))
    return SchemaError(message)


def check_signature_with_mlflow(signature, mlmodel_path):
    """MLflow's own reading of the signature, before its loader does the same without saying where.

    load_model reads MLmodel's signature with ModelSignature.from_dict; whatever that raises (an
    unknown type, a malformed spec) is a damaged MLmodel, reported with the field.
    """
    if not isinstance(signature, dict):
        return
    from mlflow.models.signature import ModelSignature

    try:
        ModelSignature.from_dict(signature)
    except Exception as e:
        if find_import_error(e) is not None:
            raise
        raise BadModelFile(
            "MLflow cannot read the signature: {}: {}".format(type(e).__name__, exception_message(e)),
            file=mlmodel_path,
            field="signature",
            hint="correct the signature, or save the model again with MLflow",
        )


PROTOCOL_CHANGE_NOTE = " IMPORTANT: The MLflow Model scoring protocol has changed"


def mlflow_bad_input(error, text):
    """An exception of MLflow's input parsing, as the fast path words the same failure."""
    if isinstance(error, RecursionError):
        return json_too_deep(text)
    if any(isinstance(e, RecursionError) for e in exception_chain(error)):
        return too_deep_to_convert()
    message = exception_message(error)
    cause = error.__cause__
    if isinstance(cause, ValueError) and "Ensure that input is a valid JSON formatted string" in message:
        return json_decode_failure(text, cause)
    if PROTOCOL_CHANGE_NOTE in message:
        return BadInput(message[: message.index(PROTOCOL_CHANGE_NOTE)], detail=message)
    return BadInput(message)


# --------------------------------------------------------------------------------------------
# The skops transcoding cache.
#
# `import skops.io` imports every scikit-learn estimator (skops.io._trusted_types calls
# sklearn.utils.all_estimators()), on every start: 0.4 s with bytecode cached, about 5 s without,
# most of a warm predict. Unpickling the same estimator imports only the modules it uses. So
# after a model has been loaded with skops -- exactly as MLflow loads it: skops.io.load with the
# MLmodel's `skops_trusted_types` -- the worker keeps a pickle of the loaded object in mlf's
# cache, and later starts unpickle that instead of importing skops.
#
# Why that is safe:
#   - the pickle is written by mlf itself, from an object skops had already accepted under
#     MLflow's trust settings; unpickling it recreates that object and nothing else (a model
#     skops refuses is never loaded, so never cached);
#   - it lives in the user's own cache, next to the environment's site-packages (or under
#     $MLF_HOME for the local manager): whoever can write the pickle can already write the code
#     every start runs, so it opens no new way in;
#   - its name is a digest of the model file's bytes (the very bytes skops loaded), the trusted
#     types, the model's code directory, the Python build and every installed distribution's
#     name and version: a changed model or environment never gets a stale object;
#   - the file carries the SHA-256 of its payload, checked before unpickling: a truncated or
#     damaged file is discarded with a warning and rebuilt; it is written atomically (temp file,
#     fsync, rename), so a concurrent reader sees a whole file or none;
#   - it is never written inside the model directory (predicting leaves the model as it was).

TRANSCODE_MAGIC = b"mlf-skops-pickle 1\n"
_MISSING = object()


def load_skops(path, trusted, model_dir, pyfunc_conf, cache_dir):
    """skops.io.load(path, trusted=trusted), through the transcoding cache when there is one."""
    with open(path, "rb") as f:
        data = f.read()
    cache_file = transcode_cache_file(cache_dir, model_dir, data, trusted, pyfunc_conf)
    if cache_file is not None:
        model = read_transcoded(cache_file)
        if model is not _MISSING:
            log("loaded the skops model from mlf's cache `{}`".format(cache_file))
            return model
    import skops.io

    # Loaded from the bytes the digest was taken of: a model file replaced in between cannot end
    # up cached under the old file's digest. (skops opens a path and a file object alike, with
    # zipfile.ZipFile.)
    model = skops.io.load(io.BytesIO(data), trusted=trusted)
    if cache_file is not None:
        write_transcoded(cache_file, model)
    return model


def transcode_cache_file(cache_dir, model_dir, data, trusted, pyfunc_conf):
    """`<cache_dir>/<digest>.pkl` for this model in this environment; None when not caching."""
    if not cache_dir:
        return None
    real_cache = os.path.realpath(cache_dir)
    real_model = os.path.realpath(model_dir)
    if real_cache == real_model or real_cache.startswith(real_model.rstrip(os.sep) + os.sep):
        log("not caching the model: the cache directory `{}` is inside the model directory".format(cache_dir))
        return None
    import hashlib

    key = hashlib.sha256()

    def part(label, value):
        value = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
        key.update(label.encode("ascii") + b"=" + str(len(value)).encode("ascii") + b":" + value + b"\n")

    part("format", TRANSCODE_MAGIC)
    part("model", hashlib.sha256(data).hexdigest())
    part("trusted", json.dumps(trusted, sort_keys=True, default=repr))
    part("python", sys.version + " " + sys.implementation.cache_tag)
    for name in installed_distributions():
        part("dist", name)
    code = pyfunc_conf.get("code")
    if code:
        for relative, digest in directory_digests(os.path.join(model_dir, code)):
            part("code", relative + " " + digest)
    return os.path.join(real_cache, key.hexdigest() + ".pkl")


def installed_distributions():
    """The `name-version.dist-info` (and .egg-info) entries of every sys.path directory, in order.

    Cheaper than importlib.metadata (whose import alone takes ~40 ms) and stricter: any package
    installed, removed or upgraded in the environment changes the list.
    """
    names = []
    for entry in sys.path:
        try:
            listed = os.listdir(entry or ".")
        except OSError:
            continue
        names.append("path " + entry)
        names.extend(sorted(n for n in listed if n.endswith((".dist-info", ".egg-info"))))
    return names


def directory_digests(root):
    """(relative path, sha256) of every file under root, sorted, without __pycache__."""
    import hashlib

    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            full = os.path.join(current, name)
            try:
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                digest = "unreadable"
            found.append((os.path.relpath(full, root), digest))
    return sorted(found)


def read_transcoded(cache_file):
    """The cached object, or _MISSING (absent, or corrupt: then removed, with a warning)."""
    try:
        with open(cache_file, "rb") as f:
            blob = f.read()
    except FileNotFoundError:
        return _MISSING
    except OSError as e:
        log("could not read the model cache file `{}`: {}".format(cache_file, e))
        return _MISSING
    import hashlib

    header_length = len(TRANSCODE_MAGIC) + 64 + 1
    if not blob.startswith(TRANSCODE_MAGIC) or len(blob) < header_length or blob[header_length - 1:header_length] != b"\n":
        problem = "it does not start with mlf's header"
    elif hashlib.sha256(blob[header_length:]).hexdigest().encode("ascii") != blob[len(TRANSCODE_MAGIC):header_length - 1]:
        problem = "its checksum does not match its contents"
    else:
        import pickle

        try:
            return pickle.loads(blob[header_length:])
        except Exception as e:
            problem = "it does not unpickle: {}: {}".format(type(e).__name__, e)
    log(
        "WARNING discarding the corrupt model cache file `{}` ({}); loading the model with skops "
        "and caching it again".format(cache_file, problem)
    )
    try:
        os.remove(cache_file)
    except OSError:
        pass
    return _MISSING


def write_transcoded(cache_file, model):
    """Writes the pickle atomically; a model that does not round-trip through pickle is not cached."""
    import hashlib
    import pickle
    import tempfile

    try:
        payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        # Proves the next start can load it (an object may pickle and still not unpickle).
        pickle.loads(payload)
    except Exception as e:
        log("not caching the model: it does not round-trip through pickle ({}: {})".format(type(e).__name__, e))
        return
    directory = os.path.dirname(cache_file)
    temp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".pkl", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(TRANSCODE_MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n")
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, cache_file)
        temp = None
        fsync_directory(directory)
        log("cached the skops model as a pickle in `{}`".format(cache_file))
    except OSError as e:
        log("could not write the model cache file `{}`: {}".format(cache_file, e))
    finally:
        if temp is not None:
            try:
                os.remove(temp)
            except OSError:
                pass


def fsync_directory(directory):
    """Makes the rename durable where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


SKLEARN_CUSTOM_PREDICT_FNS = ("predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")


def load_sklearn_fast(model_dir, mlmodel, pyfunc_conf, model_cache_dir=None):
    """mlflow.sklearn._load_pyfunc without mlflow: the same files, the same deserializer."""
    sk_conf = (mlmodel.get("flavors") or {}).get("sklearn")
    if not isinstance(sk_conf, dict):
        raise NeedsMlflow("the sklearn flavor configuration is missing")
    serialization = sk_conf.get("serialization_format", "pickle")
    if serialization not in ("pickle", "cloudpickle", "skops"):
        raise NeedsMlflow("unrecognized serialization format")
    if not env_flag("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", True):
        raise NeedsMlflow("MLFLOW_ALLOW_PICKLE_DESERIALIZATION is false")
    path = os.path.join(model_dir, pyfunc_conf["data"]) if "data" in pyfunc_conf else model_dir
    if not os.path.isfile(path):
        model_path = pyfunc_conf.get("model_path")
        if not model_path:
            raise NeedsMlflow("the python_function flavor has no model_path")
        path = os.path.join(path, model_path)
    add_code_to_sys_path(model_dir, pyfunc_conf)
    try:
        if serialization == "skops":
            model = load_skops(path, sk_conf.get("skops_trusted_types", None), model_dir, pyfunc_conf, model_cache_dir)
        else:
            with open(path, "rb") as f:
                if serialization == "pickle":
                    import pickle

                    model = pickle.load(f)
                else:
                    import cloudpickle

                    model = cloudpickle.load(f)
    except Exception as e:
        # The deserializer's message rarely says which file it was reading.
        raise LoadFailure(e, path)
    predict_fn = pyfunc_conf.get("predict_fn", "predict")
    if predict_fn == "predict":
        return lambda data: model.predict(data)
    if predict_fn in SKLEARN_CUSTOM_PREDICT_FNS and hasattr(model, predict_fn):
        return getattr(model, predict_fn)
    raise LoadError("Model implementation is missing required {} method.".format(predict_fn))


def add_code_to_sys_path(model_dir, pyfunc_conf):
    code = pyfunc_conf.get("code")
    if code:
        sys.path.insert(0, os.path.abspath(os.path.join(model_dir, code)))


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
    set_model_count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mlflow":
            if node.module != "mlflow.models" or any(alias.name != "set_model" for alias in node.names):
                raise NeedsMlflow("the model file imports more than set_model from mlflow")
            set_model_count += 1
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


def load_code_model_fast(model_dir, mlmodel, pyfunc_conf):
    """Executes a models-from-code file with a stand-in `mlflow.models.set_model`."""
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


def load_runtime(model_dir, runtime, mlmodel, model_cache_dir=None):
    """(runtime object, reason the fast path was not taken or None)."""
    mlmodel_path = os.path.join(model_dir, "MLmodel")
    flavors = mlmodel.get("flavors")
    pyfunc_conf = flavors.get("python_function") if isinstance(flavors, dict) else None
    if not isinstance(pyfunc_conf, dict):
        raise BadModelFile(
            'Model does not have the "python_function" flavor',
            file=mlmodel_path,
            field="flavors.python_function",
            hint="save the model with a flavor that adds `python_function`",
        )
    check_signature(mlmodel, mlmodel_path)
    signature = mlmodel.get("signature") or None
    if runtime == "mlflow":
        return MlflowRuntime(model_dir, signature), "--runtime mlflow"
    reason = None
    try:
        if mlmodel.get("is_signature_from_type_hint") or mlmodel.get("type_hint_from_example"):
            raise NeedsMlflow("the signature comes from type hints")
        metadata = mlmodel.get("metadata")
        if isinstance(metadata, dict) and metadata.get("mlflow.model.is_external"):
            raise NeedsMlflow("the model is external")
        schema = parse_col_schema(signature)
        loader = pyfunc_conf.get("loader_module")
        if loader == "mlflow.sklearn":
            fn = load_sklearn_fast(model_dir, mlmodel, pyfunc_conf, model_cache_dir)
            return FastRuntime("sklearn", fn, schema), None
        if loader == "mlflow.pyfunc.loaders.code_model" and pyfunc_conf.get("model_code_path"):
            fn = load_code_model_fast(model_dir, mlmodel, pyfunc_conf)
            return FastRuntime("code-model", fn, schema), None
        raise NeedsMlflow("loader_module `{}` needs mlflow".format(loader))
    except NeedsMlflow as e:
        reason, _ = cut_message(str(e))
    return MlflowRuntime(model_dir, signature), reason


# --------------------------------------------------------------------------------------------
# The request loop.


def handle_predict(runtime, request):
    started = time.time()
    content_type = request.get("content_type", "json")
    if content_type not in ("json", "csv"):
        raise BadRequest("Unknown content type '{}'".format(content_type))
    if "data" not in request and not isinstance(request.get("input_path"), str):
        raise BadRequest("predict needs input_path or data")
    request = dict(request, content_type=content_type)
    try:
        data, params, unwrapped = runtime.parse(request)
    except RecursionError:
        raise too_deep_to_convert()
    parsed_at = time.time()
    try:
        raw = runtime.predict(data, params)
    except WorkerError:
        raise
    except Exception as e:
        if isinstance(runtime, MlflowRuntime) and MlflowRuntime.is_schema_failure(e) and find_import_error(e) is None:
            raise mlflow_schema_failure(e)
        return error_reply(e, stage="predict")
    predicted_at = time.time()
    try:
        text = runtime.encode(raw, unwrapped)
        if request.get("strict_json"):
            text = strict_json(text)
    except Exception as e:
        if find_import_error(e) is not None:
            return error_reply(e, stage="predict")
        failure = ModelOutputError("the model's output cannot be written as JSON: {}: {}".format(type(e).__name__, exception_message(e)))
        failure.__cause__ = e
        return error_reply(failure, stage="predict")
    reply = {
        "ok": True,
        "type": "prediction",
        "timings": {
            "parse_ms": round((parsed_at - started) * 1000, 3),
            "predict_ms": round((predicted_at - parsed_at) * 1000, 3),
            "encode_ms": round((time.time() - predicted_at) * 1000, 3),
        },
    }
    try:
        import resource

        # ru_maxrss is in KiB on Linux, bytes on macOS.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        reply["max_rss_kb"] = peak // 1024 if sys.platform == "darwin" else peak
    except (ImportError, OSError):
        pass
    output_path = request.get("output_path")
    if output_path:
        try:
            with open(output_path, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise BadInput("cannot write the output file: {}".format(e.strerror or e), file=output_path)
        reply["output_path"] = output_path
        reply["bytes"] = len(text)
    else:
        reply["output"] = text
    return reply


def serve(channel, runtime):
    for line in channel.requests():
        request_id = None
        try:
            try:
                request = json.loads(line.decode("utf-8"))
            except ValueError as e:
                raise BadRequest("request is not JSON: {}".format(e))
            if not isinstance(request, dict):
                raise BadRequest("request is not a JSON object")
            request_id = request.get("id")
            kind = request.get("type")
            if kind == "shutdown":
                channel.send({"ok": True, "id": request_id, "type": "bye"})
                return
            if kind == "ping":
                reply = {"ok": True, "type": "pong"}
            elif kind == "predict":
                reply = handle_predict(runtime, request)
            else:
                raise BadRequest("unknown request type {!r}".format(kind))
        except Exception as e:  # every failure becomes a reply; the worker keeps serving
            reply = error_reply(e)
        reply["id"] = request_id
        channel.send(reply)


def main(argv=None):
    parser = argparse.ArgumentParser(description="mlf model worker")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--runtime", choices=("auto", "mlflow"), default="auto")
    parser.add_argument("--pycache-prefix", default=None)
    # Where the skops transcoding cache keeps its pickles (see load_skops); none: no cache.
    parser.add_argument("--model-cache-dir", default=None)
    args = parser.parse_args(argv)
    if args.pycache_prefix:
        # Bytecode of the model's own code would otherwise land in <model>/__pycache__ and
        # <model>/code/__pycache__: predicting must leave the model directory as it was.
        sys.pycache_prefix = args.pycache_prefix
        # With a prefix, Python reads and writes bytecode only under it (never next to a source
        # file), so PYTHONDONTWRITEBYTECODE -- whose job is keeping .pyc files out of source
        # trees and images -- has nothing left to protect here. Honouring it would make every
        # start compile numpy, pandas and scikit-learn from source again (~3.5 s of a ~5 s
        # start), since the prefix also hides the environment's own __pycache__ directories.
        sys.dont_write_bytecode = False

    channel = Channel()
    channel.send(
        {
            "ok": True,
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "worker_version": WORKER_VERSION,
            "python": ".".join(str(p) for p in sys.version_info[:3]),
            "executable": sys.executable,
            "pid": os.getpid(),
        }
    )
    # MLflow predicts inside _simulate_serving_environment; model code may look at it.
    os.environ["_MLFLOW_IS_IN_SERVING_ENVIRONMENT"] = "true"
    started = time.time()
    model_dir = os.path.abspath(args.model_dir)
    # Loading is mostly importing (numpy, pandas, scipy, scikit-learn: ~100k objects), during
    # which the cyclic collector runs again and again and finds almost nothing to free: paused
    # for the load, it saves ~7% of it. Cycles made meanwhile are collected once it resumes.
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        mlmodel = read_mlmodel(model_dir)
        runtime, fallback_reason = load_runtime(model_dir, args.runtime, mlmodel, args.model_cache_dir)
    except Exception as e:
        channel.send(error_reply(e, stage="load", model_dir=model_dir))
        return 1
    finally:
        if collecting:
            gc.enable()
    ready = {
        "ok": True,
        "type": "ready",
        "runtime": runtime.name,
        "load_ms": round((time.time() - started) * 1000, 3),
    }
    if fallback_reason:
        ready["fallback_reason"] = fallback_reason
    channel.send(ready)
    serve(channel, runtime)
    return 0


def exit_quickly(code):
    """Ends the worker without the interpreter's module-by-module teardown.

    Once pandas and scikit-learn are loaded, that teardown takes ~250 ms -- a tenth of a warm
    predict -- after the answer was already sent. First it does what the teardown does that
    anyone could observe: if a non-daemon thread of the model's is still running, it leaves the
    ordinary way (which waits for it); otherwise it runs the atexit handlers (logging.shutdown,
    weakref.finalize, the model's own), flushes every file object still holding buffered
    writes, and C's stdio buffers. What it skips -- __del__ of objects alive at exit, freeing
    memory -- Python does not promise at exit either.
    """
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(t is not main_thread and t.is_alive() and not t.daemon for t in threading.enumerate()):
            sys.exit(code)
    import atexit
    import gc

    atexit._run_exitfuncs()
    # An exact-type test against the writer classes and all their subclasses: the same objects
    # as isinstance, in a third of the time over the ~120k objects a loaded model leaves (~40 ms).
    writer_types = set()
    pending = [io.BufferedWriter, io.BufferedRandom, io.TextIOWrapper]
    while pending:
        cls = pending.pop()
        if cls not in writer_types:
            writer_types.add(cls)
            pending.extend(cls.__subclasses__())
    for obj in [o for o in gc.get_objects() if type(o) in writer_types]:
        try:
            if not obj.closed:
                obj.flush()
        except Exception:
            pass
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass
    # os._exit skips the C library's exit too: flush what C code wrote through stdio (FILE *).
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except Exception:
        pass
    os._exit(code)


if __name__ == "__main__":
    exit_quickly(main())
