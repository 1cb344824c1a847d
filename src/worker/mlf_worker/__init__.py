"""mlf's model worker: loads one MLflow model directory and answers predict requests.

Started by mlf (src/worker/worker-client.ts) with the model environment's interpreter, through the
launcher beside this package (worker.py, which lets Python cache the package's bytecode); it speaks
newline-delimited JSON on a private copy of stdout (protocol.py). Python 3.8+ syntax; imports only
the standard library until the model's needs are known, and each module only when a request needs
it.

  main.py        arguments, the channel, the load, then the loop; quick_exit.py ends the process
  protocol.py    framing, hello / ready, error replies (errors.py: the kinds); logs.py: `log`
  loop.py        reads requests and dispatches them to the loaded runtime
  model_dir.py   MLmodel as MLflow reads it; which load failures are a damaged model file
  runtimes/      base.py the interface; registry.py picks one; mlflow.py (mlflow.pyfunc itself),
                 sklearn.py and code_model.py (without importing mlflow, on without_mlflow.py)
  scoring/       ports of MLflow's scoring code: parse.py, schema.py, encode.py, signature.py
  cache/skops.py the skops transcoding cache

Two kinds of runtime give the same predictions (the tests compare them with `mlflow models
predict`): MLflow itself, and runtimes that skip importing mlflow (seconds of start-up), used only
where mlf's ports cover the model completely (scalar column signatures, no params schema, no
type-hint signatures). Anything else goes to MLflow.
"""
