"""The worker's HTTP-facing requests (protocol 4): MLflow's /invocations (mlflow.py), Open Inference
(v2.py) and batches of either (batch.py)."""
