"""scoring/parse.py: MLflow's JSON input formats and CSV reading, and their failures, in MLflow's
words (the literals are the ones test/worker/worker.test.ts pins against MLflow 3.17.2)."""

import os
import shutil
import tempfile
import unittest

import package_path
from package_path import ECHO_SCHEMA, column_schema

import numpy as np
import pandas as pd

from mlf_worker.errors import BadInput
from mlf_worker.scoring.parse import parse_json_request, read_csv_input, read_input_text
from mlf_worker.scoring.signature import Types

ECHO = column_schema(ECHO_SCHEMA)


def parse(text, schema=ECHO):
    return parse_json_request(text, schema, Types())


class JsonFormats(unittest.TestCase):
    def test_dataframe_split_is_cast_to_the_schema_dtypes(self):
        data, params, unwrapped = parse(
            '{"dataframe_split": {"columns": ["i","l","f","d","s","b"], "data": [[1, 2, 1.5, 2.5, "x", true], [3, 4, 0.25, 1, "y", false]]}}'
        )
        self.assertEqual((params, unwrapped), (None, False))
        # A string column is left as pandas made it (object, or pandas 3's str): MLflow skips the cast.
        self.assertEqual([str(t) for t in data.dtypes.drop("s")], ["int32", "int64", "float32", "float64", "bool"])
        self.assertTrue(pd.api.types.is_string_dtype(data["s"]))
        self.assertEqual(data.to_dict(orient="list"), {"i": [1, 3], "l": [2, 4], "f": [1.5, 0.25], "d": [2.5, 1.0], "s": ["x", "y"], "b": [True, False]})

    def test_dataframe_split_keeps_an_index(self):
        data, _, _ = parse('{"dataframe_split": {"index": [7, 8], "columns": ["d"], "data": [[1], [2]]}}')
        self.assertEqual(list(data.index), [7, 8])
        self.assertEqual(list(data["d"]), [1.0, 2.0])

    def test_dataframe_records(self):
        data, _, _ = parse('{"dataframe_records": [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "x", "b": true}]}')
        self.assertIsInstance(data, pd.DataFrame)
        self.assertEqual(data.to_dict(orient="records"), [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "x", "b": True}])
        self.assertEqual(str(data["i"].dtype), "int32")

    def test_instances_of_records_become_columns_of_arrays(self):
        data, _, _ = parse('{"instances": [{"i": 1, "d": 2.5}, {"i": 3, "d": 4}]}')
        self.assertEqual(sorted(data), ["d", "i"])
        self.assertEqual(data["i"].dtype, np.dtype("int32"))
        self.assertEqual(data["i"].tolist(), [1, 3])
        self.assertEqual(data["d"].dtype, np.dtype("float64"))
        self.assertEqual(data["d"].tolist(), [2.5, 4.0])

    def test_inputs_as_columns_and_params_passed_on(self):
        data, params, unwrapped = parse('{"inputs": {"l": [2, 4], "s": ["x", "y"]}, "params": {"k": 1}}')
        self.assertEqual((params, unwrapped), ({"k": 1}, False))
        self.assertEqual(data["l"].dtype, np.dtype("int64"))
        self.assertEqual(data["l"].tolist(), [2, 4])
        self.assertEqual(data["s"].tolist(), ["x", "y"])

    def test_inputs_of_one_unnamed_column_without_a_schema(self):
        data, _, _ = parse('{"inputs": [[1, 2], [3, 4]]}', schema=None)
        self.assertEqual(data.tolist(), [[1, 2], [3, 4]])

    def test_an_llm_style_dict_is_the_data_and_is_unwrapped(self):
        data, params, unwrapped = parse('{"prompt": "ab", "n": 2}', schema=None)
        self.assertEqual((data, params, unwrapped), ({"prompt": "ab", "n": 2}, {}, True))


