"""The flavor runtimes (xgboost, lightgbm, catboost, statsmodels, onnx, keras, pytorch; sklearn's with
a tensor signature) on the directories MLflow 3.17.2 wrote (fixtures/flavors/,
fixtures/make_flavor_fixtures.py): loaded through runtimes/registry.py and answered through the
request loop's predict, as the worker does; the output must be what MLflow's scoring server gave for the same
request (expected-response.json), float digits within rounding (the e2e compares bytes with MLflow run here).
A flavor whose library this Python lacks is skipped with the reason (torch and keras are in the
.e2e/torch environment only; test/worker/python-unit.test.ts runs this file there too). TensorFlow
is in .e2e/tf alone, too heavy for a third run: here only the tensorflow runtime's refusals, which
come before it imports tensorflow; test/e2e/flavors.test.ts predicts with it. None of
this may import mlflow: each test checks that it did not."""

import importlib.util
import json
import os
import shutil
import sys
import unittest
from unittest import mock

import package_path  # noqa: F401
from json_close import json_difference
from test_runtimes import ModelDirTestCase

from mlf_worker.errors import NeedsMlflow
from mlf_worker.model_dir import read_mlmodel
from mlf_worker.protocol import error_reply
from mlf_worker.runtimes.base import ModelToLoad
from mlf_worker.runtimes.registry import load_runtime

FLAVORS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "flavors"))

# fixture -> (the library it needs, the runtime that must load it, whether it has a request.csv:
# the tensor-signature fixtures have a JSON `inputs` request only)
FIXTURES = {
    "xgboost": ("xgboost", "xgboost", True),
    "xgboost-booster": ("xgboost", "xgboost", True),
    "lightgbm": ("lightgbm", "lightgbm", True),
    "lightgbm-sklearn": ("lightgbm", "lightgbm", True),
    "catboost": ("catboost", "catboost", True),
    "statsmodels": ("statsmodels", "statsmodels", True),
    "onnx": ("onnxruntime", "onnx", True),
    "pytorch-pickle": ("torch", "pytorch", True),
    "pytorch": ("torch", "pytorch", False),
    "keras-no-signature": ("keras", "keras", True),
    "keras": ("keras", "keras", False),
    # Logged with an ndarray input example: a tensor signature, enforced by the port, then the
    # flavor's predict on the array (onnx: a dict of its outputs).
    "sklearn-tensor": ("sklearn", "sklearn", False),
    "xgboost-tensor": ("xgboost", "xgboost", False),
    "lightgbm-tensor": ("lightgbm", "lightgbm", False),
    "catboost-tensor": ("catboost", "catboost", False),
    "statsmodels-tensor": ("statsmodels", "statsmodels", False),
    "onnx-tensor": ("onnxruntime", "onnx", False),
}


TENSOR_FLOAT64_X4 = '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'


def has(library):
    return importlib.util.find_spec(library) is not None


def skip_without(test, library, name=None):
    if not has(library):
        test.skipTest("{}{} is not installed in {} (.e2e/torch has every flavor's library)".format(name + ": " if name else "", library, sys.executable))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def model_to_load(model_dir, mlmodel=None):
    from mlf_worker.model_dir import python_function_conf

    mlmodel = mlmodel if mlmodel is not None else read_mlmodel(model_dir)
    path = os.path.join(model_dir, "MLmodel")
    return ModelToLoad(model_dir, mlmodel, path, python_function_conf(mlmodel, path), None)


class MlflowWrittenFixtures(ModelDirTestCase):
    def test_each_fixture_loads_without_mlflow_and_answers_mlflows_bytes(self):
        for name, (library, runtime_name, csv) in FIXTURES.items():
            with self.subTest(fixture=name):
                if library == "keras" and os.environ.get("KERAS_BACKEND") != "torch":
                    self.skipTest("keras: the fixture's backend is torch and KERAS_BACKEND is not `torch`")
                skip_without(self, library, name)
                folder = os.path.join(FLAVORS, name)
                model_dir = os.path.join(folder, "model")
                runtime, fallback = load_runtime(model_dir, "auto", read_mlmodel(model_dir))
                self.assertEqual((runtime.name, fallback), (runtime_name, None))
                # What MLflow's scoring server answered on the machine that wrote the fixture: the
                # same text, but for float digits this CPU's kernels may round otherwise (json_close.py).
                expected = read(os.path.join(folder, "expected-response.json"))
                for request, kind in [("request.json", "json")] + ([("request.csv", "csv")] if csv else []):
                    answer = self.answer(runtime, read(os.path.join(folder, request)), kind)
                    self.assertIsInstance(answer, str, answer)
                    self.assertIsNone(json_difference(answer, expected), request)

    def test_a_missing_column_is_the_schema_error_mlflow_gives(self):
        skip_without(self, "lightgbm")
        model_dir = os.path.join(FLAVORS, "lightgbm", "model")
        runtime, _ = load_runtime(model_dir, "auto", read_mlmodel(model_dir))
        request = json.dumps({"dataframe_split": {"columns": ["sepal length (cm)"], "data": [[5.1]]}})
        kind, message = self.answer(runtime, request, "json")
        self.assertEqual(kind, "schema")
        self.assertIn("missing inputs", message)


