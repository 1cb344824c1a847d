"""Launcher of the PySpark job of `mlf models batch-predict --engine spark` (mlf_worker/spark_job.py).

spark-submit runs a script, not a module: Python puts this script's directory, mlf's worker
directory, first on sys.path, so the driver imports mlf_worker from beside it.
"""
import sys

if __name__ == "__main__":
    sys.dont_write_bytecode = True
    from mlf_worker.spark_job import main

    sys.exit(main())
