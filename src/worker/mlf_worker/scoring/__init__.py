"""mlf's ports of MLflow's scoring code (input parsing, schema enforcement, output encoding), used
by the runtimes that load a model without importing mlflow. Each module names what it follows."""
