"""The worker's own log messages, on stderr: `[mlf-worker] WARNING ...` for a warning (mlf shows
those), `[mlf-worker] ...` for a note (shown under --verbose)."""

import sys


def warning(message):
    _emit("[mlf-worker] WARNING ", message)


def info(message):
    _emit("[mlf-worker] ", message)


def _emit(prefix, message):
    sys.stderr.write(prefix + message + "\n")
    sys.stderr.flush()
