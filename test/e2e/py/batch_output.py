"""Reads a batch-predict output directory for test/e2e/batch-predict.test.ts and bench/batch.mjs.

    python batch_output.py FORMAT OUTPUT_DIR INPUT_FILE [RESULT_COLUMN]

Prints one JSON object: the output's columns, its row count, whether its input columns equal the
input file's rows in order (`input_kept`), the parts it read, and the result column's values (or,
with --digest, their SHA-256 over the JSON list, for outputs too large to print).
"""

import glob
import hashlib
import json
import os
import sys

import pandas as pd


def read(fmt, path):
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "csv":
        return pd.read_csv(path)
    return pd.read_json(path, lines=True, dtype=False)


def main(argv):
    digest = "--digest" in argv
    argv = [a for a in argv if a != "--digest"]
    fmt, output_dir, input_file = argv[:3]
    result_column = argv[3] if len(argv) > 3 else "prediction"
    parts = sorted(glob.glob(os.path.join(output_dir, "part-*." + fmt)))
    output = pd.concat([read(fmt, part) for part in parts], ignore_index=True) if parts else pd.DataFrame()
    source = read(fmt, input_file)
    kept = list(output.columns[: source.shape[1]]) == list(source.columns) and output.shape[0] == source.shape[0]
    if kept:
        kept = bool(output.iloc[:, : source.shape[1]].reset_index(drop=True).equals(source.reset_index(drop=True)))
    values = output[result_column].tolist() if result_column in output.columns else []
    report = {"columns": [str(c) for c in output.columns], "rows": int(output.shape[0]), "input_kept": kept, "parts": [os.path.basename(p) for p in parts]}
    if digest:
        report["digest"] = hashlib.sha256(json.dumps(values).encode()).hexdigest()
    else:
        report["values"] = values
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
