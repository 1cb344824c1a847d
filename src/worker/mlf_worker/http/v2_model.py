"""Open Inference (V2) for `mlf models serve`: the datatypes, the model metadata MLServer's MLflow
runtime derives from the MLmodel signature (mlserver_mlflow/metadata.py, MLServer 1.7.1), and the
error every V2 module raises. http/v2.py explains the conventions."""

import json

DATATYPES = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BYTES": "bytes",
}
NUMPY_TO_DATATYPE = dict({v: k for k, v in DATATYPES.items()}, object="BYTES", str="BYTES", S="BYTES", U="BYTES", O="BYTES")
# MLflow's column types -> (datatype, content type) in the model metadata (mlserver_mlflow/metadata.py).
COLUMN_TYPES = {
    "boolean": ("BOOL", "np"),
    "integer": ("INT32", "np"),
    "long": ("INT64", "np"),
    "float": ("FP32", "np"),
    "double": ("FP64", "np"),
    "string": ("BYTES", "str"),
    "binary": ("BYTES", "base64"),
    "datetime": ("BYTES", "datetime"),
}


class V2Error(Exception):
    """A failure answered with {"error": message} and `status`."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


def signature_specs(signature, key):
    """The list of specs of MLmodel's `signature[key]` (a JSON text), [] when there is none."""
    if not isinstance(signature, dict):
        return None
    text = signature.get(key)
    if not text:
        return None
    specs = json.loads(text) if isinstance(text, str) else text
    return specs if isinstance(specs, list) else None


def tensor_datatype(dtype):
    import numpy as np

    name = np.dtype(dtype).name
    if name in NUMPY_TO_DATATYPE:
        return NUMPY_TO_DATATYPE[name]
    return NUMPY_TO_DATATYPE[np.dtype(dtype).kind]


def metadata_tensors(specs, prefix):
    """MLServer's metadata tensors for a list of MLflow specs (mlserver_mlflow/metadata.py)."""
    tensors = []
    for i, spec in enumerate(specs or []):
        name = spec.get("name") or "{}{}".format(prefix, i)
        if spec.get("type") == "tensor":
            tensor = spec.get("tensor-spec") or {}
            datatype, content_type = tensor_datatype(tensor.get("dtype")), "np"
            shape = list(tensor.get("shape") or [])
        else:
            type_name = spec.get("type")
            datatype, content_type = COLUMN_TYPES.get(type_name, ("BYTES", "pd_json")) if isinstance(type_name, str) else ("BYTES", "pd_json")
            shape = [-1, 1]
        tensors.append({"name": name, "datatype": datatype, "shape": shape, "parameters": {"content_type": content_type}})
    return tensors


def model_content_type(signature):
    """The model-level content type: "pd" for columns, "dict" / "np" for tensors with / without names."""
    specs = signature_specs(signature, "inputs")
    if specs is None:
        return None
    if specs and all(s.get("type") == "tensor" for s in specs):
        return "dict" if specs[0].get("name") else "np"
    return "pd"


class ModelInfo:
    """What the V2 side needs of the model: its name, version and MLmodel signature."""

    def __init__(self, name, signature, version=None):
        self.name = name
        self.version = version
        self.signature = signature
        self.inputs = metadata_tensors(signature_specs(signature, "inputs"), "input-")
        self.outputs = metadata_tensors(signature_specs(signature, "outputs"), "output-")
        self.content_type = model_content_type(signature)
        self.inputs_by_name = {t["name"]: t for t in self.inputs}

    def metadata(self):
        """GET /v2/models/{name}: as MLServer writes it for an MLflow model."""
        body = {"name": self.name, "versions": [self.version] if self.version else [], "platform": "", "inputs": self.inputs, "outputs": self.outputs}
        if self.content_type:
            body["parameters"] = {"content_type": self.content_type}
        return body
