"""scoring/encode.py: predictions written as MLflow 3.17.2's predictions_to_json writes them (the
literals below are its output for the same values), and --strict-json's valid JSON."""

import datetime
import unittest

import package_path  # noqa: F401

import numpy as np
import pandas as pd

from mlf_worker.scoring.encode import encode_predictions, strict_json


class LikeMlflow(unittest.TestCase):
    def test_values_as_mlflow_writes_them(self):
        cases = [
            (np.array([float("nan"), 1.0, np.inf, -np.inf]), '{"predictions": [NaN, 1.0, Infinity, -Infinity]}'),
            (pd.DataFrame({"a": [1, 2], "b": ["x", None]}), '{"predictions": [{"a": 1, "b": "x"}, {"a": 2, "b": NaN}]}'),
            (pd.Series([1.5, 2.5]), '{"predictions": [{"0": 1.5}, {"0": 2.5}]}'),
            (pd.Series([1.5, 2.5], name="p"), '{"predictions": [{"p": 1.5}, {"p": 2.5}]}'),
            ([np.int64(3), np.float32(0.5), np.bool_(True)], '{"predictions": [3, 0.5, true]}'),
            (
                {"bytes": b"ab", "date": datetime.date(2024, 1, 2), "ts": pd.Timestamp("2024-01-02 03:04:05"), "time": datetime.time(1, 2)},
                '{"predictions": {"bytes": "YWI=\\n", "date": "2024-01-02", "ts": "2024-01-02T03:04:05", "time": "01:02:00"}}',
            ),
            (np.array([b"ab", b"cd"], dtype=object), '{"predictions": ["YWI=\\n", "Y2Q=\\n"]}'),
            (np.array([b"ab", b"cd"]), '{"predictions": ["YWI=\\n", "Y2Q=\\n"]}'),
            (np.array(["2024-01-02T03:04:05"], dtype="datetime64[s]"), '{"predictions": ["2024-01-02T03:04:05"]}'),
            (np.datetime64("2024-01-02T03:04:05", "s"), '{"predictions": "2024-01-02T03:04:05"}'),
            # np.generic first, as MLflow's encoder: a nanosecond datetime64 is an int there.
            (np.datetime64("2024-01-02T03:04:05.000000001", "ns"), '{"predictions": 1704164645000000001}'),
            (pd.DataFrame({"t": pd.to_datetime(["2024-01-02"])}), '{"predictions": [{"t": "2024-01-02T00:00:00"}]}'),
            (np.array([[1, 2], [3, 4]], dtype=np.int32), '{"predictions": [[1, 2], [3, 4]]}'),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                self.assertEqual(encode_predictions(value, unwrapped=False), expected)

    def test_an_llm_style_answer_is_not_wrapped(self):
        self.assertEqual(encode_predictions({"text": "abab"}, unwrapped=True), '{"text": "abab"}')

    def test_what_json_cannot_hold_fails_as_in_mlflow(self):
        with self.assertRaises(TypeError) as caught:
            encode_predictions([object()], unwrapped=False)
        self.assertEqual(str(caught.exception), "Object of type object is not JSON serializable")


class StrictJson(unittest.TestCase):
    def test_nan_and_infinities_become_null_everywhere(self):
        mlflow_text = encode_predictions(
            {"a": [float("nan"), 1.0], "b": {"c": float("inf")}, "d": -np.inf, "e": "NaN"}, unwrapped=True
        )
        self.assertEqual(mlflow_text, '{"a": [NaN, 1.0], "b": {"c": Infinity}, "d": -Infinity, "e": "NaN"}')
        self.assertEqual(strict_json(mlflow_text), '{"a": [null, 1.0], "b": {"c": null}, "d": null, "e": "NaN"}')

    def test_finite_output_is_unchanged(self):
        text = '{"predictions": [0, 1.5, "x", true, null, [2]]}'
        self.assertEqual(strict_json(text), text)


if __name__ == "__main__":
    unittest.main()
