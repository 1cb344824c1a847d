"""The HTTP protocols of `mlf models serve`, one module each, answering the worker's `invoke`
requests: MLflow's /invocations (mlflow.py), Open Inference (v2.py), and batches of /invocations
(batch.py)."""
