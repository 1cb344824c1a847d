"""Runs `mlflow models predict` (MLflow's own click command) for many cases in one process.

Each case is the argument list after `mlflow models`, e.g. ["predict", "-m", ..., "-o", out].
Importing mlflow takes seconds; one process for all cases keeps the e2e reference cheap while
still going through MLflow's CLI code path.

stdin: JSON [[str, ...], ...]; stdout: JSON [{"exit_code": int, "output": str}] in order.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
from click.testing import CliRunner  # noqa: E402
from mlflow.models.cli import commands  # noqa: E402

runner = CliRunner()
results = []
for args in json.load(sys.stdin):
    result = runner.invoke(commands, args, catch_exceptions=True)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    results.append({"exit_code": result.exit_code, "output": output})
json.dump(results, sys.stdout)
