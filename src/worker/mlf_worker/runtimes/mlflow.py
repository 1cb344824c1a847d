"""MLflow itself: mlflow.pyfunc.load_model, and MLflow's own scoring server code for parsing and
encoding (mlflow/pyfunc/scoring_server/__init__.py, MLflow 3.17.2: `_parse_json_data`,
`predictions_to_json`, `unwrapped_predictions_to_json`; older MLflows' `_split_data_and_params`
and `infer_and_parse_data`). Only MLflow's failures are reworded, to the same words the runtimes
without mlflow use for the same failure."""

import io
import os

from ..errors import BadInput, BadModelFile, SchemaError, WorkerError, exception_chain, exception_message, find_import_error
from ..scoring.parse import csv_source, json_decode_failure, json_too_deep, read_csv_input, read_input_text, too_deep_to_convert
from ..scoring.schema import schema_failure
from ..scoring.signature import csv_schema_inputs
from .base import Runtime

PROTOCOL_CHANGE_NOTE = " IMPORTANT: The MLflow Model scoring protocol has changed"
SCHEMA_FAILURE_PREFIXES = ("Failed to enforce schema of data", "Failed to enforce model input schema", "Invalid parameters found")


class MlflowRuntime(Runtime):
    name = "mlflow"

    def __init__(self, model, server, csv_inputs):
        self.model = model
        self.server = server
        self.csv_inputs = csv_inputs

    @classmethod
    def load(cls, model, schema=None):
        import mlflow.pyfunc

        check_signature_with_mlflow(model.signature, os.path.join(model.model_dir, "MLmodel"))
        loaded = mlflow.pyfunc.load_model(model.model_dir)
        try:
            from mlflow.pyfunc import scoring_server
        except ImportError:
            scoring_server = None
        return cls(loaded, scoring_server, csv_schema_inputs(model.signature))

    def parse(self, request):
        if request["content_type"] == "csv":
            return read_csv_input(csv_source(request), self.csv_inputs), None, False
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
        # An MLflow too old for either: parse as the runtimes without mlflow do, without a schema.
        from ..scoring.parse import parse_json_request
        from ..scoring.signature import Types

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
            from ..scoring.encode import encode_predictions

            return encode_predictions(raw, unwrapped)
        return out.getvalue()

    def classify_error(self, error):
        if is_schema_failure(error) and find_import_error(error) is None:
            return mlflow_schema_failure(error)
        return None


def is_schema_failure(error):
    if getattr(error, "error_class", None) == "SCHEMA_ENFORCEMENT_FAILED":
        return True
    return exception_message(error).startswith(SCHEMA_FAILURE_PREFIXES)


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


def mlflow_bad_input(error, text):
    """An exception of MLflow's input parsing, as the runtimes without mlflow word the same failure."""
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
