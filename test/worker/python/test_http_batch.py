"""http/batch.py: an invoke_batch's replies are, item for item, byte-identical to what each item
alone gets (the loop's single `invoke`, mlflow left out), on the fixture models the worker loads without mlflow (fixtures/models/
sklearn-iris and models-from-code) and on stand-in models for the cases that cannot be combined."""

import json
import os
import sys
import unittest

import package_path
from package_path import IRIS_COLUMNS, IRIS_ROWS, CapturedLogs, Channel

from mlf_worker.http import batch
from mlf_worker.http.mlflow import MlflowServing
from mlf_worker.loop import invoke, run
from mlf_worker.model_dir import read_mlmodel
from mlf_worker.runtimes.registry import load_runtime
from mlf_worker.runtimes.without_mlflow import WithoutMlflowRuntime

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(package_path.__file__), "..", "..", "..", "fixtures"))
JSON = "application/json"
CSV = "text/csv"


def invoke_one(runtime, one):
    """What the item alone gets: the loop's `invoke`, with mlflow left out (model_dir None), its
    HTTP fields as a batch reply carries them."""
    return batch.http_fields(invoke(MlflowServing(runtime, None), one))


def invoke_batch(runtime, request, single=None):
    """http/batch.py's invoke_batch with the single path the loop gives it."""
    if single is None:
        serving = MlflowServing(runtime, None)
        single = lambda one: invoke(serving, one)  # noqa: E731
    return batch.invoke_batch(runtime, request, single)


def item(body, content_type=JSON):
    return {"protocol": "mlflow", "path": "/invocations", "content_type": content_type, "body": body}


def split(columns, rows, **extra):
    return item(json.dumps(dict({"dataframe_split": {"columns": columns, "data": rows}}, **extra)))


def records(columns, rows):
    return item(json.dumps({"dataframe_records": [dict(zip(columns, row)) for row in rows]}))


def csv(columns, rows):
    lines = [",".join(columns)] + [",".join(str(v) for v in row) for row in rows]
    return item("\n".join(lines) + "\n", CSV)


def load_fixture(name):
    model_dir = os.path.join(FIXTURES, "models", name)
    runtime, _ = load_runtime(model_dir, "auto", read_mlmodel(model_dir))
    return runtime


def iris_corpus():
    """Good and bad /invocations requests for the iris model, in an order that mixes them."""
    cols = IRIS_COLUMNS
    return [
        split(cols, IRIS_ROWS),
        split(cols[:3], [r[:3] for r in IRIS_ROWS[:2]]),  # a missing column: schema enforcement fails
        records(cols, IRIS_ROWS[1:3]),
        item('{"dataframe_split": {"columns": ["x"], "data": [[1.0]]\n'),  # not JSON
        csv(cols, IRIS_ROWS[:1]),
        item(json.dumps({"dataframe_split": {"columns": cols, "data": IRIS_ROWS}}), "application/xml"),  # 415
        item(json.dumps({"dataframe_split": {"columns": cols, "data": IRIS_ROWS}}), JSON + "; charset=latin-1"),  # 415
        split(cols, [["a", 1.0, 1.0, 1.0]]),  # not a number: the cast fails while parsing
        item(json.dumps({"inputs": {c: [r[i] for r in IRIS_ROWS] for i, c in enumerate(cols)}})),
        item(json.dumps({"instances": [dict(zip(cols, r)) for r in IRIS_ROWS[2:]]})),
        split(cols, IRIS_ROWS[3:], params={"k": 1}),
        item("[1, 2]"),  # a list
        split(cols, [[float(v) for v in r] for r in reversed(IRIS_ROWS)]),
        item(json.dumps({"dataframe_split": {"columns": cols, "data": IRIS_ROWS}, "instances": []})),  # two keys
    ]


class StandIn(WithoutMlflowRuntime):
    """A model without a schema whose predict is `fn`, counting its calls' row counts."""

    name = "stand-in"

    def __init__(self, fn):
        super().__init__(self.call, None)
        self.fn = fn
        self.calls = []

    def call(self, data):
        self.calls.append(len(data))
        return self.fn(data)


