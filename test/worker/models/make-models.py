"""Saves the small models test/worker/worker.test.ts runs through the real worker.

usage: python make-models.py OUT_DIR   (needs mlflow, scikit-learn, pandas)
"""

import os
import sys
import textwrap

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def code_model(name, source, **kwargs):
    path = os.path.join(out, name + ".py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(source))
    mlflow.pyfunc.save_model(os.path.join(out, name), python_model=path, **kwargs)


# An iris classifier, pickled as cloudpickle (the fast path unpickles it without mlflow).
X, y = load_iris(return_X_y=True, as_frame=True)
classifier = LogisticRegression(max_iter=500).fit(X, y)
mlflow.sklearn.save_model(classifier, os.path.join(out, "iris"), serialization_format="cloudpickle", input_example=X.head(3), pip_requirements=["scikit-learn", "cloudpickle"])

# Returns its input after schema enforcement, so the enforced dtypes are visible; prints to stdout.
typed = pd.DataFrame(
    {
        "i": np.array([1, 2], dtype=np.int32),
        "l": [1, 2],
        "f": np.array([1.5, 2.5], dtype=np.float32),
        "d": [1.5, 2.5],
        "s": ["a", "b"],
        "b": [True, False],
    }
)
code_model(
    "echo",
    '''
    from mlflow.models import set_model

    def echo(model_input):
        print("model says hi on stdout")
        return model_input.assign(dtypes=[",".join(str(t) for t in model_input.dtypes)] * len(model_input))

    set_model(echo)
    ''',
    input_example=typed,
    pip_requirements=["pandas"],
)

# An LLM-style model (the input dict is the data); a long column makes unsafe conversions visible.
code_model(
    "chat",
    '''
    import mlflow

    def reply(model_input):
        return {"text": str(model_input["prompt"][0]) * int(model_input["n"][0])}

    mlflow.models.set_model(reply)
    ''',
    signature=ModelSignature(inputs=Schema([ColSpec("string", "prompt"), ColSpec("long", "n")])),
    pip_requirements=["pandas"],
)

# Non-finite floats in the output, written as Python's json writes them.
code_model(
    "nonfinite",
    '''
    from mlflow.models import set_model
    import numpy as np

    def f(model_input):
        return np.array([float("nan"), 1.0, np.inf, -np.inf])[: len(model_input)]

    set_model(f)
    ''',
    input_example=pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]}),
    pip_requirements=["pandas"],
)

# Imports a module that is not installed, at predict time.
code_model(
    "missing",
    '''
    from mlflow.models import set_model

    def f(model_input):
        import mlf_surely_absent_pkg.sub
        return [1]

    set_model(f)
    ''',
    input_example=pd.DataFrame({"a": [1.0]}),
    pip_requirements=["pandas"],
)

# Uses mlflow beyond set_model: the worker must load it through mlflow.
code_model(
    "uses-mlflow",
    '''
    import mlflow
    import mlflow.pyfunc

    def f(model_input):
        return [mlflow.__name__] * len(model_input)

    mlflow.models.set_model(f)
    ''',
    input_example=pd.DataFrame({"a": [1.0]}),
    pip_requirements=["pandas"],
)
# Returns what no JSON encoder can write.
code_model(
    "unencodable",
    '''
    from mlflow.models import set_model

    def f(model_input):
        return [object()] * len(model_input)

    set_model(f)
    ''',
    input_example=pd.DataFrame({"a": [1.0]}),
    pip_requirements=["pandas"],
)
print("saved")
