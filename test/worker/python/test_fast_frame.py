"""scoring/fast_frame.py: each shortcut gives exactly the frame the ported steps give (the same
values, dtypes, columns and index, compared with the shortcuts switched off), and steps aside for
anything else; and http/batch.py's stacked rows equal pandas.concat of the single frames."""

import json
import unittest
from unittest import mock

import package_path
from package_path import ECHO_SCHEMA, IRIS_COLUMNS, IRIS_ROWS, column_schema

import numpy as np
import pandas as pd

from mlf_worker.http.batch import DoubleRows, combine_frames, double_item
from mlf_worker.scoring import fast_frame
from mlf_worker.scoring.parse import parse_json_request
from mlf_worker.scoring.schema import validate_prediction_input
from mlf_worker.scoring.signature import Types

IRIS = column_schema([(name, "double") for name in IRIS_COLUMNS])
MIXED = column_schema([("a", "double"), ("b", "float")])


def parsed_and_enforced(text, schema):
    data, _, _ = parse_json_request(text, schema, Types())
    return validate_prediction_input(data, schema, Types())


def without_shortcuts(text, schema):
    with mock.patch("mlf_worker.scoring.parse.double_frame", return_value=None), mock.patch(
        "mlf_worker.scoring.schema.already_enforced", return_value=False
    ):
        return parsed_and_enforced(text, schema)


def split(columns, rows, **extra):
    return json.dumps({"dataframe_split": dict(columns=columns, data=rows, **extra)})


class DoubleFrame(unittest.TestCase):
    def assert_same_as_ported(self, text, schema=IRIS):
        fast = parsed_and_enforced(text, schema)
        slow = without_shortcuts(text, schema)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True, check_dtype=True, check_index_type=True, check_column_type=True)
        self.assertEqual(fast.columns.dtype, slow.columns.dtype)

    def test_plain_numbers_give_the_ported_frame(self):
        for rows in (IRIS_ROWS[:1], IRIS_ROWS, IRIS_ROWS * 25):
            self.assertIsNotNone(fast_frame.double_rows(json.loads(split(IRIS_COLUMNS, rows))["dataframe_split"], IRIS))
            self.assert_same_as_ported(split(IRIS_COLUMNS, rows))

    def test_integers_and_mixed_columns_give_the_ported_frame(self):
        # An all-int column is int64 in pandas first, then cast; a mixed one is float64 at once.
        self.assert_same_as_ported(split(IRIS_COLUMNS, [[5, 3, 1.4, 0], [7, 3.2, 4, 1], [2**53, -(2**53), 0, 1e308]]))

    def test_it_steps_aside_for_anything_else(self):
        cases = {
            "bools": [[True, 3.5, 1.4, 0.2]],
            "a string": [["5.1", 3.5, 1.4, 0.2]],
            "null": [[None, 3.5, 1.4, 0.2]],
            "a short row": [[5.1, 3.5, 1.4]],
            "a row that is not a list": [{"a": 1}],
            "an int beyond 2**53": [[2**53 + 1, 3.5, 1.4, 0.2]],
            "no rows": [],
        }
        for name, rows in cases.items():
            with self.subTest(name):
                decoded = json.loads(split(IRIS_COLUMNS, rows))["dataframe_split"]
                self.assertIsNone(fast_frame.double_rows(decoded, IRIS))
        for name, decoded in {
            "columns in another order": {"columns": IRIS_COLUMNS[::-1], "data": IRIS_ROWS},
            "an index": {"columns": IRIS_COLUMNS, "data": IRIS_ROWS, "index": [0, 1, 2, 3]},
            "no columns": {"data": IRIS_ROWS},
        }.items():
            with self.subTest(name):
                self.assertIsNone(fast_frame.double_rows(decoded, IRIS))
        self.assertIsNone(fast_frame.double_rows({"columns": ["a", "b"], "data": [[1.0, 2.0]]}, MIXED))
        self.assertIsNone(fast_frame.double_rows({"columns": IRIS_COLUMNS, "data": IRIS_ROWS}, None))

    def test_what_it_steps_aside_for_still_parses_as_ported(self):
        self.assert_same_as_ported(split(IRIS_COLUMNS, [[True, 3.5, 1.4, 0.2]]))
        self.assert_same_as_ported(split(IRIS_COLUMNS, IRIS_ROWS, index=[4, 5, 6, 7]))
        self.assert_same_as_ported(split(["a", "b"], [[1, 2.5]]), MIXED)