class BatchTestCase(unittest.TestCase):
    def tearDown(self):
        self.assertNotIn("mlflow", sys.modules)

    def assert_batch_equals_singles(self, runtime, items):
        with CapturedLogs() as single_logs:
            singles = [invoke_one(runtime, i) for i in items]
        with CapturedLogs() as batch_logs:
            reply = invoke_batch(runtime, {"id": 1, "type": "invoke_batch", "items": items})
        # The same warnings (ignored params), one per item that has them.
        self.assertEqual(sorted(batch_logs), sorted(single_logs))
        self.assertEqual(reply["type"], "http_batch")
        self.assertEqual(len(reply["replies"]), len(items))
        for n, (batched, single) in enumerate(zip(reply["replies"], singles)):
            self.assertEqual(batched, single, "item {}".format(n))
        return reply, singles


class FixtureModels(BatchTestCase):
    def test_iris_every_reply_equals_the_single_one_and_the_good_frames_are_predicted_together(self):
        runtime = load_fixture("sklearn-iris")
        reply, singles = self.assert_batch_equals_singles(runtime, iris_corpus())
        self.assertEqual([s["status"] for s in singles], [200, 400, 200, 400, 200, 415, 415, 400, 200, 200, 200, 400, 200, 400])
        self.assertEqual(singles[0], {"status": 200, "content_type": JSON, "body": '{"predictions": [0, 1, 2, 2]}'})
        self.assertEqual(singles[2]["body"], '{"predictions": [1, 2]}')
        self.assertEqual(singles[4]["body"], '{"predictions": [0]}')
        self.assertEqual(singles[12]["body"], '{"predictions": [2, 2, 1, 0]}')
        # Item 10 has params: a group of its own (one item, predicted alone). Items 0, 2, 4 (CSV:
        # no params), 8, 9 and 12 share columns and dtypes: 4 + 2 + 1 + 4 + 2 + 4 rows in one predict.
        self.assertEqual(reply["batched_rows"], 17)

    def test_the_schema_failure_is_that_requests_own_400_in_mlflows_words(self):
        runtime = load_fixture("sklearn-iris")
        corpus = iris_corpus()
        reply = invoke_batch(runtime, {"items": [corpus[0], corpus[1], corpus[2]]})
        bad = reply["replies"][1]
        self.assertEqual(bad["status"], 400)
        body = json.loads(bad["body"])
        self.assertEqual(body["error_code"], "INVALID_PARAMETER_VALUE")
        self.assertTrue(body["message"].startswith("Failed to predict data '"), body["message"])
        self.assertIn("petal width (cm)", body["message"])
        self.assertEqual(reply["replies"][0]["body"], '{"predictions": [0, 1, 2, 2]}')
        self.assertEqual(reply["replies"][2]["body"], '{"predictions": [1, 2]}')
        self.assertEqual(reply["batched_rows"], 6)

    def test_the_415s_are_mlflows_text(self):
        corpus = iris_corpus()
        runtime = load_fixture("sklearn-iris")
        self.assertEqual(
            invoke_one(runtime, corpus[5]),
            {
                "status": 415,
                "content_type": "text/plain",
                "body": "This predictor only supports the following content types: Types: "
                "['text/csv', 'application/json', 'application/vnd.apache.parquet']. Got 'application/xml'.",
            },
        )
        self.assertEqual(invoke_one(runtime, corpus[6])["body"], "The scoring server only supports UTF-8")

    def test_models_from_code_every_reply_equals_the_single_one(self):
        runtime = load_fixture("models-from-code")
        rows = [[1.0, 0.25], [2.5, 0.0], [-4.0, 8.0]]
        items = [
            split(["a", "b"], rows),
            split(["a"], [[1.0]]),  # b missing
            records(["a", "b"], rows[:1]),
            csv(["a", "b"], rows[1:]),
            split(["a", "b"], [[1, 2]]),  # integers: cast to double by the schema
            item(json.dumps({"inputs": {"a": [0.5], "b": [0.5]}})),
        ]
        reply, singles = self.assert_batch_equals_singles(runtime, items)
        self.assertEqual([s["status"] for s in singles], [200, 400, 200, 200, 200, 200])
        self.assertEqual(singles[0]["body"], '{"predictions": [2.25, 5.0, 0.0]}')
        self.assertEqual(singles[4]["body"], '{"predictions": [4.0]}')
        self.assertEqual(reply["batched_rows"], 3 + 1 + 2 + 1 + 1)

    def test_through_the_loop_an_invoke_batch_request_gets_one_http_batch_reply_with_its_id(self):
        runtime = load_fixture("sklearn-iris")
        corpus = iris_corpus()[:2]
        channel = Channel({"id": 7, "type": "invoke_batch", "items": corpus})
        run(channel, runtime)
        sent = channel.sent
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["id"], 7)
        self.assertEqual(sent[0]["ok"], True)
        self.assertEqual(sent[0]["type"], "http_batch")
        self.assertEqual([r["status"] for r in sent[0]["replies"]], [200, 400])
        self.assertEqual(sent[0]["batched_rows"], 0)  # one good frame: predicted alone

    def test_items_must_be_a_list_of_mlflow_invocations(self):
        from mlf_worker.errors import BadRequest

        runtime = load_fixture("sklearn-iris")
        with self.assertRaises(BadRequest):
            invoke_batch(runtime, {"items": "x"})
        with self.assertRaisesRegex(BadRequest, "MLflow /invocations"):
            invoke_batch(runtime, {"items": [dict(split(IRIS_COLUMNS, IRIS_ROWS), protocol="v2")]})

    def test_what_is_not_combined_is_answered_by_the_single_invoke_verbatim(self):
        runtime = load_fixture("sklearn-iris")
        corpus = iris_corpus()
        asked = []

        def single(one):
            asked.append(corpus.index(one))
            return dict(invoke_one(runtime, one), ok=True, type="http", timings={"parse_ms": 1})

        with CapturedLogs():
            reply = invoke_batch(runtime, {"items": corpus}, single=single)
            expected = [invoke_one(runtime, one) for one in corpus]
        # The bad requests, and item 10 (params of its own: a group of one); never the combined ones.
        self.assertEqual(sorted(asked), [1, 3, 5, 6, 7, 10, 11, 13])
        self.assertEqual(reply["replies"], expected)
        self.assertEqual(reply["batched_rows"], 17)


