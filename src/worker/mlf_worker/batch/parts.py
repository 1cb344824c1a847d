"""The local engine's side of batch-predict in the worker: what the input files hold (`inspect`),
and one output part written from a list of input slices (`write_part`), streaming: at most one
batch of rows (`batch_rows`) of the input is held at a time, whatever the size of a slice.

The worker reads and writes the files itself, in the model's environment: Parquet with pyarrow
(a row group is read in record batches, and the part is written batch by batch as row groups, the
input's own Arrow columns passed through untouched, the result columns appended), CSV and JSON
lines with pandas (CSV with the dtypes `mlf models predict` reads CSV with: scoring/parse.py).
Rows never pass through mlf's Node process.

A slice is one of:
    {"path": P, "row_groups": [i, ...]}      Parquet: these row groups of P, in this order;
    {"path": P, "start": A, "end": B}        CSV / JSON lines: the lines in bytes [A, B) of P (mlf
                                             plans A and B at line starts); a CSV's header line is
                                             read from the start of P for every slice.
"""

import io
import os

from ..errors import BadInput, WorkerError
from ..scoring.parse import csv_parse_failure, read_csv_input
from ..timings import PhaseTimer
from .score import score_frame

FORMATS = ("parquet", "csv", "json")
DEFAULT_BATCH_ROWS = 65536


def require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise BadInput(
            "reading and writing Parquet needs pyarrow in the model's environment, and it has none",
            hint="add it on top of the model's requirements with `--pip-requirements-override pyarrow`, or give CSV or JSON-lines input",
        )
    return pyarrow, pyarrow.parquet


def inspect(fmt, paths):
    """Per file: its columns (Parquet, CSV) and its row groups' row counts (Parquet)."""
    files = []
    for path in paths:
        if fmt == "parquet":
            pa, pq = require_pyarrow()
            try:
                metadata = pq.read_metadata(path)
                names = pq.read_schema(path).names
            except (pa.ArrowException, OSError) as e:
                raise BadInput("cannot read the file as Parquet: {}".format(e), file=path)
            files.append({"path": path, "columns": names, "row_groups": [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]})
        elif fmt == "csv":
            files.append({"path": path, "columns": [str(name) for name in read_csv_input(path, None, nrows=0).columns]})
        else:
            files.append({"path": path})
    return files


def write_part(runtime, request):
    """Scores every row of the request's slices into its `output_path`; the reply's counts."""
    fmt = request["format"]
    if fmt not in FORMATS:
        raise BadInput("unknown batch format {!r}".format(fmt))
    columns = request.get("columns")
    result_column = request["result_column"]
    batch_rows = int(request.get("batch_rows") or DEFAULT_BATCH_ROWS)
    phases = {"read_ms": 0.0, "score_ms": 0.0, "write_ms": 0.0}
    timer = PhaseTimer()
    rows = 0
    writer = PART_WRITERS[fmt](request["output_path"])
    try:
        for frame, table in read_slices(fmt, request["slices"], runtime, batch_rows):
            timer.mark("read_ms")
            scored = score_frame(runtime, frame, columns, result_column)
            timer.mark("score_ms")
            writer.write(scored, table, frame.shape[1])
            timer.mark("write_ms")
            for phase in phases:
                phases[phase] += timer.phases.pop(phase, 0.0)
            rows += len(frame)
    finally:
        writer.close()
    return {"rows": rows, "bytes": os.path.getsize(request["output_path"]), "timings": {k: round(v, 3) for k, v in phases.items()}}


def read_slices(fmt, slices, runtime, batch_rows):
    """(DataFrame, the same rows as an Arrow table or None) per batch, slice after slice."""
    for piece in slices:
        path = piece["path"]
        if fmt == "parquet":
            yield from parquet_batches(path, piece["row_groups"], batch_rows)
        elif fmt == "csv":
            yield from csv_batches(path, piece["start"], piece["end"], runtime, batch_rows)
        else:
            yield from json_batches(path, piece["start"], piece["end"], batch_rows)


