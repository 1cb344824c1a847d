"""The worker's start: arguments, the protocol channel, the model load, then the request loop.

    python worker.py --model-dir DIR [--runtime auto|mlflow] [--pycache-prefix DIR] [--model-cache-dir DIR]
                     [--ignore-sigint] [--warm-up]
"""

import argparse
import os
import sys
import time

from . import logs
from .protocol import Channel, error_reply, hello_message, ready_message
from .timings import elapsed_ms


def parse_args(argv):
    parser = argparse.ArgumentParser(description="mlf model worker")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--runtime", choices=("auto", "mlflow"), default="auto")
    parser.add_argument("--pycache-prefix", default=None)
    # Where the skops transcoding cache keeps its pickles (cache/skops.py); none: no cache.
    parser.add_argument("--model-cache-dir", default=None)
    # `mlf models serve`: Ctrl-C reaches the whole process group, workers included, but mlf shuts
    # its pool down itself (the requests in flight finish first); a worker leaves when told to,
    # when its stdin closes, or with mlf (die_with_parent).
    parser.add_argument("--ignore-sigint", action="store_true")
    # `mlf models serve`: answer one request of the worker's own before saying ready (warm_up.py).
    parser.add_argument("--warm-up", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.pycache_prefix:
        # Bytecode of the model's own code would otherwise land in <model>/__pycache__ and
        # <model>/code/__pycache__: predicting must leave the model directory as it was.
        sys.pycache_prefix = args.pycache_prefix
        # With a prefix, Python reads and writes bytecode only under it (never next to a source
        # file), so PYTHONDONTWRITEBYTECODE -- whose job is keeping .pyc files out of source
        # trees and images -- has nothing left to protect here. Honouring it would make every
        # start compile numpy, pandas and scikit-learn from source again (~3.5 s of a ~5 s
        # start), since the prefix also hides the environment's own __pycache__ directories.
        sys.dont_write_bytecode = False

    die_with_parent()
    if args.ignore_sigint:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = Channel()
    channel.send(hello_message())
    logs.send_to(channel.send)
    # MLflow predicts inside _simulate_serving_environment; model code may look at it.
    os.environ["_MLFLOW_IS_IN_SERVING_ENVIRONMENT"] = "true"
    started = time.perf_counter()
    model_dir = os.path.abspath(args.model_dir)
    # Loading is mostly importing (numpy, pandas, scipy, scikit-learn: ~100k objects), during
    # which the cyclic collector runs again and again and finds almost nothing to free: paused
    # for the load, it saves ~7% of it. Cycles made meanwhile are collected once it resumes.
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        from .model_dir import read_mlmodel
        from .runtimes.registry import load_runtime

        mlmodel = read_mlmodel(model_dir)
        runtime, fallback_reason = load_runtime(model_dir, args.runtime, mlmodel, args.model_cache_dir)
    except Exception as e:
        channel.send(error_reply(e, stage="load", model_dir=model_dir))
        return 1
    finally:
        if collecting:
            gc.enable()
    load_ms = elapsed_ms(started)
    serving = None
    if args.warm_up:
        from .http.mlflow import MlflowServing
        from .loop import invoke
        from .warm_up import warm_up

        serving = MlflowServing(runtime, model_dir)
        warm_up(lambda request: invoke(serving, request), model_dir, mlmodel)
    channel.send(ready_message(runtime, load_ms, fallback_reason))
    from .loop import run

    run(channel, runtime, model_dir, serving)
    return 0


def die_with_parent():
    """Exits as soon as mlf is gone, even killed by SIGKILL and even mid-predict (the loop only
    sees stdin close between requests): Linux's parent-death signal, and everywhere a thread that
    watches for the parent pid to change."""
    import threading

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except Exception:
            pass
    if os.getppid() != parent or parent == 1:
        return

    def watch():
        import time

        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="mlf-parent-watch", daemon=True).start()
