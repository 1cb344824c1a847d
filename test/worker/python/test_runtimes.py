"""The runtimes without mlflow, on small models saved by hand (pandas and scikit-learn only): the
sklearn flavor and models from code, loaded through runtimes/registry.py and answered through the
request loop's predict, as the worker does. Expected outputs are the ones test/worker/worker.test.ts
pins against `mlflow models predict` (MLflow 3.17.2) for the same models and inputs. None of this
may import mlflow: each test checks that it did not."""

import json
import os
import pickle
import shutil
import sys
import tempfile
import textwrap
import unittest

import package_path
from package_path import ECHO_SCHEMA, IRIS_COLUMNS, IRIS_OUTPUT, IRIS_ROWS

from mlf_worker.errors import BadModelFile, LoadError, NeedsMlflow
from mlf_worker.loop import predict
from mlf_worker.model_dir import read_mlmodel
from mlf_worker.protocol import error_reply
from mlf_worker.runtimes.registry import load_runtime, schema_without_mlflow


def signature_inputs(columns):
    return json.dumps([{"type": type_name, "name": name, "required": True} for name, type_name in columns])


def write_mlmodel(model_dir, flavors, columns=None):
    """An MLmodel as MLflow writes it (YAML; the signature's inputs as a JSON string)."""
    import yaml

    document = {"flavors": flavors}
    if columns:
        document["signature"] = {"inputs": signature_inputs(columns)}
    with open(os.path.join(model_dir, "MLmodel"), "w") as f:
        yaml.safe_dump(document, f)


class ModelDirTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mlf-python-runtimes-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.path_before = list(sys.path)
        self.addCleanup(self.restore_sys_path)

    def restore_sys_path(self):
        sys.path[:] = self.path_before

    def tearDown(self):
        self.assertNotIn("mlflow", sys.modules)

    def load(self, model_dir):
        return load_runtime(model_dir, "auto", read_mlmodel(model_dir))

    def answer(self, runtime, data, content_type="json", **request):
        """The output of one predict request, or the error reply's (kind, message)."""
        try:
            reply = predict(runtime, dict(request, id=1, type="predict", content_type=content_type, data=data))
        except Exception as e:
            reply = error_reply(e)
        if reply["ok"]:
            return reply["output"]
        return reply["kind"], reply["message"]


def iris_input(shape):
    records = [dict(zip(IRIS_COLUMNS, row)) for row in IRIS_ROWS]
    if shape == "dataframe_split":
        return json.dumps({"dataframe_split": {"columns": IRIS_COLUMNS, "data": IRIS_ROWS}})
    if shape == "inputs":
        return json.dumps({"inputs": {c: [row[i] for row in IRIS_ROWS] for i, c in enumerate(IRIS_COLUMNS)}})
    return json.dumps({shape: records})


