"""HTTP-level requests of protocol 4 (`invoke`): a whole HTTP request in, a whole HTTP response out.
mlflow.py is MLflow's scoring protocol (POST /invocations); v2.py and batch.py come beside it."""