class RandomMixes(BatchTestCase):
    def test_seeded_random_mixes_of_good_and_bad_requests_equal_their_single_replies(self):
        import random

        rng = random.Random(11)
        runtime = load_fixture("sklearn-iris")
        cols = IRIS_COLUMNS

        def rows(n):
            return [[round(rng.uniform(0.1, 8.0), rng.choice((0, 1, 2))) for _ in cols] for _ in range(n)]

        makers = [
            lambda: split(cols, rows(rng.randint(1, 6))),
            lambda: records(cols, rows(rng.randint(1, 4))),
            lambda: csv(cols, rows(rng.randint(1, 4))),
            lambda: item(json.dumps({"instances": [dict(zip(cols, r)) for r in rows(rng.randint(1, 3))]})),
            lambda: split(cols, [[int(v) for v in r] for r in rows(2)]),  # integers for doubles
            lambda: split(rng.sample(cols, 3), rows(2)),  # a column short: schema failure
            lambda: split(cols, [["x"] + r[1:] for r in rows(1)]),  # not a number
            lambda: item("{" + json.dumps({"dataframe_split": {"columns": cols, "data": rows(1)}})),  # not JSON
            lambda: split(cols, rows(2), params={"p": rng.randint(0, 1)}),
        ]
        combined = statuses = 0
        for _ in range(25):
            items = [rng.choice(makers)() for _ in range(rng.randint(2, 12))]
            reply, singles = self.assert_batch_equals_singles(runtime, items)
            combined += reply["batched_rows"]
            statuses |= {200: 1, 400: 2}[singles[0]["status"]]
        # Both kinds came up, and rows were predicted together.
        self.assertEqual(statuses, 3)
        self.assertGreater(combined, 50)


def frames(*sizes):
    return [split(["x"], [[float(n + i)] for i in range(size)]) for n, size in enumerate(sizes)]


