import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ENV } from '../config/env-vars.js';
import { isToolError, runTool } from '../env/exec.js';

/**
 * `--capture`: load the model and predict on its input example inside `--python`, recording
 * every module imported meanwhile, as MLflow's `_capture_imported_modules` does
 * (mlflow-format.md §3): hooks on `builtins.__import__` (absolute imports) and
 * `importlib.import_module`, top-level names, `_private` names and bare `databricks` skipped,
 * `mlflow.gateway` kept at the second level. A pyfunc model is loaded from its directory with
 * `mlflow.pyfunc.load_model`, the hooks active only inside the loader module's `_load_pyfunc`
 * and the predict on the example; a model handed over as its file (sklearn) is loaded with its
 * loader's `_load_pyfunc` on the file, without predicting, as MLflow does.
 *
 * The same run predicts on the example to infer the output schema (MLflow's signature
 * inference does this while saving), using the target MLflow's own schema inference.
 */

export const CAPTURE_SCRIPT = String.raw`
import builtins, functools, importlib, json, os, sys, traceback

args = json.loads(sys.argv[1])
recorded = set()
failed = set()

def key(name):
    if not name or name.startswith("_") or name == "databricks":
        return None
    parts = name.split(".")
    if parts[0] == "mlflow" and ".".join(parts[:2]) == "mlflow.gateway":
        return "mlflow.gateway"
    return parts[0]

def attempt(name, do_import):
    # Recorded like MLflow's hook; an import that raises (an optional dependency that is not
    # installed) is kept apart, since the model loaded without it.
    k = key(name)
    try:
        result = do_import()
    except ImportError:
        if k:
            failed.add(k)
        raise
    if k:
        recorded.add(k)
    return result

class Capture:
    def __enter__(self):
        self.import_ = builtins.__import__
        self.import_module = importlib.import_module
        original_import, original_import_module = self.import_, self.import_module

        @functools.wraps(original_import)
        def hooked_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level != 0:
                return original_import(name, globals, locals, fromlist, level)
            return attempt(name, lambda: original_import(name, globals, locals, fromlist, level))

        @functools.wraps(original_import_module)
        def hooked_import_module(name, *a, **k):
            return attempt(name, lambda: original_import_module(name, *a, **k))

        builtins.__import__ = hooked_import
        importlib.import_module = hooked_import_module
        return self

    def __exit__(self, *exc):
        builtins.__import__ = self.import_
        importlib.import_module = self.import_module

result = {"modules": [], "failed_imports": [], "predict_error": None, "output_schema": None, "output_schema_error": None}

import mlflow
from mlflow.models import Model

model_dir = args["model_dir"]
mlflow_model = Model.load(model_dir)
example = mlflow_model.load_input_example(model_dir)
params = mlflow_model.load_input_example_params(model_dir)
prediction = {}

def predict(model):
    try:
        prediction["value"] = model.predict(example, params=params) if params else model.predict(example)
    except Exception:
        result["predict_error"] = traceback.format_exc()

if args["kind"] == "file":
    # MLflow's capture process has imported these before it starts recording
    # (mlflow/utils/_capture_modules.py's imports, and mlflow.spark for its flavor check); the
    # loader module itself is imported while recording, so that its own imports count.
    import mlflow.pyfunc, mlflow.spark, mlflow.utils._spark_utils, mlflow.utils.exception_utils, mlflow.utils.file_utils, mlflow.utils.requirements_utils
    with Capture():
        loader = importlib.import_module(args["loader_module"])
        loaded = loader._load_pyfunc(os.path.join(model_dir, args["model_file"]))
    if example is not None:
        predict(loaded)
else:
    conf = mlflow_model.flavors["python_function"]
    loader = importlib.import_module(conf["loader_module"]) if conf.get("code") is None else None
    if loader is None:
        sys.path.insert(0, os.path.join(model_dir, conf["code"]))
        loader = importlib.import_module(conf["loader_module"])
        sys.path.pop(0)
    original = loader._load_pyfunc

    @functools.wraps(original)
    def patched(*a, **k):
        with Capture():
            model = original(*a, **k)
            if example is not None:
                predict(model)
        return model

    loader._load_pyfunc = patched
    try:
        mlflow.pyfunc.load_model(model_dir)
    finally:
        loader._load_pyfunc = original

if "value" in prediction and args.get("infer_output_schema"):
    try:
        import numpy as np
        import pandas as pd
        from mlflow.types.utils import _infer_schema
        value = prediction["value"]
        if isinstance(example, pd.DataFrame) and isinstance(value, np.ndarray) and value.ndim == 1:
            value = pd.Series(value)
        result["output_schema"] = _infer_schema(value).to_json()
    except Exception:
        result["output_schema_error"] = traceback.format_exc()

result["modules"] = sorted(recorded)
result["failed_imports"] = sorted(failed - recorded)
with open(args["output_file"], "w") as f:
    json.dump(result, f)
`;

