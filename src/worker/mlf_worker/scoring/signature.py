"""The column signatures the ported scoring code handles, after mlflow/types/schema.py (MLflow
3.17.2): `ColSpec`, `Schema` (its input_* accessors) and `DataType.to_numpy` / `to_pandas`, for
scalar column types only; tensor signatures are tensor_schema.py's. Any other signature is MLflow's
to enforce (NeedsMlflow)."""

import json

from ..errors import NeedsMlflow
from .tensor_schema import is_tensor_signature, parse_tensor_schema

SCALAR_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")


class ColSpec:
    is_tensor = False

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
    """A column signature whose every type is a scalar DataType."""

    is_tensor = False

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

    def csv_dtypes(self):
        """(name or position, type name) of each column: an unnamed schema's input names are its
        positions (MLflow's Schema.input_names()), which pandas takes as column indices."""
        return [(c.name if c.name is not None else i, c.type) for i, c in enumerate(self.inputs)]

    def __repr__(self):
        return "[" + ", ".join(repr(c) for c in self.inputs) + "]"


def parse_input_schema(signature):
    """The input schema of MLmodel's `signature` (a ColSchema or, for tensor inputs, a
    TensorSchema), None when there is none; NeedsMlflow for what only MLflow enforces."""
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
    if is_tensor_signature(specs):
        return parse_tensor_schema(specs)
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


def csv_schema_inputs(signature):
    """(name or position, type) pairs of an all-scalar column input schema; None otherwise.

    For MLflow's own runtime, which reads a CSV before MLflow enforces whatever schema it has.
    """
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
    return [(spec.get("name", i), spec["type"]) for i, spec in enumerate(specs)]


class Types:
    """DataType.to_numpy() and to_pandas() by type name, built once numpy is imported."""

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
