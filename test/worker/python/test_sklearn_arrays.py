"""runtimes/sklearn_arrays.py: for the listed linear models, predict through the frame's array
gives exactly what predict on the frame gives (values and dtype), warns nothing the frame would
not, and raises the frame's own error; anything else goes to predict unchanged."""

import unittest
import warnings
from unittest import mock

import package_path  # noqa: F401
from package_path import IRIS_COLUMNS, IRIS_ROWS

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier

from mlf_worker.runtimes.sklearn_arrays import predict_function

RNG = np.random.default_rng(7)
TRAIN = pd.DataFrame(RNG.normal(size=(60, 4)), columns=IRIS_COLUMNS)
LABELS = np.arange(60) % 3


def fitted(estimator, frame=TRAIN, target=LABELS):
    return estimator.fit(frame, target)


def frames():
    """Frames of one and of many rows, built as the worker builds them (from a float64 array)."""
    return [pd.DataFrame(np.array(IRIS_ROWS[:1]), columns=IRIS_COLUMNS), pd.DataFrame(RNG.normal(size=(100, 4)), columns=IRIS_COLUMNS)]


def called(function, frame):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(frame)
    return result, [str(w.message) for w in caught]


class ArrayPredictTest(unittest.TestCase):
    def test_same_predictions_and_warnings_as_predict_on_the_frame(self):
        for estimator in (fitted(LogisticRegression(max_iter=500)), fitted(LinearRegression()), fitted(Ridge())):
            for frame in frames():
                expected, expected_warnings = called(estimator.predict, frame)
                with mock.patch.object(type(estimator), "predict", wraps=estimator.predict) as predict:
                    got, got_warnings = called(predict_function(estimator), frame)
                self.assertIsInstance(predict.call_args.args[0], np.ndarray)  # the shortcut was taken
                self.assertEqual(got.dtype, expected.dtype)
                self.assertEqual(got.tobytes(), expected.tobytes())
                self.assertEqual(got_warnings, expected_warnings)

    def test_the_frame_itself_when_its_columns_or_dtypes_differ_from_the_fit(self):
        estimator = fitted(LogisticRegression(max_iter=500))
        reordered = frames()[1][IRIS_COLUMNS[::-1]]
        ints = pd.DataFrame(np.ones((2, 4), dtype=np.int64), columns=IRIS_COLUMNS)
        for frame in (reordered, ints, np.array(IRIS_ROWS)):
            with mock.patch.object(type(estimator), "predict", wraps=estimator.predict) as predict:
                with warnings.catch_warnings():
                    # The plain array's own warning (it has no names): predict's, not the shortcut's.
                    warnings.simplefilter("ignore")
                    try:
                        predict_function(estimator)(frame)
                    except ValueError:
                        pass
            self.assertIs(predict.call_args.args[0], frame)

    def test_an_error_is_the_frames_own(self):
        estimator = fitted(LogisticRegression(max_iter=500))
        frame = pd.DataFrame(np.array([[np.nan, 1.0, 2.0, 3.0]]), columns=IRIS_COLUMNS)
        with self.assertRaises(ValueError) as expected:
            estimator.predict(frame)
        with mock.patch.object(type(estimator), "predict", wraps=estimator.predict) as predict:
            with self.assertRaises(ValueError) as got:
                predict_function(estimator)(frame)
        self.assertEqual(str(got.exception), str(expected.exception))
        self.assertIs(predict.call_args.args[0], frame)

    def test_predict_unchanged_for_other_estimators_and_fits_without_names(self):
        tree = fitted(DecisionTreeClassifier())
        unnamed = fitted(LogisticRegression(max_iter=500), TRAIN.to_numpy())
        for estimator in (tree, unnamed):
            frame = frames()[0]
            with mock.patch.object(type(estimator), "predict", wraps=estimator.predict) as predict:
                called(predict_function(estimator), frame)
            self.assertIs(predict.call_args.args[0], frame)


if __name__ == "__main__":
    unittest.main()
