"""The worker's exit, without the interpreter's module-by-module teardown."""

import io
import os
import sys


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
