"""The worker's own log messages: protocol v3 `log` messages once the channel is open.

`{"ok": true, "type": "log", "level": "warning" | "info", "message": ...}` travels on the protocol
channel (no id), so mlf shows a warning as a warning without reading the worker's stderr. Before a
channel is open (unit tests, or a failure before `hello`), they go to stderr with the prefix the
worker used before protocol 3. The model's prints and MLflow's logging stay on stderr.
"""

import sys

LEVELS = ("warning", "info")

_send = None


def send_to(send):
    """Sends every later message as `send(message)`; None: back to stderr."""
    global _send
    _send = send


def warning(message):
    _emit("warning", message)


def info(message):
    _emit("info", message)


def _emit(level, message):
    if _send is not None:
        _send({"ok": True, "type": "log", "level": level, "message": message})
        return
    prefix = "[mlf-worker] WARNING " if level == "warning" else "[mlf-worker] "
    sys.stderr.write(prefix + message + "\n")
    sys.stderr.flush()
