"""The model's predict as `mlf models predict` calls it, shared by the request loop (loop.py) and
batch scoring (batch/score.py): the runtime's predict (signature enforcement, then the model), with
a failure the runtime recognises reported as that runtime's WorkerError."""

from ..errors import WorkerError


def predict_classified(runtime, data, params):
    """The model's raw predictions for parsed `data`. A WorkerError (a schema failure) propagates;
    any other exception is replaced by the runtime's classification of it when it has one, else
    propagates unchanged (the caller reports it as the model's own failure)."""
    try:
        return runtime.predict(data, params)
    except WorkerError:
        raise
    except Exception as e:
        classified = runtime.classify_error(e)
        if classified is not None:
            raise classified from e
        raise
