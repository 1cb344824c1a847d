"""The model directory: MLmodel as MLflow reads it, and which failures are a damaged file of it.

MLmodel is read as mlflow/models/model.py (MLflow 3.17.2, `Model.load`) reads it: UTF-8, PyYAML's
safe loader. The signature is checked as mlflow/models/signature.py (`ModelSignature.from_dict`)
would read it, so that a damaged one is reported with its field instead of a bare JSONDecodeError.
"""

import json
import os
import sys

from .errors import BadModelFile, LoadError, exception_chain
from .utf8 import not_utf8

SIGNATURE_FIELDS = ("inputs", "outputs", "params")


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


def python_function_conf(mlmodel, mlmodel_path):
    """MLmodel's `flavors.python_function`, which every model predict can load must have."""
    flavors = mlmodel.get("flavors")
    pyfunc_conf = flavors.get("python_function") if isinstance(flavors, dict) else None
    if not isinstance(pyfunc_conf, dict):
        raise BadModelFile(
            'Model does not have the "python_function" flavor',
            file=mlmodel_path,
            field="flavors.python_function",
            hint="save the model with a flavor that adds `python_function`",
        )
    return pyfunc_conf


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


def add_code_to_sys_path(model_dir, pyfunc_conf):
    """The model's `code` directory first on sys.path, as mlflow.pyfunc's loaders put it."""
    code = pyfunc_conf.get("code")
    if code:
        sys.path.insert(0, os.path.abspath(os.path.join(model_dir, code)))


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