export interface CaptureRequest {
  python: string;
  /** The model directory as written so far (MLmodel, the model file, code/, the example). */
  modelDir: string;
  /**
   * How MLflow's `infer_pip_requirements` is handed the model (mlflow/utils/_capture_modules.py):
   * `file`: the model file, loaded with `<loaderModule>._load_pyfunc(file)` and not predicted on
   * (mlflow.sklearn passes its pickle); `pyfunc`: the directory, loaded with
   * `mlflow.pyfunc.load_model` and predicted on (every other flavor passes the directory).
   */
  kind: 'file' | 'pyfunc';
  /** `file`: the loader module and the model file's name in the directory. */
  loaderModule?: string;
  modelFile?: string;
  inferOutputSchema: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
}

export interface CaptureResult {
  modules: string[];
  /** Imports that raised ImportError (optional dependencies not installed): the model loaded without them. */
  failedImports: string[];
  /** "Failed to run predict on input_example" when the predict raised: its traceback. */
  predictError?: string;
  /** The output schema JSON (`Schema.to_json()`), when asked and the predict succeeded. */
  outputSchema?: string;
  outputSchemaError?: string;
}

export class CaptureFailure extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

/** Runs the capture; throws CaptureFailure when the model cannot be loaded (the caller warns and goes on). */
export async function captureImportedModules(request: CaptureRequest): Promise<CaptureResult> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'mlf-capture-'));
  const outputFile = path.join(scratch, 'capture.json');
  try {
    const args = JSON.stringify({
      model_dir: request.modelDir,
      kind: request.kind,
      loader_module: request.loaderModule,
      model_file: request.modelFile,
      output_file: outputFile,
      infer_output_schema: request.inferOutputSchema,
    });
    try {
      await runTool('python', request.python, ['-c', CAPTURE_SCRIPT, args], {
        cwd: request.cwd,
        env: { ...request.env, [ENV._MLFLOW_IN_CAPTURE_MODULE_PROCESS]: 'true' },
        timeoutMs: request.timeoutMs,
      });
    } catch (error) {
      if (isToolError(error)) {
        const how = error.timedOut ? `timed out after ${Math.round(request.timeoutMs / 1000)}s` : 'failed';
        throw new CaptureFailure(`loading the model in \`${request.python}\` ${how}`, error.stderrTail);
      }
      throw error;
    }
    const raw = JSON.parse(await readFile(outputFile, 'utf8')) as {
      modules: string[];
      failed_imports: string[];
      predict_error: string | null;
      output_schema: string | null;
      output_schema_error: string | null;
    };
    return {
      modules: raw.modules,
      failedImports: raw.failed_imports,
      ...(raw.predict_error ? { predictError: raw.predict_error } : {}),
      ...(raw.output_schema ? { outputSchema: raw.output_schema } : {}),
      ...(raw.output_schema_error ? { outputSchemaError: raw.output_schema_error } : {}),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
