"""mlf_worker/batch: score_frame scores as `mlf models predict` does (the fixture's pinned
predictions, the same schema refusals) and appends the result column(s) to the input's; the local
engine's parts (parts.py) read Parquet row groups and CSV / JSON-lines byte ranges and write the
same rows back with the predictions."""

import json
import os
import shutil
import tempfile
import unittest

import package_path
from package_path import IRIS_COLUMNS, IRIS_OUTPUT, IRIS_ROWS, CapturedLogs

import numpy as np
import pandas as pd

from mlf_worker.batch import load_model, score_frame
from mlf_worker.batch.parts import inspect, write_part
from mlf_worker.batch.score import result_columns
from mlf_worker.errors import BadInput, ModelOutputError, SchemaError

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(package_path.__file__), "..", "..", "..", "fixtures"))
IRIS = os.path.join(FIXTURES, "models", "sklearn-iris")
IRIS_PREDICTIONS = json.loads(IRIS_OUTPUT)["predictions"]


def iris_frame(repeat=1, extra=None):
    frame = pd.DataFrame(IRIS_ROWS * repeat, columns=IRIS_COLUMNS)
    if extra is not None:
        frame.insert(0, "id", np.arange(len(frame)))
    return frame


class ScoreFrameTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = load_model(IRIS)

    def test_predictions_are_predicts_and_appended_after_the_input(self):
        frame = iris_frame(extra=True)
        with CapturedLogs():
            scored = score_frame(self.model, frame, IRIS_COLUMNS, "prediction")
        self.assertEqual(scored.columns.tolist(), ["id"] + IRIS_COLUMNS + ["prediction"])
        self.assertEqual(scored["prediction"].tolist(), IRIS_PREDICTIONS)
        pd.testing.assert_frame_equal(scored.iloc[:, :-1], frame)
        self.assertEqual(frame.columns.tolist(), ["id"] + IRIS_COLUMNS, "the input frame is left as it was")

    def test_the_input_order_and_index_are_kept(self):
        frame = iris_frame(repeat=3)
        frame.index = pd.RangeIndex(100, 112)
        scored = score_frame(self.model, frame, None, "p")
        self.assertEqual(scored.index.tolist(), list(range(100, 112)))
        self.assertEqual(scored["p"].tolist(), IRIS_PREDICTIONS * 3)

    def test_extra_columns_get_predicts_warning_and_are_kept(self):
        frame = iris_frame(extra=True)
        with CapturedLogs() as messages:
            scored = score_frame(self.model, frame, None, "prediction")
        self.assertEqual(scored["prediction"].tolist(), IRIS_PREDICTIONS)
        self.assertTrue(any(level == "warning" and "['id']" in message for level, message in messages), messages)

    def test_the_signature_refuses_what_predict_refuses(self):
        frame = iris_frame().drop(columns=[IRIS_COLUMNS[0]])
        with self.assertRaises(SchemaError) as caught:
            score_frame(self.model, frame, None, "prediction")
        self.assertIn("Model is missing inputs", caught.exception.message)

    def test_a_missing_column_in_columns_is_bad_input(self):
        with self.assertRaises(BadInput) as caught:
            score_frame(self.model, iris_frame(), IRIS_COLUMNS + ["nope"], "prediction")
        self.assertEqual(caught.exception.message, "the input has no column `nope` (--columns)")

    def test_a_result_column_named_like_an_input_column_is_refused(self):
        with self.assertRaises(BadInput) as caught:
            score_frame(self.model, iris_frame(), None, IRIS_COLUMNS[1])
        self.assertIn("is also a column of the input", caught.exception.message)


class ResultColumnsTest(unittest.TestCase):
    def test_shapes(self):
        self.assertEqual(list(result_columns(np.array([1, 2]), 2, "r")), ["r"])
        self.assertEqual(list(result_columns([1, 2], 2, "r")), ["r"])
        self.assertEqual(list(result_columns(pd.Series([1, 2]), 2, "r")), ["r"])
        self.assertEqual(list(result_columns(np.array([[1], [2]]), 2, "r")), ["r"])
        self.assertEqual(list(result_columns(np.array([[1, 2], [3, 4]]), 2, "r")), ["r_0", "r_1"])
        self.assertEqual(list(result_columns(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), 2, "r")), ["r_a", "r_b"])
        self.assertEqual(list(result_columns({"a": [1, 2]}, 2, "r")), ["r_a"])
        # onnx's dict of outputs for an array input: each output (rows, 1) or (rows, k).
        outputs = {"label": np.array([[0], [1]]), "p": np.array([[0.25, 0.75], [0.5, 0.5]])}
        columns = result_columns(outputs, 2, "r")
        self.assertEqual(list(columns), ["r_label", "r_p_0", "r_p_1"])
        self.assertEqual(columns["r_label"].tolist(), [0, 1])
        self.assertEqual(columns["r_p_1"].tolist(), [0.75, 0.5])
        self.assertEqual(result_columns(np.array([[1, 2], [3, 4]]), 2, "r")["r_1"].tolist(), [2, 4])

    def test_a_wrong_count_or_a_scalar_is_the_models_error(self):
        with self.assertRaisesRegex(ModelOutputError, "returned 3 predictions for 2 input rows"):
            result_columns(np.array([1, 2, 3]), 2, "r")
        with self.assertRaisesRegex(ModelOutputError, "returned float"):
            result_columns(1.5, 2, "r")


class PartsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = load_model(IRIS)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mlf-batch-parts-")
        self.addCleanup(shutil.rmtree, self.dir)

    def part(self, fmt, slices, **extra):
        out = os.path.join(self.dir, "part." + fmt)
        request = dict({"format": fmt, "slices": slices, "output_path": out, "columns": None, "result_column": "prediction", "batch_rows": 5}, **extra)
        with CapturedLogs():
            reply = write_part(self.model, request)
        self.assertEqual(reply["bytes"], os.path.getsize(out))
        return reply, out

    def test_parquet_row_groups_in_the_order_given(self):
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = iris_frame(repeat=6, extra=True)
        path = os.path.join(self.dir, "in.parquet")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=8)
        files = inspect("parquet", [path])
        self.assertEqual(files, [{"path": path, "columns": ["id"] + IRIS_COLUMNS, "row_groups": [8, 8, 8]}])
        reply, out = self.part("parquet", [{"path": path, "row_groups": [1, 2]}])
        self.assertEqual(reply["rows"], 16)
        written = pq.read_table(out).to_pandas()
        self.assertEqual(written.columns.tolist(), ["id"] + IRIS_COLUMNS + ["prediction"])
        self.assertEqual(written["id"].tolist(), list(range(8, 24)))
        self.assertEqual(written["prediction"].tolist(), (IRIS_PREDICTIONS * 6)[8:24])

    def test_csv_byte_ranges_read_with_the_header_of_the_file(self):
        frame = iris_frame(repeat=5)
        path = os.path.join(self.dir, "in.csv")
        frame.to_csv(path, index=False)
        with open(path, "rb") as f:
            lines = f.readlines()
        starts = np.cumsum([0] + [len(line) for line in lines])
        self.assertEqual(inspect("csv", [path]), [{"path": path, "columns": IRIS_COLUMNS}])
        # Rows 3..14 (lines 4..15), in two slices.
        reply, out = self.part("csv", [{"path": path, "start": int(starts[4]), "end": int(starts[10])}, {"path": path, "start": int(starts[10]), "end": int(starts[16])}])
        self.assertEqual(reply["rows"], 12)
        written = pd.read_csv(out)
        self.assertEqual(written.columns.tolist(), IRIS_COLUMNS + ["prediction"])
        self.assertEqual(written["prediction"].tolist(), (IRIS_PREDICTIONS * 5)[3:15])
        pd.testing.assert_frame_equal(written[IRIS_COLUMNS], frame.iloc[3:15].reset_index(drop=True))

    def test_json_lines(self):
        frame = iris_frame(repeat=3, extra=True)
        path = os.path.join(self.dir, "in.json")
        frame.to_json(path, orient="records", lines=True)
        reply, out = self.part("json", [{"path": path, "start": 0, "end": os.path.getsize(path)}])
        self.assertEqual(reply["rows"], 12)
        written = pd.read_json(out, lines=True)
        self.assertEqual(written["prediction"].tolist(), IRIS_PREDICTIONS * 3)
        self.assertEqual(written["id"].tolist(), list(range(12)))

    def test_a_csv_that_does_not_parse_is_bad_input_naming_the_file(self):
        path = os.path.join(self.dir, "bad.csv")
        with open(path, "w") as f:
            f.write("a,b\n1,2\n1,2,3,4\n")
        with self.assertRaises(BadInput) as caught:
            self.part("csv", [{"path": path, "start": 4, "end": os.path.getsize(path)}])
        self.assertIn("Failed to parse input as a Pandas DataFrame", caught.exception.message)
        self.assertEqual(caught.exception.extra["file"], path)


class WithoutPyarrowTest(unittest.TestCase):
    def test_parquet_without_pyarrow_is_one_bad_input_line_naming_the_fix(self):
        import sys

        from mlf_worker.batch.parts import require_pyarrow

        hidden = {name: sys.modules.get(name) for name in ("pyarrow", "pyarrow.parquet")}
        # None in sys.modules makes the import fail as if the package were not installed.
        for name in hidden:
            sys.modules[name] = None
        try:
            with self.assertRaises(BadInput) as caught:
                require_pyarrow()
            with self.assertRaises(BadInput):
                inspect("parquet", ["/nowhere.parquet"])
        finally:
            for name, module in hidden.items():
                if module is None:
                    del sys.modules[name]
                else:
                    sys.modules[name] = module
        self.assertEqual(caught.exception.message, "reading and writing Parquet needs pyarrow in the model's environment, and it has none")
        self.assertIn("--pip-requirements-override pyarrow", caught.exception.extra["hint"])


if __name__ == "__main__":
    unittest.main()
