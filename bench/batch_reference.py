"""bench/batch.mjs's reference side, with the MLflow test Python:

    python bench/batch_reference.py MODEL_DIR INPUT.parquet

MLflow's own in-process, Spark-free path: mlflow.pyfunc.load_model once, then predict on each row
group of the Parquet input (read with pyarrow), the predictions concatenated. Prints one JSON
object: rows, load and scoring seconds, and the SHA-256 of the predictions as a JSON list (the
digest test/e2e/py/batch_output.py computes for mlf's output)."""

import hashlib
import json
import sys
import time


def main(model_dir, input_path):
    started = time.perf_counter()
    import mlflow.pyfunc
    import pyarrow.parquet as pq

    model = mlflow.pyfunc.load_model(model_dir)
    loaded = time.perf_counter()
    source = pq.ParquetFile(input_path)
    values = []
    for group in range(source.num_row_groups):
        frame = source.read_row_group(group).to_pandas()
        values.extend(model.predict(frame).tolist())
    done = time.perf_counter()
    print(json.dumps({"rows": len(values), "load_s": loaded - started, "score_s": done - loaded, "digest": hashlib.sha256(json.dumps(values).encode()).hexdigest()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
