"""The skops transcoding cache.

`import skops.io` imports every scikit-learn estimator (skops.io._trusted_types calls
sklearn.utils.all_estimators()), on every start: 0.4 s with bytecode cached, about 5 s without,
most of a warm predict. Unpickling the same estimator imports only the modules it uses. So after a
model has been loaded with skops -- exactly as MLflow loads it (mlflow/sklearn/__init__.py, MLflow
3.17.2, `_load_model_from_local_file`: skops.io.load with the MLmodel's `skops_trusted_types`) --
the worker keeps a pickle of the loaded object in mlf's cache, and later starts unpickle that
instead of importing skops.

Why that is safe:
  - the pickle is written by mlf itself, from an object skops had already accepted under
    MLflow's trust settings; unpickling it recreates that object and nothing else (a model
    skops refuses is never loaded, so never cached);
  - it lives in the user's own cache, next to the environment's site-packages (or under
    $MLF_HOME for the local manager): whoever can write the pickle can already write the code
    every start runs, so it opens no new way in;
  - its name is a digest of the model file's bytes (the very bytes skops loaded), the trusted
    types, the model's code directory, the Python build and every installed distribution's
    name and version: a changed model or environment never gets a stale object;
  - the file carries the SHA-256 of its payload, checked before unpickling: a truncated or
    damaged file is discarded with a warning and rebuilt; it is written atomically (temp file,
    fsync, rename), so a concurrent reader sees a whole file or none;
  - it is never written inside the model directory (predicting leaves the model as it was).
"""

import io
import json
import os
import sys

from .. import logs

TRANSCODE_MAGIC = b"mlf-skops-pickle 1\n"
_MISSING = object()


def load_skops(path, trusted, model_dir, pyfunc_conf, cache_dir):
    """skops.io.load(path, trusted=trusted), through the transcoding cache when there is one."""
    with open(path, "rb") as f:
        data = f.read()
    cache_file = transcode_cache_file(cache_dir, model_dir, data, trusted, pyfunc_conf)
    if cache_file is not None:
        model = read_transcoded(cache_file)
        if model is not _MISSING:
            # The file's mtime is its last use: `mlf envs prune --older-than` ages the local
            # manager's cache by it (worker/local-model-cache.ts).
            try:
                os.utime(cache_file)
            except OSError:
                pass
            logs.info("loaded the skops model from mlf's cache `{}`".format(cache_file))
            return model
    import skops.io

    # Loaded from the bytes the digest was taken of: a model file replaced in between cannot end
    # up cached under the old file's digest. (skops opens a path and a file object alike, with
    # zipfile.ZipFile.)
    model = skops.io.load(io.BytesIO(data), trusted=trusted)
    if cache_file is not None:
        write_transcoded(cache_file, model)
    return model


def transcode_cache_file(cache_dir, model_dir, data, trusted, pyfunc_conf):
    """`<cache_dir>/<digest>.pkl` for this model in this environment; None when not caching."""
    if not cache_dir:
        return None
    real_cache = os.path.realpath(cache_dir)
    real_model = os.path.realpath(model_dir)
    if real_cache == real_model or real_cache.startswith(real_model.rstrip(os.sep) + os.sep):
        logs.info("not caching the model: the cache directory `{}` is inside the model directory".format(cache_dir))
        return None
    import hashlib

    key = hashlib.sha256()

    def part(label, value):
        value = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
        key.update(label.encode("ascii") + b"=" + str(len(value)).encode("ascii") + b":" + value + b"\n")

    part("format", TRANSCODE_MAGIC)
    part("model", hashlib.sha256(data).hexdigest())
    part("trusted", json.dumps(trusted, sort_keys=True, default=repr))
    part("python", sys.version + " " + sys.implementation.cache_tag)
    for name in installed_distributions():
        part("dist", name)
    code = pyfunc_conf.get("code")
    if code:
        for relative, digest in directory_digests(os.path.join(model_dir, code)):
            part("code", relative + " " + digest)
    return os.path.join(real_cache, key.hexdigest() + ".pkl")


def installed_distributions():
    """The `name-version.dist-info` (and .egg-info) entries of every sys.path directory, in order.

    Cheaper than importlib.metadata (whose import alone takes ~40 ms) and stricter: any package
    installed, removed or upgraded in the environment changes the list.
    """
    names = []
    for entry in sys.path:
        try:
            listed = os.listdir(entry or ".")
        except OSError:
            continue
        names.append("path " + entry)
        names.extend(sorted(n for n in listed if n.endswith((".dist-info", ".egg-info"))))
    return names


def directory_digests(root):
    """(relative path, sha256) of every file under root, sorted, without __pycache__."""
    import hashlib

    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            full = os.path.join(current, name)
            try:
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                digest = "unreadable"
            found.append((os.path.relpath(full, root), digest))
    return sorted(found)


def read_transcoded(cache_file):
    """The cached object, or _MISSING (absent, or corrupt: then removed, with a warning)."""
    try:
        with open(cache_file, "rb") as f:
            blob = f.read()
    except FileNotFoundError:
        return _MISSING
    except OSError as e:
        logs.info("could not read the model cache file `{}`: {}".format(cache_file, e))
        return _MISSING
    import hashlib

    header_length = len(TRANSCODE_MAGIC) + 64 + 1
    if not blob.startswith(TRANSCODE_MAGIC) or len(blob) < header_length or blob[header_length - 1:header_length] != b"\n":
        problem = "it does not start with mlf's header"
    elif hashlib.sha256(blob[header_length:]).hexdigest().encode("ascii") != blob[len(TRANSCODE_MAGIC):header_length - 1]:
        problem = "its checksum does not match its contents"
    else:
        import pickle

        try:
            return pickle.loads(blob[header_length:])
        except Exception as e:
            problem = "it does not unpickle: {}: {}".format(type(e).__name__, e)
    logs.warning(
        "discarding the corrupt model cache file `{}` ({}); loading the model with skops "
        "and caching it again".format(cache_file, problem)
    )
    try:
        os.remove(cache_file)
    except OSError:
        pass
    return _MISSING


def write_transcoded(cache_file, model):
    """Writes the pickle atomically; a model that does not round-trip through pickle is not cached."""
    import hashlib
    import pickle
    import tempfile

    try:
        payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        # Proves the next start can load it (an object may pickle and still not unpickle).
        pickle.loads(payload)
    except Exception as e:
        logs.info("not caching the model: it does not round-trip through pickle ({}: {})".format(type(e).__name__, e))
        return
    directory = os.path.dirname(cache_file)
    temp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".pkl", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(TRANSCODE_MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n")
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, cache_file)
        temp = None
        fsync_directory(directory)
        logs.info("cached the skops model as a pickle in `{}`".format(cache_file))
    except OSError as e:
        logs.info("could not write the model cache file `{}`: {}".format(cache_file, e))
    finally:
        if temp is not None:
            try:
                os.remove(temp)
            except OSError:
                pass


def fsync_directory(directory):
    """Makes the rename durable where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
