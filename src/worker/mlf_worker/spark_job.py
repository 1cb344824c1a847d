"""`mlf models batch-predict --engine spark`: the PySpark job spark-submit runs (through the
launcher ../mlf_spark_job.py).

The driver reads INPUT with Spark's readers, scores each partition's Arrow batches with
mlf_worker.batch.score_frame inside `mapInPandas` on the executors (the same signature
enforcement and predict as `mlf models predict`), and writes OUTPUT with the batch protocol:
`part-NNNNN.<ext>` files and `_SUCCESS` written last by mlf (src/batch/engines/spark.ts) from
the staging directory this job writes with Spark's writer.

The executors' Python is the packed environment spark-submit ships (`--archives ...#mlfenv`,
`spark.pyspark.python=./mlfenv/bin/python`); `score_partition` refuses to run from any other
Python, so nothing on an executor ever builds or picks an environment.

With `--commit-output` (OUTPUT_DIR given as a URI: `file://`, `hdfs://`, `s3a://`...), the job
applies the batch protocol itself, in the driver, through Hadoop's FileSystem (commit_output):
mlf never opens a URI. Each Python worker reports
its interpreter back through an accumulator; the driver prints one summary line (SUMMARY_PREFIX +
JSON) that mlf reads.
"""

import argparse
import json
import os
import re
import sys

SUMMARY_PREFIX = "mlf-spark-summary: "
# The order of the input's rows, carried through a repartition and dropped before scoring.
ORDER_COLUMN = "__mlf_row_order"
# Rows scored on the driver to learn the output's schema (mapInPandas needs it before it runs).
SCHEMA_SAMPLE_ROWS = 20
# The batch protocol's names (src/batch/output.ts), for a URI output the job commits itself.
PART_NAME = re.compile(r"^part-\d{5}\.(parquet|csv|json)$")
SUCCESS_FILE = "_SUCCESS"
STATE_DIR = "_mlf_batch"
# The run's lock in a local OUTPUT_DIR (src/model/write-lock.ts: `.mlf-lock`, or one moved aside while taken over).
WRITE_LOCK = re.compile(r"^\.mlf-lock(-stale-[0-9a-f]{8})?$")
STAGING_DIR = "spark-parts"
RECORD_FILE = "spark.json"


def parse_args(argv):
    parser = argparse.ArgumentParser(description="mlf batch-predict on Spark")
    parser.add_argument("--input", action="append", required=True, help="an input path or URI (repeatable)")
    parser.add_argument("--input-format", choices=("parquet", "csv", "json"), required=True)
    parser.add_argument("--output", required=True, help="the staging directory Spark writes the parts into")
    parser.add_argument("--output-format", choices=("parquet", "csv", "json"), required=True)
    parser.add_argument(
        "--commit-output", action="store_true", help="--output is OUTPUT_DIR itself (a URI): stage there and commit the protocol's names"
    )
    parser.add_argument("--model-dir", required=True, help="the model directory on the driver")
    parser.add_argument("--executor-model-dir", required=True, help="where the shipped model is on an executor")
    parser.add_argument("--executor-env-dir", required=True, help="where the shipped environment is on an executor")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--columns", default=None, help="a JSON list of input columns to score")
    parser.add_argument("--result-column", default="prediction")
    parser.add_argument("--app-name", default="mlf batch-predict")
    return parser.parse_args(argv)


# The model each Python worker loads once and reuses for every batch of every task it runs.
_loaded = {}


def load_model(model_dir):
    """The model as the worker loads it (runtimes/registry.py), once per process."""
    if model_dir not in _loaded:
        from mlf_worker.batch import load_model as load_batch_model

        _loaded[model_dir] = load_batch_model(model_dir)
    return _loaded[model_dir]


def check_shipped_environment(env_dir):
    """Refuses to score from a Python other than the shipped environment's: an executor must
    never fall back to its own interpreter (or build one), as spark_udf's env managers do."""
    shipped = os.path.realpath(os.path.abspath(env_dir))
    prefix = os.path.realpath(sys.prefix)
    if prefix != shipped:
        raise RuntimeError(
            "mlf: this executor's Python is {} (prefix {}), not the shipped environment {}: "
            "spark.pyspark.python must be ./{}/bin/python".format(sys.executable, prefix, shipped, os.path.basename(env_dir))
        )
    return {
        "executable": os.path.abspath(sys.executable),
        "prefix": prefix,
        "cwd": os.getcwd(),
        "host": os.uname().nodename,
        "pid": os.getpid(),
        # A standalone worker runs each executor in <work-dir>/<app-id>/<executor-id>/.
        "executor_id": os.path.basename(os.getcwd()),
    }


