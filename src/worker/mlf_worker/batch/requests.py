"""The worker's batch requests (protocol 4, `mlf models batch-predict`'s local engine):

    {"id", "type": "batch_inspect", "format": F, "paths": [P, ...]}
        -> {"ok": true, "id", "type": "batch_inspect", "files": [{"path", "columns"?, "row_groups"?}]}
    {"id", "type": "batch_part", "format": F, "slices": [...], "output_path": O, "columns": [..] | null,
     "result_column": R, "batch_rows"?: N}
        -> {"ok": true, "id", "type": "batch_part", "rows", "bytes", "timings", "max_rss_kb"?}

A bad input (a file that does not parse, a missing column, a signature mismatch) is the error
reply predict gives for it; an exception of the model's own is a model_error, as in predict.
"""

from ..errors import BadRequest, WorkerError
from ..protocol import error_reply
from ..timings import peak_rss_kb
from .parts import FORMATS, inspect, write_part


def batch_inspect(request):
    fmt = request.get("format")
    paths = request.get("paths")
    if fmt not in FORMATS or not isinstance(paths, list):
        raise BadRequest("batch_inspect needs a format and a list of paths")
    return {"ok": True, "type": "batch_inspect", "files": inspect(fmt, paths)}


def batch_part(runtime, request):
    if request.get("format") not in FORMATS or not isinstance(request.get("slices"), list) or not isinstance(request.get("output_path"), str):
        raise BadRequest("batch_part needs a format, slices and an output_path")
    try:
        counts = write_part(runtime, request)
    except WorkerError:
        raise
    except Exception as e:
        return error_reply(e, stage="predict")
    reply = {"ok": True, "type": "batch_part"}
    reply.update(counts)
    peak = peak_rss_kb()
    if peak is not None:
        reply["max_rss_kb"] = peak
    return reply
