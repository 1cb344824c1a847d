"""The protocol (src/worker/protocol.ts is the other side): framing and the worker's messages.

Newline-delimited JSON, one object per line:
  - on start the worker writes {"ok": true, "type": "hello", "protocol": N, ...} at once, then
    loads the model and writes {"ok": true, "type": "ready", "runtime": ...} or an error;
  - then for each request line {"id": K, "type": "predict" | "ping" | "shutdown", ...} it writes
    exactly one reply line {"ok": true, "id": K, ...} or {"ok": false, "id": K, "kind": ..., ...};
  - at any time, {"ok": true, "type": "log", "level": "warning" | "info", "message": ...} (no id;
    protocol 3, see logs.py);
  - protocol 4: {"id": K, "type": "invoke", "protocol": "mlflow", "path": ..., "content_type": str
    | null, "body": str (or "body_base64" for a body that is not UTF-8), "model_name"?: str} gets
    {"ok": true, "id": K, "type": "http", "status": int, "content_type": str, "body": str,
    "timings": {...}}: whatever the HTTP request holds, the answer is an HTTP response (http/).
Errors: {"ok": false, "kind": "missing_module" | "bad_input" | "schema" | "bad_model_file" |
"model_error" | "load_error" | "bad_request" | "internal", "message": ..., "detail"?: ...,
"traceback"?: ..., "file"?, "line"?, "column"?, "field"?, "hint"?, "module"?, "input_looks_like"?}:
`message` is always one line of at most ~300 characters; the full text, when it was cut, is in
`detail`, and the Python traceback in `traceback` (mlf shows both under --verbose only).

The protocol travels on a private duplicate of the original stdout. File descriptor 1 itself is
pointed at stderr before any model code runs, so a model's print() (or a C library writing to
fd 1) lands on stderr and can never corrupt the protocol.
"""

import json
import os
import sys

from .errors import LoadFailure, WorkerError, cut_message, exception_message, find_import_error, format_traceback, module_from_message

PROTOCOL_VERSION = 4
WORKER_VERSION = "1"


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


def hello_message():
    return {
        "ok": True,
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "worker_version": WORKER_VERSION,
        "python": ".".join(str(p) for p in sys.version_info[:3]),
        "executable": sys.executable,
        "pid": os.getpid(),
    }


def ready_message(runtime, load_ms, fallback_reason):
    ready = {"ok": True, "type": "ready", "runtime": runtime.name, "load_ms": load_ms}
    if fallback_reason:
        ready["fallback_reason"] = fallback_reason
    return ready


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
        damaged = None
        if stage == "load":
            from .model_dir import damaged_model_file

            damaged = damaged_model_file(error, model_dir)
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