class Fallbacks(BatchTestCase):
    def test_a_per_row_output_is_predicted_once_and_split_back(self):
        runtime = StandIn(lambda df: (df["x"] * 10).to_numpy())
        reply, _ = self.assert_batch_equals_singles(runtime, frames(2, 1, 3))
        self.assertEqual(runtime.calls[-1:], [6])
        self.assertEqual(reply["batched_rows"], 6)
        self.assertEqual(reply["replies"][1]["body"], '{"predictions": [10.0]}')

    def test_series_dataframe_and_list_outputs_split_by_rows(self):
        import pandas as pd

        for fn in (
            lambda df: df["x"] + 1,
            lambda df: pd.DataFrame({"y": df["x"] * 2, "z": df["x"]}),
            lambda df: [float(v) for v in df["x"]],
        ):
            runtime = StandIn(fn)
            reply, _ = self.assert_batch_equals_singles(runtime, frames(2, 3))
            self.assertEqual(runtime.calls[-1], 5)
            self.assertEqual(reply["batched_rows"], 5)

    def test_a_scalar_a_dict_or_a_wrong_length_falls_back_to_one_by_one(self):
        for fn in (
            lambda df: float(df["x"].sum()),
            lambda df: {"n": len(df)},
            lambda df: df["x"].to_numpy()[:1],
            lambda df: "text",
        ):
            runtime = StandIn(fn)
            reply, singles = self.assert_batch_equals_singles(runtime, frames(2, 3))
            self.assertEqual(reply["batched_rows"], 0)
            # invoke_one twice, then the combined call (5 rows) and each item alone again.
            self.assertEqual(runtime.calls, [2, 3, 5, 2, 3])

    def test_a_model_exception_on_the_combined_frame_gives_each_item_its_own_answer(self):
        def fails_on_many_rows(df):
            if len(df) > 2:
                raise ValueError("too many rows")
            return df["x"].to_numpy()

        runtime = StandIn(fails_on_many_rows)
        reply, singles = self.assert_batch_equals_singles(runtime, frames(1, 2, 3))
        self.assertEqual([s["status"] for s in singles], [200, 200, 400])
        body = json.loads(singles[2]["body"])
        self.assertEqual(body["error_code"], "BAD_REQUEST")
        self.assertTrue(body["message"].startswith("Encountered an unexpected error while evaluating the model."))
        self.assertIn("ValueError: too many rows", body["stack_trace"])
        self.assertEqual(reply["batched_rows"], 0)

    def test_items_with_different_params_or_columns_or_dtypes_are_not_combined(self):
        runtime = StandIn(lambda df: df.iloc[:, 0].to_numpy())
        items = [
            split(["x"], [[1.0]], params={"a": 1}),
            split(["x"], [[2.0]], params={"a": 2}),
            split(["y"], [[3.0]]),
            split(["x"], [[4]]),  # int64, not float64
            split(["x"], [[5.0]]),
        ]
        reply, _ = self.assert_batch_equals_singles(runtime, items)
        self.assertEqual(reply["batched_rows"], 0)
        items.append(split(["x"], [[6.0], [7.0]]))
        items.append(split(["x"], [[8.0]], params={"a": 1}))
        reply, _ = self.assert_batch_equals_singles(runtime, items)
        self.assertEqual(reply["batched_rows"], 1 + 2 + 1 + 1)

    def test_tensor_inputs_and_a_custom_index_are_predicted_alone(self):
        import numpy as np

        runtime = StandIn(lambda data: np.asarray(data["x"] if isinstance(data, dict) else data.iloc[:, 0]) * 1.0)
        items = [
            item(json.dumps({"inputs": {"x": [1.0, 2.0]}})),
            item(json.dumps({"dataframe_split": {"columns": ["x"], "index": [5, 6], "data": [[1.0], [2.0]]}})),
            split(["x"], [[3.0]]),
        ]
        reply, singles = self.assert_batch_equals_singles(runtime, items)
        self.assertEqual([s["status"] for s in singles], [200, 200, 200])
        self.assertEqual(reply["batched_rows"], 0)

    def test_the_order_of_replies_is_the_order_of_items(self):
        runtime = StandIn(lambda df: df["x"].to_numpy())
        items = [split(["x"], [[float(n)]]) if n % 2 else item("nope") for n in range(8)]
        reply, _ = self.assert_batch_equals_singles(runtime, items)
        self.assertEqual(
            [r["body"] if r["status"] == 200 else r["status"] for r in reply["replies"]],
            [400, '{"predictions": [1.0]}', 400, '{"predictions": [3.0]}', 400, '{"predictions": [5.0]}', 400, '{"predictions": [7.0]}'],
        )
        self.assertEqual(reply["batched_rows"], 4)


if __name__ == "__main__":
    unittest.main()