class WhatMlflowLoads(ModelDirTestCase):
    """What the flavor runtimes leave to MLflow's loader, each with the reason --json reports."""

    def copy_fixture(self, name):
        target = os.path.join(self.dir, name)
        shutil.copytree(os.path.join(FLAVORS, name, "model"), target)
        return target

    def loader_of(self, module):
        return getattr(importlib.import_module("mlf_worker.runtimes." + module), "load_" + module)

    def assert_needs_mlflow(self, module, model, reason):
        with self.assertRaises(NeedsMlflow) as caught:
            self.loader_of(module)(model)
        self.assertEqual(str(caught.exception), reason)

    def test_a_tensor_signature_on_a_model_from_code(self):
        # The one runtime without mlflow that does not take tensor signatures (its function may
        # expect anything): MLflow's loader, with the reason.
        model_dir = os.path.join(self.dir, "echo")
        os.makedirs(model_dir)
        with open(os.path.join(model_dir, "echo.py"), "w") as f:
            f.write("from mlflow.models import set_model\nset_model(lambda model_input: model_input)\n")
        mlmodel = {
            "flavors": {"python_function": {"loader_module": "mlflow.pyfunc.loaders.code_model", "model_code_path": "echo.py"}},
            "signature": {"inputs": TENSOR_FLOAT64_X4},
        }
        stand_in = mock.Mock()
        with mock.patch("mlf_worker.runtimes.registry.mlflow_runtime", return_value=stand_in):
            runtime, reason = load_runtime(model_dir, "auto", mlmodel)
        self.assertIs(runtime, stand_in.load.return_value)
        self.assertEqual(reason, "the signature is tensor-based, which the code-model runtime does not enforce")

    def test_a_pt2_archive_when_pickles_are_disallowed(self):
        skip_without(self, "torch")
        model_dir = os.path.join(FLAVORS, "pytorch", "model")
        with mock.patch.dict(os.environ, {"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false"}):
            self.assert_needs_mlflow("pytorch", model_to_load(model_dir), "MLFLOW_ALLOW_PICKLE_DESERIALIZATION is false")

    def test_flavor_settings_only_mlflow_implements(self):
        cases = [
            ("xgboost", "xgboost", {"model_class": "mypackage.Booster"}, "the xgboost model class `mypackage.Booster` is not xgboost's own"),
            ("catboost", "catboost", {"model_type": "CatBoostSomething"},
             "the catboost model type `CatBoostSomething` is not one of CatBoost, CatBoostClassifier, CatBoostRegressor, CatBoostRanker"),
            ("onnx", "onnx", {"onnx_session_options": {"intra_op_num_threads": 1}}, "the onnx flavor sets onnx_session_options"),
            ("keras", "keras", {"save_exported_model": True}, "an exported Keras model loads with tensorflow"),
        ]
        for fixture, flavor, changes, reason in cases:
            with self.subTest(fixture=fixture):
                model_dir = os.path.join(FLAVORS, fixture, "model")
                mlmodel = read_mlmodel(model_dir)
                mlmodel["flavors"][flavor].update(changes)
                self.assert_needs_mlflow(flavor, model_to_load(model_dir, mlmodel), reason)

    def test_tensorflow_layouts_other_than_a_keras_file(self):
        # Each is refused before tensorflow is imported: these run in any Python.
        model_dir = os.path.join(FLAVORS, "tensorflow", "model")
        module_model = read_mlmodel(model_dir)
        module_model["flavors"]["tensorflow"] = {"code": None, "model_type": "tf2-module", "saved_model_dir": "tf2model"}
        self.assert_needs_mlflow("tensorflow", model_to_load(model_dir, module_model),
                                 "the tensorflow model is a tf.Module SavedModel (`model_type: tf2-module`)")
        both = read_mlmodel(model_dir)
        both["flavors"]["keras"] = {"data": "data", "keras_version": "3.15.1"}
        self.assert_needs_mlflow("tensorflow", model_to_load(model_dir, both),
                                 "the MLmodel has a keras flavor too, whose section MLflow's tensorflow loader reads")
        untyped = read_mlmodel(model_dir)
        del untyped["flavors"]["tensorflow"]["model_type"]
        self.assert_needs_mlflow("tensorflow", model_to_load(model_dir, untyped),
                                 "the tensorflow flavor records no model_type (an older MLflow's layout)")

    def test_tensorflow_data_files_only_mlflow_loads(self):
        cases = [
            ("save_format.txt", "h5", "the Keras model is saved as HDF5 (`save_format: h5`)"),
            ("keras_module.txt", "mypackage.keras", "keras_module.txt names `mypackage.keras`"),
            ("model.keras", None, "the Keras model is not a .keras file (a SavedModel of TensorFlow < 2.16)"),
        ]
        for file, text, reason in cases:
            with self.subTest(file=file):
                model_dir = self.copy_fixture("tensorflow")
                target = os.path.join(model_dir, "data", file)
                if text is None:
                    os.remove(target)
                else:
                    with open(target, "w") as f:
                        f.write(text)
                self.assert_needs_mlflow("tensorflow", model_to_load(model_dir), reason)
                shutil.rmtree(model_dir)

    def test_a_missing_flavor_section(self):
        model_dir = os.path.join(FLAVORS, "lightgbm", "model")
        mlmodel = read_mlmodel(model_dir)
        del mlmodel["flavors"]["lightgbm"]
        self.assert_needs_mlflow("lightgbm", model_to_load(model_dir, mlmodel), "the lightgbm flavor configuration is missing")

    def test_pickles_refused_when_mlflow_would_refuse_them(self):
        model_dir = os.path.join(FLAVORS, "statsmodels", "model")
        with mock.patch.dict(os.environ, {"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false"}):
            self.assert_needs_mlflow("statsmodels", model_to_load(model_dir), "MLFLOW_ALLOW_PICKLE_DESERIALIZATION is false")

    def test_pytorch_on_a_gpu_device(self):
        skip_without(self, "torch")
        model_dir = os.path.join(FLAVORS, "pytorch-pickle", "model")
        with mock.patch.dict(os.environ, {"MLFLOW_DEFAULT_PREDICTION_DEVICE": "cuda:1"}):
            self.assert_needs_mlflow("pytorch", model_to_load(model_dir), "the model predicts on `cuda:1`")

    def test_a_damaged_model_file_names_the_file(self):
        skip_without(self, "xgboost")
        model_dir = self.copy_fixture("xgboost")
        with open(os.path.join(model_dir, "model.ubj"), "wb") as f:
            f.write(b"not a model")
        with self.assertRaises(Exception) as caught:
            load_runtime(model_dir, "auto", read_mlmodel(model_dir))
        reply = error_reply(caught.exception)
        self.assertEqual(reply.get("file"), os.path.join(model_dir, "model.ubj"))


