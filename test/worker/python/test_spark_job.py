"""The parts of mlf_worker/spark_job.py that run without Spark: the refusal of any Python but the
shipped environment's, the accumulator of the executors' records, and the output protocol of a
URI OUTPUT_DIR (prepare_output, commit_output) over a local stand-in for Hadoop's FileSystem with
the same calls as HadoopFiles. (The job itself, HadoopFiles included, runs on a real cluster in
test/e2e/batch-spark.test.ts.)"""

import json
import os
import shutil
import sys
import tempfile
import unittest

import package_path  # noqa: F401  (puts src/worker on sys.path)

from mlf_worker import spark_job


class ShippedEnvironmentTest(unittest.TestCase):
    def test_the_running_python_is_accepted_when_it_is_the_shipped_environment(self):
        record = spark_job.check_shipped_environment(sys.prefix)
        self.assertEqual(record["prefix"], os.path.realpath(sys.prefix))
        self.assertEqual(record["executable"], os.path.abspath(sys.executable))
        self.assertEqual(record["cwd"], os.getcwd())
        self.assertEqual(record["executor_id"], os.path.basename(os.getcwd()))

    def test_any_other_python_is_refused_naming_both(self):
        with tempfile.TemporaryDirectory() as other:
            with self.assertRaises(RuntimeError) as caught:
                spark_job.check_shipped_environment(other)
        message = str(caught.exception)
        self.assertIn(os.path.realpath(sys.prefix), message)
        self.assertIn(os.path.realpath(other), message)
        self.assertIn("spark.pyspark.python must be ./{}/bin/python".format(os.path.basename(other)), message)


class ExecutorRecordsTest(unittest.TestCase):
    def test_records_of_every_task_are_concatenated(self):
        param = spark_job.ExecutorRecords()
        total = param.zero([])
        total = param.addInPlace(total, [{"partition": 0}])
        total = param.addInPlace(total, [{"partition": 1}, {"partition": 2}])
        self.assertEqual([r["partition"] for r in total], [0, 1, 2])


class ArgumentsTest(unittest.TestCase):
    def test_inputs_repeat_and_columns_are_json(self):
        args = spark_job.parse_args([
            "--input", "a.parquet", "--input", "b.parquet", "--input-format", "parquet", "--output", "out", "--output-format", "parquet",
            "--model-dir", "m", "--executor-model-dir", "mlfmodel", "--executor-env-dir", "mlfenv", "--partitions", "3", "--columns", '["x"]',
        ])
        self.assertEqual(args.input, ["a.parquet", "b.parquet"])
        self.assertEqual(args.partitions, 3)
        self.assertEqual(args.result_column, "prediction")


class LocalFiles:
    """HadoopFiles' calls on local paths, each one logged; `fail_on_rename` stands for a run killed mid-commit."""

    def __init__(self, fail_on_rename=None):
        self.calls = []
        self.fail_on_rename = fail_on_rename

    def exists(self, uri):
        return os.path.exists(uri)

    def is_dir(self, uri):
        return os.path.isdir(uri)

    def names(self, uri):
        return sorted(os.listdir(uri))

    def delete(self, uri):
        self.calls.append(("delete", os.path.basename(uri)))
        shutil.rmtree(uri) if os.path.isdir(uri) else os.remove(uri)

    def rename(self, source, target):
        if self.fail_on_rename == os.path.basename(target):
            raise RuntimeError("killed")
        self.calls.append(("rename", os.path.basename(target)))
        os.rename(source, target)

    def write(self, uri, data):
        self.calls.append(("write", os.path.basename(uri)))
        os.makedirs(os.path.dirname(uri), exist_ok=True)
        with open(uri, "wb") as handle:
            handle.write(data)


