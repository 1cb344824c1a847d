"""The parts of mlf_worker/spark_job.py that run without Spark: the refusal of any Python but the
shipped environment's, and the accumulator of the executors' records. (The job itself runs on a
real cluster in test/e2e/batch-spark.test.ts.)"""

import os
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


if __name__ == "__main__":
    unittest.main()