class TensorSignatures(ModelDirTestCase):
    """What a tensor signature's enforcement hands the flavors' predict beyond the fixtures' one
    unnamed array: a dict of named arrays, an array for a model of several inputs, no signature."""

    def fixture(self, name, inputs):
        """The fixture's model with its signature's inputs replaced (None: no signature)."""
        model_dir = os.path.join(FLAVORS, name, "model")
        mlmodel = read_mlmodel(model_dir)
        if inputs is None:
            del mlmodel["signature"]
        else:
            mlmodel["signature"]["inputs"] = inputs
        return load_runtime(model_dir, "auto", mlmodel)

    def onnx_tensor(self, name):
        return read(os.path.join(FLAVORS, "onnx-tensor", name))

    def test_onnx_a_named_tensor_feeds_the_dict_and_predicts_mlflows_dict(self):
        # MLflow 3.17.2 answers this request with onnx-tensor's bytes (checked with its scoring
        # server): the dict {"input": array} is the feed dict as it is.
        skip_without(self, "onnxruntime")
        named = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}]'
        runtime, fallback = self.fixture("onnx-tensor", named)
        self.assertEqual((runtime.name, fallback), ("onnx", None))
        self.assertEqual(self.answer(runtime, self.onnx_tensor("request.json")), self.onnx_tensor("expected-response.json"))

    def test_onnx_without_a_signature_an_inputs_request_is_an_array_and_a_dict_comes_back(self):
        # The onnx fixture is onnx-tensor's regression: MLflow answers onnx-tensor's request to it,
        # signature removed, with onnx-tensor's bytes (float64 rows cast to float32).
        skip_without(self, "onnxruntime")
        runtime, fallback = self.fixture("onnx", None)
        self.assertEqual((runtime.name, fallback), ("onnx", None))
        self.assertEqual(self.answer(runtime, self.onnx_tensor("request.json")), self.onnx_tensor("expected-response.json"))

    def test_onnx_an_array_for_a_model_of_two_inputs_is_mlflows_error(self):
        # The message is the MlflowException MLflow 3.17.2 raises for this model, and its scoring
        # server answers the dict request below with these bytes (both checked by hand).
        skip_without(self, "onnxruntime")
        import onnx
        from onnx import TensorProto, helper

        graph = helper.make_graph(
            [helper.make_node("Add", ["a", "b"], ["sum"])],
            "add",
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 2]) for n in ("a", "b")],
            [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [None, 2])],
        )
        model_dir = os.path.join(self.dir, "add")
        os.makedirs(model_dir)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), os.path.join(model_dir, "model.onnx"))
        mlmodel = {
            "flavors": {
                "onnx": {"data": "model.onnx", "providers": ["CPUExecutionProvider"]},
                "python_function": {"loader_module": "mlflow.onnx", "data": "model.onnx"},
            },
            "signature": {"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'},
        }
        runtime, fallback = load_runtime(model_dir, "auto", mlmodel)
        self.assertEqual((runtime.name, fallback), ("onnx", None))
        kind, message = self.answer(runtime, '{"inputs": [[1, 2]]}')
        self.assertEqual(kind, "model_error")
        self.assertTrue(message.startswith("ArrayForSeveralInputsError: Unable to map numpy array input"), message)
        import numpy as np

        with self.assertRaises(ValueError) as caught:
            runtime.predict(np.array([[1, 2]], dtype=np.float32), None)
        self.assertEqual(
            str(caught.exception),
            "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for "
            "MLflow ONNX models that have a single input. This model requires 2 inputs. Please pass in data as either "
            "a dictionary or a DataFrame with the following tensors: ['a', 'b'].",
        )
        # Without a signature, an `inputs` dict of both names is the feed dict (float64 cast to float32).
        del mlmodel["signature"]
        runtime, _ = load_runtime(model_dir, "auto", mlmodel)
        self.assertEqual(self.answer(runtime, '{"inputs": {"a": [[1.5, 2]], "b": [[10.5, 20.25]]}}'), '{"predictions": {"sum": [[12.0, 22.25]]}}')

    def test_sklearn_a_named_tensor_hands_the_estimator_the_dict_which_fails_as_under_mlflow(self):
        # MLflow passes the dict to `predict` too, which raises scikit-learn's own error.
        skip_without(self, "sklearn")
        runtime, fallback = self.fixture("sklearn-tensor", TENSOR_FLOAT64_X4.replace('"shape": [-1, 4]}', '"shape": [-1, 4]}, "name": "x"'))
        self.assertEqual((runtime.name, fallback), ("sklearn", None))
        kind, message = self.answer(runtime, read(os.path.join(FLAVORS, "sklearn-tensor", "request.json")))
        self.assertEqual(kind, "model_error")
        self.assertTrue(message.startswith("ValueError: Expected 2D array, got scalar array instead:"), message)

    def test_sklearn_a_csv_reaches_predict_as_the_enforced_array(self):
        # sklearn-tensor's LogisticRegression was fitted on a DataFrame, so mlf's array fast path
        # (sklearn_arrays.py) wraps its predict; a CSV is a DataFrame, which the tensor enforcement
        # turns into the (-1, 4) array, which must reach predict as it is, column names ignored.
        # `mlflow models predict -t csv` writes expected-response.json's bytes for it (checked by hand).
        skip_without(self, "sklearn")
        runtime, _ = self.fixture("sklearn-tensor", TENSOR_FLOAT64_X4)
        expected = read(os.path.join(FLAVORS, "sklearn-tensor", "expected-response.json"))
        rows = json.loads(read(os.path.join(FLAVORS, "sklearn-tensor", "request.json")))["inputs"]
        csv = "a,b,c,d\n" + "".join(",".join(repr(v) for v in row) + "\n" for row in rows)
        self.assertEqual(self.answer(runtime, csv, "csv"), expected)


if __name__ == "__main__":
    unittest.main()