def make_scorer(args, columns, report):
    executor_model_dir = args.executor_model_dir
    env_dir = args.executor_env_dir
    result_column = args.result_column

    def score_partition(batches):
        record = check_shipped_environment(env_dir)
        from mlf_worker.batch import score_frame

        model = load_model(os.path.abspath(executor_model_dir))
        rows = 0
        for frame in batches:
            if ORDER_COLUMN in frame.columns:
                frame = frame.drop(columns=[ORDER_COLUMN])
            rows += len(frame)
            yield score_frame(model, frame, columns, result_column)
        from pyspark import TaskContext

        report.add([dict(record, partition=TaskContext.get().partitionId(), rows=rows)])

    return score_partition


def read_input(spark, args):
    """The input files in the order given, each read alone and the reads concatenated: a scan of
    several files packs their splits largest first, which would put the rows out of the input's
    order; one file's splits stay in offset order (a stable sort by length, the last one shortest)."""
    from functools import reduce

    frames = [read_file(spark.read, path, args.input_format) for path in args.input]
    return reduce(lambda first, second: first.unionByName(second), frames)


def read_file(reader, path, input_format):
    if input_format == "parquet":
        return reader.parquet(path)
    if input_format == "csv":
        return reader.option("header", "true").option("inferSchema", "true").csv(path)
    return reader.json(path)


def ordered_partitions(frame, partitions):
    """`partitions` partitions of contiguous input rows, each in the input's order: a plain
    repartition would shuffle rows within a partition. Without `partitions`, Spark's own split
    of the input (file by file, row group by row group) already keeps the order."""
    if not partitions:
        return frame
    from pyspark.sql import functions

    # monotonically_increasing_id grows with the partition and the row within it: the input's order.
    numbered = frame.withColumn(ORDER_COLUMN, functions.monotonically_increasing_id())
    return numbered.repartitionByRange(partitions, ORDER_COLUMN).sortWithinPartitions(ORDER_COLUMN)


def output_schema(frame, model, columns, result_column):
    """The scored frame's Spark schema, from scoring a few rows on the driver."""
    from pyspark.sql.pandas.types import from_arrow_schema
    import pyarrow

    from mlf_worker.batch import score_frame

    sample = frame.limit(SCHEMA_SAMPLE_ROWS).toPandas()
    if ORDER_COLUMN in sample.columns:
        sample = sample.drop(columns=[ORDER_COLUMN])
    scored = score_frame(model, sample, columns, result_column)
    return from_arrow_schema(pyarrow.Schema.from_pandas(scored, preserve_index=False))


def write_output(spark, scored, staging, output_format):
    """Spark's writer into a staging directory (inside OUTPUT_DIR's `_mlf_batch/`), without
    Hadoop's `_SUCCESS`: the parts are then moved into place under the batch protocol's names
    (by mlf, or by commit_output for a URI) and `_SUCCESS` written last. Returns Spark's parts
    (part-<partition>-<uuid>-c000...) in partition order."""
    writer = scored.write.mode("overwrite")
    if output_format == "parquet":
        writer.parquet(staging)
    elif output_format == "csv":
        writer.option("header", "true").csv(staging)
    else:
        writer.json(staging)
    parts = []
    for name in HadoopFiles(spark, staging).names(staging):
        match = re.match(r"^part-(\d+)-", name)
        if match:
            parts.append((int(match.group(1)), name))
    return sorted(parts)


def child(uri, name):
    return uri.rstrip("/") + "/" + name