def touch(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


class UriOutputTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root, True)
        self.output = os.path.join(self.root, "out")

    def finished_run_of(self, parts):
        for index in range(parts):
            touch(os.path.join(self.output, "part-{:05d}.parquet".format(index)), "old")
        touch(os.path.join(self.output, "_mlf_batch", "job.json"), "{}")
        touch(os.path.join(self.output, "_SUCCESS"))

    def spark_parts(self, staging, count):
        names = []
        for partition in range(count):
            name = "part-{:05d}-uuid-c000.snappy.parquet".format(partition)
            touch(os.path.join(staging, name), "new{}".format(partition))
            touch(os.path.join(staging, ".{}.crc".format(name)))
            names.append((partition, name))
        return names

    def test_an_absent_output_gets_the_protocol_names_and_success_last(self):
        files = LocalFiles()
        staging = spark_job.prepare_output(files, self.output + "/")
        self.assertEqual(staging, os.path.join(self.output, "_mlf_batch", "spark-parts"))
        parts = self.spark_parts(staging, 2)
        spark_job.commit_output(files, self.output, staging, parts, "parquet", {"application_id": "app-1", "executors": []})
        self.assertEqual(sorted(os.listdir(self.output)), ["_SUCCESS", "_mlf_batch", "part-00000.parquet", "part-00001.parquet"])
        self.assertEqual(os.listdir(os.path.join(self.output, "_mlf_batch")), ["spark.json"])
        with open(os.path.join(self.output, "part-00001.parquet")) as handle:
            self.assertEqual(handle.read(), "new1")
        with open(os.path.join(self.output, "_mlf_batch", "spark.json")) as handle:
            self.assertEqual(json.load(handle)["application_id"], "app-1")
        self.assertEqual(files.calls[-1], ("write", "_SUCCESS"))

    def test_a_rerun_removes_success_first_and_leaves_no_part_of_the_last_run(self):
        self.finished_run_of(3)
        files = LocalFiles()
        staging = spark_job.prepare_output(files, self.output)
        self.assertEqual(files.calls[:2], [("delete", "_SUCCESS"), ("delete", "_mlf_batch")])
        self.assertFalse(os.path.exists(os.path.join(self.output, "_SUCCESS")))
        spark_job.commit_output(files, self.output, staging, self.spark_parts(staging, 2), "parquet", {})
        self.assertEqual(sorted(os.listdir(self.output)), ["_SUCCESS", "_mlf_batch", "part-00000.parquet", "part-00001.parquet"])
        with open(os.path.join(self.output, "part-00000.parquet")) as handle:
            self.assertEqual(handle.read(), "new0")

    def test_a_run_killed_while_committing_leaves_no_success(self):
        self.finished_run_of(1)
        files = LocalFiles(fail_on_rename="part-00001.parquet")
        staging = spark_job.prepare_output(files, self.output)
        with self.assertRaises(RuntimeError):
            spark_job.commit_output(files, self.output, staging, self.spark_parts(staging, 2), "parquet", {})
        self.assertNotIn("_SUCCESS", os.listdir(self.output))

    def test_an_output_holding_other_files_is_refused_and_left_alone(self):
        self.finished_run_of(1)
        touch(os.path.join(self.output, "notes.txt"), "mine")
        files = LocalFiles()
        with self.assertRaises(Exception) as caught:
            spark_job.prepare_output(files, self.output)
        self.assertEqual(type(caught.exception).__name__, "BadInput")
        self.assertIn("holds `notes.txt`, which batch-predict did not write", str(caught.exception))
        self.assertEqual(files.calls, [])
        self.assertIn("_SUCCESS", os.listdir(self.output))

    def test_an_output_that_is_a_file_is_refused(self):
        touch(self.output, "x")
        with self.assertRaises(Exception) as caught:
            spark_job.prepare_output(LocalFiles(), self.output)
        self.assertIn("exists and is not a directory", str(caught.exception))

    def test_the_commit_flag_is_off_unless_given(self):
        base = ["--input", "s3a://b/in/*.csv", "--input-format", "csv", "--output", "s3a://b/out", "--output-format", "csv",
                "--model-dir", "m", "--executor-model-dir", "m", "--executor-env-dir", "e"]
        self.assertFalse(spark_job.parse_args(base).commit_output)
        self.assertTrue(spark_job.parse_args(base + ["--commit-output"]).commit_output)


if __name__ == "__main__":
    unittest.main()