class JsonFailures(unittest.TestCase):
    def assertBadInput(self, text, message, schema=ECHO):
        with self.assertRaises(BadInput) as caught:
            parse(text, schema)
        self.assertEqual(caught.exception.message, message)
        return caught.exception

    def test_malformed_json_in_mlflows_words_with_the_input_in_the_detail_only(self):
        error = self.assertBadInput(
            '{"dataframe_split": [1]',
            "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError(\"Expecting ',' delimiter: line 1 column 24 (char 23)\")'",
        )
        self.assertTrue(error.extra["detail"].endswith('Input: \n{"dataframe_split": [1]\n'))
        self.assertNotIn("input_looks_like", error.extra)

    def test_csv_given_as_json_says_so(self):
        error = self.assertBadInput(
            "a,b\n1,2\n", "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError('Expecting value: line 1 column 1 (char 0)')'"
        )
        self.assertEqual(error.extra["input_looks_like"], "csv")

    def test_two_input_keys_the_protocol_note_kept_for_the_detail(self):
        error = self.assertBadInput(
            '{"dataframe_split": {"columns": ["i"], "data": [[1]]}, "inputs": [1]}',
            "The input must be a JSON dictionary with exactly one of the input fields "
            "{'dataframe_records', 'dataframe_split', 'instances', 'inputs'}. Received dictionary with input fields: ['dataframe_split', 'inputs'].",
        )
        self.assertIn("IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0.", error.extra["detail"])

    def test_no_input_key(self):
        self.assertBadInput(
            '{"columns": ["i"], "data": [[1]]}',
            "The input must be a JSON dictionary with exactly one of the input fields "
            "{'dataframe_records', 'dataframe_split', 'instances', 'inputs'}. Received dictionary with input fields: [].",
        )

    def test_a_list_at_the_top_level(self):
        self.assertBadInput(
            "[1, 2]",
            "Invalid input. The input must be a JSON dictionary with exactly one of the input fields "
            "{'dataframe_records', 'dataframe_split', 'instances', 'inputs'}. Received a list.",
        )

    def test_records_that_are_not_a_list(self):
        self.assertBadInput('{"dataframe_records": {"i": 1}}', "Invalid input. Dataframe records format must be a list of records. Got dictionary.")

    def test_split_that_is_not_a_dict_or_lacks_data(self):
        self.assertBadInput('{"dataframe_split": [1]}', "Invalid input. Dataframe split format must be a dictionary. Got list.")
        self.assertBadInput(
            '{"dataframe_split": {"columns": ["i"]}}',
            "Invalid input. Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {'columns'}.'",
        )

    def test_a_value_that_cannot_be_cast_to_the_column_type(self):
        self.assertBadInput(
            '{"dataframe_records": [{"i": 1, "l": 2, "f": 1.5, "d": "x", "s": "x", "b": true}]}',
            "Invalid input. Data is not compatible with model signature. Failed to convert column d to type 'float64'. "
            "Error: 'ValueError(\"could not convert string to float: 'x'\")'",
        )

    def test_instances_with_rows_of_different_lengths(self):
        self.assertBadInput(
            '{"instances": [{"i": 1, "l": 2}, {"i": 1}]}', "Invalid input. The length of values for each input/column name are not the same"
        )

    def test_json_nested_deeper_than_the_parser_reads_is_named_with_its_depth(self):
        error = self.assertBadInput(
            '{"inputs": ' + "[" * 5000 + "]" * 5000 + "}",
            "Invalid input. The JSON nests 5,001 levels of arrays and objects deep (at line 1, column 5011): more than Python's "
            "JSON parser, which MLflow uses too, can read (about 1,000 levels)",
        )
        self.assertEqual(error.extra["hint"], "flatten the input")


class InputFiles(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mlf-python-parse-")
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_json_text_comes_from_data_or_from_the_file(self):
        self.assertEqual(read_input_text({"data": "{}"}), "{}")
        self.assertEqual(read_input_text({"input_path": self.write("in.json", b'{"inputs": [1]}')}), '{"inputs": [1]}')

    def test_a_missing_input_file(self):
        path = os.path.join(self.dir, "nope.json")
        with self.assertRaises(BadInput) as caught:
            read_input_text({"input_path": path})
        self.assertEqual((caught.exception.message, caught.exception.extra), ("the input file does not exist", {"file": path}))

    def test_json_that_is_not_utf8_is_named_at_the_first_bad_byte(self):
        path = self.write("latin1.json", '{"inputs":\n  {"a": "caf\xe9"}}'.encode("latin1"))
        with self.assertRaises(BadInput) as caught:
            read_input_text({"input_path": path})
        self.assertEqual(caught.exception.message, "the input is not UTF-8 text: byte 0xe9 cannot be decoded (invalid continuation byte)")
        self.assertEqual((caught.exception.extra["line"], caught.exception.extra["column"]), (2, 13))

    def test_csv_is_read_with_the_schema_dtypes(self):
        import io

        frame = read_csv_input(io.StringIO("i,l,f,d,s,b\n1,2,1.5,2.5,007,True\n"), ECHO.csv_dtypes())
        self.assertEqual([str(t) for t in frame.dtypes], ["int32", "int64", "float32", "float64", "object", "bool"])
        self.assertEqual(frame.to_dict(orient="records"), [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "007", "b": True}])

    def test_csv_with_an_unnamed_schema_types_columns_by_position(self):
        import io

        unnamed = ECHO.__class__([ECHO.inputs[0].__class__("string", None, True)])
        frame = read_csv_input(io.StringIO("code,n\n007,1\n"), unnamed.csv_dtypes())
        self.assertEqual(frame["code"].tolist(), ["007"])

    def test_csv_that_does_not_parse(self):
        import io

        with self.assertRaises(BadInput) as caught:
            read_csv_input(io.StringIO("i,l\n1,2\n3,4,5,6\n"), None)
        self.assertEqual(
            caught.exception.message,
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced "
            "using the `pandas.DataFrame.to_csv()` method. Error: 'Error tokenizing data. C error: Expected 2 fields in line 3, saw 4'",
        )

    def test_a_csv_file_that_is_not_utf8_is_named_at_the_first_bad_byte(self):
        path = self.write("latin1.csv", b"a,b\n" + b"1,2\n" * 1000 + "1,\xe9\n".encode("latin1"))
        with self.assertRaises(BadInput) as caught:
            read_csv_input(path, None)
        error = caught.exception
        self.assertEqual(error.message, "the input is not UTF-8 text: byte 0xe9 cannot be decoded (invalid continuation byte)")
        self.assertEqual((error.extra["file"], error.extra["line"], error.extra["column"]), (path, 1002, 3))

    def test_a_missing_csv_file(self):
        path = os.path.join(self.dir, "nope.csv")
        with self.assertRaises(BadInput) as caught:
            read_csv_input(path, None)
        self.assertEqual((caught.exception.message, caught.exception.extra), ("the input file does not exist", {"file": path}))


if __name__ == "__main__":
    unittest.main()
