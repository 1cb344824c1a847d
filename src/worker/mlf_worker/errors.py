"""The failures the worker reports, each with the protocol `kind` it maps to (protocol.ts, ErrorKind).

Every failure becomes one reply whose `message` is one line of readable length (cut_message); the
full text, when it was cut, travels in `detail`, and the Python traceback in `traceback`: mlf shows
those two only under --verbose. Kinds:
  bad_input        the input is malformed (not JSON, not UTF-8, two input keys, a bad CSV);
  schema           the input does not satisfy the model's signature;
  bad_model_file   a file of the model directory cannot be read as MLflow would read it
                   (MLmodel not UTF-8 or not YAML, a signature that is not valid JSON, a model
                   code file that is not Python, a file MLmodel names that is missing);
  load_error / model_error   the model's own code (or MLflow's loader) raised;
  missing_module   an ImportError at load or predict (`module` names it);
  bad_request / internal     a bug in mlf (the client sent nonsense, or the worker failed).
"""

import traceback

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
    """A runtime without mlflow cannot be sure of giving MLflow's result; the reason says why."""


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