def parquet_batches(path, row_groups, batch_rows):
    pa, pq = require_pyarrow()
    try:
        source = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        raise BadInput("cannot read the file as Parquet: {}".format(e), file=path)
    with source:
        for batch in source.iter_batches(batch_size=batch_rows, row_groups=row_groups):
            table = pa.Table.from_batches([batch])
            yield table.to_pandas(), table


class ByteRange(io.RawIOBase):
    """`prefix` (a CSV's header line), then bytes [start, end) of the file at `path`."""

    def __init__(self, path, start, end, prefix=b""):
        self.file = open(path, "rb")
        self.file.seek(start)
        self.left = end - start
        self.prefix = prefix

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        if self.left <= 0:
            return 0
        data = self.file.read(min(len(buffer), self.left))
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self.file.close()
        super().close()


def header_line(path):
    with open(path, "rb") as f:
        return f.readline()


def csv_batches(path, start, end, runtime, batch_rows):
    stream = io.BufferedReader(ByteRange(path, start, end, header_line(path)))
    with stream:
        # The model's CSV dtypes, as predict reads CSV (runtimes: `csv_inputs`).
        reader = read_csv_input(stream, getattr(runtime, "csv_inputs", None), chunksize=batch_rows)
        yield from chunks_of(reader, csv_parse_failure, path)


def json_batches(path, start, end, batch_rows):
    import pandas as pd

    def failure(error):
        return BadInput("Failed to parse JSON lines as a Pandas DataFrame: {}".format(str(error).strip()))

    text = io.TextIOWrapper(io.BufferedReader(ByteRange(path, start, end)), encoding="utf-8")
    with text:
        # As predict builds a frame of JSON records: the values as JSON gives them, no dtype or date guessing.
        try:
            # pandas 3 deprecates convert_dates; there dtype=False alone turns the date guessing off.
            no_dates = {} if int(pd.__version__.split(".")[0]) >= 3 else {"convert_dates": False}
            reader = pd.read_json(text, lines=True, chunksize=batch_rows, dtype=False, **no_dates)
        except ValueError as e:
            raise failure(e)
        yield from chunks_of(reader, failure, path)


def chunks_of(reader, failure, path):
    iterator = iter(reader)
    while True:
        try:
            frame = next(iterator)
        except StopIteration:
            return
        except WorkerError:
            raise
        except UnicodeDecodeError as e:
            raise BadInput("the input is not UTF-8 text: {}".format(e), file=path)
        except Exception as e:
            error = failure(e)
            error.extra.setdefault("file", path)
            raise error
        yield frame, None


class ParquetPart:
    """Row groups appended as batches come: the input's Arrow columns as read, then the results."""

    def __init__(self, path):
        self.path = path
        self.writer = None

    def write(self, scored, table, input_width):
        pa, pq = require_pyarrow()
        results = pa.Table.from_pandas(scored.iloc[:, input_width:], preserve_index=False)
        for name, column in zip(results.column_names, results.columns):
            table = table.append_column(name, column)
        if self.writer is None:
            # The input's pandas metadata would name only the input's columns.
            self.schema = table.schema.remove_metadata()
            self.writer = pq.ParquetWriter(self.path, self.schema)
        table = table.replace_schema_metadata(None)
        if table.schema != self.schema:
            try:
                table = table.cast(self.schema)
            except (pa.ArrowException, ValueError) as e:
                raise BadInput("the rows of one output part do not have one schema ({}); give CSV or JSON-lines output, or make the input's column types uniform".format(e))
        self.writer.write_table(table)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        else:
            open(self.path, "wb").close()
        sync(self.path)


class TextPart:
    def __init__(self, path):
        self.file = open(path, "w", encoding="utf-8", newline="")
        self.first = True

    def close(self):
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


class CsvPart(TextPart):
    def write(self, scored, table, input_width):
        scored.to_csv(self.file, header=self.first, index=False, lineterminator="\n")
        self.first = False


class JsonLinesPart(TextPart):
    def write(self, scored, table, input_width):
        text = scored.to_json(orient="records", lines=True, date_format="iso", double_precision=15, force_ascii=False)
        if text and not text.endswith("\n"):
            text += "\n"
        self.file.write(text)


PART_WRITERS = {"parquet": ParquetPart, "csv": CsvPart, "json": JsonLinesPart}


def sync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
