"""Launcher of mlf's model worker, the package mlf_worker/ beside this file.

Python compiles the script it is given anew on every start but caches the bytecode of the modules
it imports. So this script only points bytecode at mlf's prefix (--pycache-prefix, as
mlf_worker.main does for everything after it) and imports the worker from its own directory, which
Python puts first on sys.path.
"""
import sys


def pycache_prefix(argv):
    for i, arg in enumerate(argv):
        if arg == "--pycache-prefix" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--pycache-prefix="):
            return arg[len("--pycache-prefix="):]
    return None


if __name__ == "__main__":
    prefix = pycache_prefix(sys.argv[1:])
    if prefix:
        # Under a prefix bytecode is never written next to a source (see mlf_worker.main).
        sys.pycache_prefix = prefix
        sys.dont_write_bytecode = False
    else:
        # Without one, do not write into mlf's own installation.
        sys.dont_write_bytecode = True
    from mlf_worker.main import main
    from mlf_worker.quick_exit import exit_quickly

    exit_quickly(main())
