"""scoring/schema.py: MLflow's _enforce_schema for scalar column signatures: missing and extra
columns, safe and unsafe conversions, in MLflow's words (pinned by test/worker/worker.test.ts
against MLflow 3.17.2 where it runs the same inputs)."""

import os
import unittest
from unittest import mock

import package_path
from package_path import ECHO_SCHEMA, CapturedLogs, column_schema

import numpy as np
import pandas as pd

from mlf_worker.errors import SchemaError
from mlf_worker.scoring.schema import validate_prediction_input, warn_ignored_params
from mlf_worker.scoring.signature import ColSchema, ColSpec, Types

ECHO = column_schema(ECHO_SCHEMA)
ECHO_SCHEMA_TEXT = (
    "['i': integer (required), 'l': long (required), 'f': float (required), 'd': double (required), "
    "'s': string (required), 'b': boolean (required)]"
)


def enforce(data, schema):
    return validate_prediction_input(data, schema, Types())


class Columns(unittest.TestCase):
    def test_a_missing_required_column_is_named_and_mlflows_full_text_is_the_detail(self):
        frame = pd.DataFrame({"i": np.array([1], dtype=np.int32), "l": [2], "f": np.array([1.5], dtype=np.float32), "d": [2.5], "s": ["x"]})
        with self.assertRaises(SchemaError) as caught:
            enforce(frame, ECHO)
        self.assertEqual(caught.exception.message, "Model is missing inputs ['b'].")
        self.assertEqual(
            caught.exception.extra["detail"],
            "Failed to enforce schema of data '   i  l    f    d  s\n0  1  2  1.5  2.5  x' with schema '{}'. "
            "Error: Model is missing inputs ['b'].".format(ECHO_SCHEMA_TEXT),
        )

    def test_missing_and_extra_columns_are_both_said(self):
        with self.assertRaises(SchemaError) as caught:
            enforce(pd.DataFrame({"x": [1.0]}), column_schema([("n", "long")]))
        self.assertEqual(caught.exception.message, "Model is missing inputs ['n']. Note that there were extra inputs: ['x'].")

    def test_with_schema_details_disabled_mlflows_short_message(self):
        with mock.patch.dict(os.environ, {"MLFLOW_DISABLE_SCHEMA_DETAILS": "true"}):
            with self.assertRaises(SchemaError) as caught:
                enforce(pd.DataFrame({"x": [1.0]}), column_schema([("n", "long")]))
        self.assertEqual(caught.exception.message, "Failed to enforce model input schema. Please check your input data.")

    def test_an_extra_column_is_dropped_with_mlflows_warning(self):
        with CapturedLogs() as logged:
            result = enforce(pd.DataFrame({"n": [1], "zz": [9]}), column_schema([("n", "long")]))
        self.assertEqual(list(result.columns), ["n"])
        self.assertEqual(
            logged,
            [("warning", "Found extra inputs in the model input that are not defined in the model signature: `['zz']`. These inputs will be ignored.")],
        )

    def test_an_optional_column_may_be_absent_and_columns_come_in_schema_order(self):
        schema = ColSchema([ColSpec("double", "a", True), ColSpec("long", "opt", False), ColSpec("string", "s", True)])
        result = enforce(pd.DataFrame({"s": ["x"], "a": [1.0]}), schema)
        self.assertEqual(result.to_dict(orient="list"), {"a": [1.0], "s": ["x"]})

    def test_an_unnamed_schema_checks_the_count_and_types_by_position(self):
        schema = ColSchema([ColSpec("double", None, True), ColSpec("double", None, True)])
        with self.assertRaises(SchemaError) as caught:
            enforce(pd.DataFrame({"a": [1.0]}), schema)
        self.assertEqual(
            caught.exception.message,
            "Model inference is missing inputs. The model signature declares 2 inputs  but the provided value only has 1 inputs. "
            "Note: the inputs were not named in the signature so we can only verify their count.",
        )
        result = enforce(pd.DataFrame({"a": np.array([1], dtype=np.int32), "b": [2.5], "c": ["ignored"]}), schema)
        self.assertEqual((list(result.columns), [str(t) for t in result.dtypes]), (["a", "b"], ["float64", "float64"]))

    def test_a_dict_of_scalars_is_one_row(self):
        result = enforce({"prompt": "ab", "n": 2}, column_schema([("prompt", "string"), ("n", "long")]))
        self.assertEqual(result.to_dict(orient="records"), [{"prompt": "ab", "n": 2}])

    def test_no_schema_leaves_the_input_as_it_is(self):
        data = {"anything": [1, 2]}
        self.assertIs(enforce(data, None), data)


class Types_(unittest.TestCase):
    def assertIncompatible(self, values, type_name, message):
        with self.assertRaises(SchemaError) as caught:
            enforce(pd.DataFrame({"c": values}), column_schema([("c", type_name)]))
        self.assertEqual(caught.exception.message, message)

    def test_an_unsafe_conversion_is_refused_in_mlflows_words(self):
        self.assertIncompatible([2.5], "long", "Incompatible input types for column c. Can not safely convert float64 to int64.")
        self.assertIncompatible([2, 3], "float", "Incompatible input types for column c. Can not safely convert int64 to float32.")
        self.assertIncompatible(["x"], "double", "Incompatible input types for column c. Can not safely convert str to float64.")

    def test_integers_with_missing_values_get_mlflows_hint(self):
        with self.assertRaises(SchemaError) as caught:
            enforce(pd.DataFrame({"c": [1.0, float("nan")]}), column_schema([("c", "long")]))
        self.assertTrue(
            caught.exception.message.startswith(
                "Incompatible input types for column c. Can not safely convert float64 to int64. Hint: the type mismatch is likely caused by missing values."
            )
        )

    def test_safe_conversions_are_made(self):
        cases = [
            (np.array([1, 2], dtype=np.int32), "long", "int64", [1, 2]),
            (np.array([1.5], dtype=np.float32), "double", "float64", [1.5]),
            (np.array([1, 2], dtype=np.int32), "double", "float64", [1.0, 2.0]),
            # int64 to float is not an upcast, but MLflow allows columns of only 0 and 1.
            (np.array([0, 1], dtype=np.int64), "float", "float32", [0.0, 1.0]),
            (np.array([7], dtype=np.uint8), "integer", "int32", [7]),
        ]
        for values, type_name, dtype, expected in cases:
            with self.subTest(type_name=type_name, values=values):
                result = enforce(pd.DataFrame({"c": values}), column_schema([("c", type_name)]))
                self.assertEqual((str(result["c"].dtype), result["c"].tolist()), (dtype, expected))

    def test_datetime_columns_become_nanoseconds(self):
        result = enforce(pd.DataFrame({"c": pd.to_datetime(["2024-01-02"]).as_unit("s")}), column_schema([("c", "datetime")]))
        self.assertEqual(str(result["c"].dtype), "datetime64[ns]")


class Params(unittest.TestCase):
    def test_params_without_a_params_schema_are_ignored_with_mlflows_warning(self):
        with CapturedLogs() as logged:
            warn_ignored_params({"k": 1})
            warn_ignored_params([1])
            warn_ignored_params({})
            warn_ignored_params(None)
        note = "`params` can only be specified at inference time if the model signature defines a params schema. This model does not define a params schema. "
        self.assertEqual(logged, [("warning", note + "Ignoring provided params: ['k']"), ("warning", note + "Ignoring invalid params (not a dictionary).")])


if __name__ == "__main__":
    unittest.main()