class HadoopFiles:
    """The driver's Hadoop FileSystem of a URI (the JVM's, through py4j), as commit_output uses it.
    For `file:` it is the raw local filesystem: Hadoop's checksummed one would leave `.<name>.crc`
    files beside the parts, which the protocol's readers and a local rerun would not expect."""

    def __init__(self, spark, uri):
        self._path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path
        fs = self._path(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        # By scheme, not class: PySpark's `file` FileSystem is Hive's ProxyLocalFileSystem, itself a filter.
        if fs.getScheme() == "file":
            fs = fs.getRawFileSystem()
        self._fs = fs

    def exists(self, uri):
        return self._fs.exists(self._path(uri))

    def is_dir(self, uri):
        return self._fs.getFileStatus(self._path(uri)).isDirectory()

    def names(self, uri):
        return sorted(status.getPath().getName() for status in self._fs.listStatus(self._path(uri)))

    def delete(self, uri):
        self._fs.delete(self._path(uri), True)

    def rename(self, source, target):
        # Hadoop's rename answers false rather than raising.
        if not self._fs.rename(self._path(source), self._path(target)):
            raise RuntimeError("mlf: could not rename {} to {}".format(source, target))

    def write(self, uri, data):
        stream = self._fs.create(self._path(uri), True)
        try:
            if data:
                stream.write(bytearray(data))
        finally:
            stream.close()


def prepare_output(files, output):
    """Before anything is scored, as openOutput does for a local OUTPUT_DIR: refuses one that holds
    what batch-predict does not write, removes `_SUCCESS` first (from then on a killed run leaves
    none) and the last run's state. Returns the staging directory Spark writes into."""
    from mlf_worker.errors import BadInput

    state = child(output, STATE_DIR)
    if files.exists(output):
        if not files.is_dir(output):
            raise BadInput("the output `{}` exists and is not a directory".format(output))
        foreign = [name for name in files.names(output) if not (PART_NAME.match(name) or name in (SUCCESS_FILE, STATE_DIR) or WRITE_LOCK.match(name))]
        if foreign:
            raise BadInput("the output directory `{}` holds `{}`, which batch-predict did not write".format(output, foreign[0]))
        if files.exists(child(output, SUCCESS_FILE)):
            files.delete(child(output, SUCCESS_FILE))
        if files.exists(state):
            files.delete(state)
    return child(state, STAGING_DIR)


def commit_output(files, output, staging, parts, output_format, record):
    """Spark's parts (in partition order) renamed into OUTPUT_DIR as part-00000.<ext>..., after the
    last run's parts are removed; then the executors' record and `_SUCCESS`, last."""
    for name in files.names(output):
        if PART_NAME.match(name):
            files.delete(child(output, name))
    for index, (_, name) in enumerate(parts):
        files.rename(child(staging, name), child(output, "part-{:05d}.{}".format(index, output_format)))
    files.delete(staging)
    files.write(child(child(output, STATE_DIR), RECORD_FILE), (json.dumps(record, indent=2) + "\n").encode("utf-8"))
    files.write(child(output, SUCCESS_FILE), b"")


class ExecutorRecords:
    """An accumulator of lists: what each Python worker reports (pyspark.AccumulatorParam's protocol)."""

    def zero(self, value):
        return []

    def addInPlace(self, first, second):
        first.extend(second)
        return first


def main(argv=None):
    args = parse_args(argv)
    columns = json.loads(args.columns) if args.columns else None
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName(args.app_name)
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .getOrCreate()
    )
    try:
        output_files = HadoopFiles(spark, args.output) if args.commit_output else None
        staging = prepare_output(output_files, args.output) if output_files else args.output
        report = spark.sparkContext.accumulator([], ExecutorRecords())
        frame = ordered_partitions(read_input(spark, args), args.partitions)
        model = load_model(os.path.abspath(args.model_dir))
        schema = output_schema(frame, model, columns, args.result_column)
        scored = frame.mapInPandas(make_scorer(args, columns, report), schema)
        parts = write_output(spark, scored, staging, args.output_format)
        executors = report.value
        application_id = spark.sparkContext.applicationId
        if output_files:
            record = {"application_id": application_id, "executors": executors}
            commit_output(output_files, args.output, staging, parts, args.output_format, record)
        # A task run twice (a retry, speculation) reports twice: a partition's rows are counted once.
        rows_by_partition = {record["partition"]: record["rows"] for record in executors}
        summary = {
            "rows": sum(rows_by_partition.get(partition, 0) for partition, _ in parts),
            "parts": [{"file": name, "partition": partition, "rows": rows_by_partition.get(partition, 0)} for partition, name in parts],
            "executors": executors,
            "application_id": application_id,
        }
        sys.stdout.write(SUMMARY_PREFIX + json.dumps(summary) + "\n")
        sys.stdout.flush()
    finally:
        spark.stop()
    return 0