class AlreadyEnforced(unittest.TestCase):
    def test_a_frame_of_the_schemas_dtypes_in_order_is_returned_as_enforce_would_rebuild_it(self):
        schema = column_schema([(n, t) for n, t in ECHO_SCHEMA if t != "string"])
        frame = pd.DataFrame({"i": np.array([1], "int32"), "l": np.array([2], "int64"), "f": np.array([1.5], "float32"), "d": [2.5], "b": [True]})
        self.assertTrue(fast_frame.already_enforced(frame, schema, Types()))
        slow = without_shortcuts(json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}), schema)
        pd.testing.assert_frame_equal(validate_prediction_input(frame, schema, Types()), slow, check_exact=True)

    def test_other_dtypes_or_orders_take_the_ported_path(self):
        types_ = Types()
        self.assertFalse(fast_frame.already_enforced(pd.DataFrame({"b": [2.5], "a": [1.5]}), MIXED, types_))
        self.assertFalse(fast_frame.already_enforced(pd.DataFrame({"a": [2.5], "b": [1.5]}), MIXED, types_))
        self.assertFalse(fast_frame.already_enforced(pd.DataFrame({"a": [2.5], "b": np.array([1.5], "float32"), "c": [1]}), MIXED, types_))
        self.assertTrue(fast_frame.already_enforced(pd.DataFrame({"a": [2.5], "b": np.array([1.5], "float32")}), MIXED, types_))


class StackedRows(unittest.TestCase):
    class Runtime:
        pass

    def test_stacked_rows_equal_the_concatenated_single_frames(self):
        from mlf_worker.runtimes.without_mlflow import WithoutMlflowRuntime

        runtime = WithoutMlflowRuntime(lambda data: None, IRIS)
        bodies = [split(IRIS_COLUMNS, IRIS_ROWS[:1]), split(IRIS_COLUMNS, IRIS_ROWS), split(IRIS_COLUMNS, [[1, 2, 3, 4]])]
        fast = [double_item(runtime, {"protocol": "mlflow", "path": "/invocations", "content_type": "application/json", "body": b}) for b in bodies]
        self.assertTrue(all(f is not None for f in fast))
        singles = [parsed_and_enforced(b, IRIS) for b in bodies]
        expected = pd.concat(singles, ignore_index=True)
        pd.testing.assert_frame_equal(combine_frames(runtime, [data for _, _, data in fast]), expected, check_exact=True)
        # Mixed with ordinary frames (another format giving the same enforced frame).
        mixed = combine_frames(runtime, [fast[0][2], singles[1], DoubleRows(fast[2][2].rows)])
        pd.testing.assert_frame_equal(mixed, expected, check_exact=True)

    def test_only_a_lone_dataframe_split_of_json_takes_the_fast_lane(self):
        from mlf_worker.runtimes.without_mlflow import WithoutMlflowRuntime

        runtime = WithoutMlflowRuntime(lambda data: None, IRIS)
        body = split(IRIS_COLUMNS, IRIS_ROWS)
        one = lambda **kw: double_item(runtime, dict({"protocol": "mlflow", "path": "/invocations", "content_type": "application/json", "body": body}, **kw))  # noqa: E731
        self.assertIsNotNone(one(content_type="application/json; charset=utf-8"))
        self.assertIsNone(one(content_type="text/csv"))
        self.assertIsNone(one(content_type="application/json; charset=latin-1"))
        self.assertIsNone(one(body=json.dumps({"dataframe_split": {"columns": IRIS_COLUMNS, "data": IRIS_ROWS}, "params": {"k": 1}})))
        self.assertIsNone(one(body="{not json"))
        self.assertIsNone(double_item(self.Runtime(), {"content_type": "application/json", "body": body}))


if __name__ == "__main__":
    unittest.main()