class Sklearn(ModelDirTestCase):
    @classmethod
    def setUpClass(cls):
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        X, y = load_iris(return_X_y=True, as_frame=True)
        cls.classifier = LogisticRegression(max_iter=500).fit(X, y)

    def save(self, predict_fn="predict", model_file="model.pkl"):
        model_dir = os.path.join(self.dir, "iris")
        os.makedirs(model_dir)
        with open(os.path.join(model_dir, "model.pkl"), "wb") as f:
            pickle.dump(self.classifier, f)
        flavors = {
            "python_function": {"loader_module": "mlflow.sklearn", "model_path": model_file, "predict_fn": predict_fn},
            "sklearn": {"pickled_model": model_file, "serialization_format": "pickle"},
        }
        write_mlmodel(model_dir, flavors, [(c, "double") for c in IRIS_COLUMNS])
        return model_dir

    def test_every_input_shape_gives_mlflows_predictions_without_importing_mlflow(self):
        runtime, fallback = self.load(self.save())
        self.assertEqual((runtime.name, fallback), ("sklearn", None))
        for shape in ("dataframe_split", "dataframe_records", "instances", "inputs"):
            with self.subTest(shape=shape):
                self.assertEqual(self.answer(runtime, iris_input(shape)), IRIS_OUTPUT)
        csv = ",".join(IRIS_COLUMNS) + "\n" + "\n".join(",".join(str(v) for v in row) for row in IRIS_ROWS) + "\n"
        self.assertEqual(self.answer(runtime, csv, content_type="csv"), IRIS_OUTPUT)

    def test_a_custom_predict_fn_is_the_estimators_method(self):
        import pandas as pd

        runtime, _ = self.load(self.save(predict_fn="predict_proba"))
        expected = self.classifier.predict_proba(pd.DataFrame(IRIS_ROWS, columns=IRIS_COLUMNS)).tolist()
        self.assertEqual(json.loads(self.answer(runtime, iris_input("dataframe_split"))), {"predictions": expected})

    def test_a_predict_fn_the_estimator_lacks_fails_the_load_in_mlflows_words(self):
        with self.assertRaises(LoadError) as caught:
            self.load(self.save(predict_fn="predict_joint_log_proba"))
        self.assertEqual(caught.exception.message, "Model implementation is missing required predict_joint_log_proba method.")

    def test_a_missing_model_file_is_a_damaged_model_directory(self):
        model_dir = self.save(model_file="gone.pkl")
        try:
            self.load(model_dir)
        except Exception as e:
            reply = error_reply(e, stage="load", model_dir=model_dir)
        self.assertEqual(
            {k: reply[k] for k in ("kind", "message", "file", "hint")},
            {
                "kind": "bad_model_file",
                "message": "cannot read the model file: No such file or directory",
                "file": os.path.join(model_dir, "gone.pkl"),
                "hint": "restore the file from the saved model",
            },
        )

    def test_a_missing_column_and_an_unsafe_type_are_schema_errors(self):
        runtime, _ = self.load(self.save())
        self.assertEqual(
            self.answer(runtime, '{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}}'),
            ("schema", "Model is missing inputs {}. Note that there were extra inputs: ['x'].".format(IRIS_COLUMNS)),
        )
        self.assertEqual(
            self.answer(runtime, json.dumps({"dataframe_records": [dict.fromkeys(IRIS_COLUMNS, "a")]})),
            ("bad_input", "Invalid input. Data is not compatible with model signature. Failed to convert column sepal length (cm) to type 'float64'. "
             "Error: 'ValueError(\"could not convert string to float: 'a'\")'"),
        )


ECHO_ROW = '"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "x", "b": true'
ECHO_TWO = (
    '{"predictions": [{' + ECHO_ROW + ', "dtypes": "int32,int64,float32,float64,str,bool"}, '
    '{"i": 3, "l": 4, "f": 0.25, "d": 1.0, "s": "y", "b": false, "dtypes": "int32,int64,float32,float64,str,bool"}]}'
)


