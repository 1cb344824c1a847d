"""Writes a batch-predict input of the iris fixture's columns plus an `id` column, for
test/e2e/batch-predict.test.ts and bench/batch.mjs:

    python batch_input.py DIR ROWS ROW_GROUP_ROWS [FORMATS]

DIR/in.parquet (row groups of ROW_GROUP_ROWS rows), DIR/in.csv and DIR/in.json (JSON lines), for
the comma-separated FORMATS (default all three); values drawn with a fixed seed, written a row
group at a time (a 10,000,000-row input is never one frame in memory)."""

import os
import sys

import numpy as np
import pandas as pd

COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def chunks(rows, size):
    rng = np.random.default_rng(15)
    for start in range(0, rows, size):
        n = min(size, rows - start)
        frame = pd.DataFrame(rng.uniform(0.1, 8.0, (n, len(COLUMNS))).round(1), columns=COLUMNS)
        frame.insert(0, "id", np.arange(start, start + n, dtype=np.int64))
        yield frame


def main(directory, rows, group, formats):
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    csv = open(os.path.join(directory, "in.csv"), "w", newline="") if "csv" in formats else None
    jsonl = open(os.path.join(directory, "in.json"), "w") if "json" in formats else None
    for at, frame in enumerate(chunks(rows, group)):
        if "parquet" in formats:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(os.path.join(directory, "in.parquet"), table.schema)
            writer.write_table(table, row_group_size=group)
        if csv is not None:
            frame.to_csv(csv, header=at == 0, index=False, lineterminator="\n")
        if jsonl is not None:
            text = frame.to_json(orient="records", lines=True)
            jsonl.write(text if text.endswith("\n") else text + "\n")
    if writer is not None:
        writer.close()
    for f in (csv, jsonl):
        if f is not None:
            f.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), (sys.argv[4] if len(sys.argv) > 4 else "parquet,csv,json").split(","))
