"""How long the phases of a request took, and the worker's peak memory, for the reply."""

import sys
import time


class PhaseTimer:
    """Milliseconds between marks, on a monotonic clock (a reply's timings are never negative)."""

    def __init__(self):
        self.last = time.perf_counter()
        self.phases = {}

    def mark(self, phase):
        now = time.perf_counter()
        self.phases[phase] = round((now - self.last) * 1000, 3)
        self.last = now


def elapsed_ms(started):
    return round((time.perf_counter() - started) * 1000, 3)


def peak_rss_kb():
    """The process's peak resident memory in KiB, or None where the platform cannot tell."""
    try:
        import resource

        # ru_maxrss is in KiB on Linux, bytes on macOS.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):
        return None
    return peak // 1024 if sys.platform == "darwin" else peak