class CodeModel(ModelDirTestCase):
    def save(self, name, source, columns=None):
        model_dir = os.path.join(self.dir, name)
        os.makedirs(model_dir)
        with open(os.path.join(model_dir, name + ".py"), "w") as f:
            f.write(textwrap.dedent(source))
        flavors = {"python_function": {"loader_module": "mlflow.pyfunc.loaders.code_model", "model_code_path": name + ".py"}}
        write_mlmodel(model_dir, flavors, columns)
        return model_dir

    def echo(self):
        # test/worker/models/make-models.py's `echo`, without its print.
        return self.save(
            "echo",
            """
            from mlflow.models import set_model

            def echo(model_input):
                return model_input.assign(dtypes=[",".join(str(t) for t in model_input.dtypes)] * len(model_input))

            set_model(echo)
            """,
            ECHO_SCHEMA,
        )

    def test_the_input_reaches_the_function_with_the_schema_dtypes(self):
        runtime, fallback = self.load(self.echo())
        self.assertEqual((runtime.name, fallback), ("code-model", None))
        split = '{"dataframe_split": {"columns": ["i","l","f","d","s","b"], "data": [[1, 2, 1.5, 2.5, "x", true], [3, 4, 0.25, 1, "y", false]]}}'
        self.assertEqual(self.answer(runtime, split), ECHO_TWO)
        inputs = '{"inputs": {"i": [1, 3], "l": [2, 4], "f": [1.5, 0.25], "d": [2.5, 1], "s": ["x", "y"], "b": [true, false]}}'
        self.assertEqual(self.answer(runtime, inputs), ECHO_TWO)
        self.assertEqual(
            self.answer(runtime, "i,l,f,d,s,b\n1,2,1.5,2.5,007,True\n", content_type="csv"),
            '{"predictions": [{"i": 1, "l": 2, "f": 1.5, "d": 2.5, "s": "007", "b": true, "dtypes": "int32,int64,float32,float64,object,bool"}]}',
        )

    def test_an_llm_style_model_its_answer_unwrapped_and_an_unsafe_conversion_refused(self):
        runtime, _ = self.load(
            self.save(
                "chat",
                """
                import mlflow

                def reply(model_input):
                    return {"text": str(model_input["prompt"][0]) * int(model_input["n"][0])}

                mlflow.models.set_model(reply)
                """,
                [("prompt", "string"), ("n", "long")],
            )
        )
        self.assertEqual(self.answer(runtime, '{"prompt": "ab", "n": 2}'), '{"text": "abab"}')
        self.assertEqual(
            self.answer(runtime, '{"prompt": "ab", "n": 2.5}'),
            ("schema", "Incompatible input types for column n. Can not safely convert float64 to int64."),
        )

    def test_nan_and_infinities_bare_as_mlflow_writes_them_or_null_with_strict_json(self):
        runtime, _ = self.load(
            self.save(
                "nonfinite",
                """
                from mlflow.models import set_model
                import numpy as np

                def f(model_input):
                    return np.array([float("nan"), 1.0, np.inf, -np.inf])[: len(model_input)]

                set_model(f)
                """,
                [("a", "double")],
            )
        )
        data = '{"inputs": {"a": [1.0, 2.0, 3.0, 4.0]}}'
        self.assertEqual(self.answer(runtime, data), '{"predictions": [NaN, 1.0, Infinity, -Infinity]}')
        self.assertEqual(self.answer(runtime, data, strict_json=True), '{"predictions": [null, 1.0, null, null]}')

    def test_files_that_need_mlflow_itself_are_refused_with_the_reason(self):
        cases = [
            ("import mlflow.pyfunc\n", "the model file imports mlflow modules beyond mlflow.models"),
            ("from mlflow import pyfunc\n", "the model file imports more than set_model from mlflow"),
            ("import mlflow\nmlflow.log_param('a', 1)\n", "the model file uses mlflow beyond mlflow.models.set_model"),
            ("x = dbutils\n", "the model file refers to dbutils"),
            ("from mlflow.models import set_model\ndef f(model_input: list) -> list:\n    return model_input\nset_model(f)\n", "the model function has type hints"),
            ("from mlflow.models import set_model\nclass M:\n    pass\nset_model(M())\n", "set_model was given something other than a plain function"),
        ]
        from mlf_worker.runtimes.code_model import CodeModelRuntime
        from mlf_worker.runtimes.base import ModelToLoad

        for number, (source, reason) in enumerate(cases):
            with self.subTest(reason=reason):
                model_dir = self.save("m{}".format(number), source)
                mlmodel = read_mlmodel(model_dir)
                model = ModelToLoad(model_dir, mlmodel, os.path.join(model_dir, "MLmodel"), mlmodel["flavors"]["python_function"], None)
                with self.assertRaises(NeedsMlflow) as caught:
                    CodeModelRuntime.load(model)
                self.assertEqual(str(caught.exception), reason)

    def test_a_file_that_is_not_python_is_a_damaged_model_file(self):
        model_dir = self.save("broken", "def f(:\n")
        with self.assertRaises(BadModelFile) as caught:
            self.load(model_dir)
        self.assertEqual(caught.exception.message, "the model's code is not valid Python: invalid syntax")
        self.assertEqual((caught.exception.extra["file"], caught.exception.extra["line"]), (os.path.join(model_dir, "broken.py"), 1))

    def test_a_file_that_never_calls_set_model(self):
        with self.assertRaises(LoadError) as caught:
            self.load(self.save("unset", "x = 1\n"))
        self.assertTrue(caught.exception.message.startswith("If the model is logged as code, ensure the model is set using mlflow.models.set_model()"))


class WhatOnlyMlflowHandles(unittest.TestCase):
    """Signatures the ports do not cover: the registry then loads with MLflow (not run here)."""

    def test_the_reasons(self):
        columns = signature_inputs([("a", "double")])
        cases = [
            ({"is_signature_from_type_hint": True}, {"inputs": columns}, "the signature comes from type hints"),
            ({"metadata": {"mlflow.model.is_external": True}}, {"inputs": columns}, "the model is external"),
            ({}, {"inputs": columns, "params": '[{"name": "k", "type": "long", "default": 1, "shape": null}]'}, "the signature has a params schema"),
            ({}, {"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}, {"type": "double"}]'}, "the signature has a non-scalar input type"),
            ({}, {"inputs": '[{"type": "double", "name": "a"}, {"type": "double"}]'}, "the signature mixes named and unnamed inputs"),
        ]
        for mlmodel, signature, reason in cases:
            with self.subTest(reason=reason):
                with self.assertRaises(NeedsMlflow) as caught:
                    schema_without_mlflow(mlmodel, signature)
                self.assertEqual(str(caught.exception), reason)
        self.assertIsNone(schema_without_mlflow({}, None))


if __name__ == "__main__":
    unittest.main()
