import type { PyValue } from '../../model/pyyaml.js';
import type { Signature } from '../../model/signature.js';
import type { PickleScan } from '../../scan/pickle-scan.js';
import type { Pt2Program } from '../../scan/pt2-archive.js';
import type { CaptureRequest } from '../capture.js';
import type { FlavorDefault } from '../infer.js';
import type { InterpreterFacts } from '../interpreter.js';
import type { PackageExample } from '../example.js';

/**
 * What one way of giving a model (`--flavor sklearn --model-file`, `--python-model`,
 * `--loader-module --data`, ...) contributes to `mlf models package`: the parts of MLflow's
 * `mlflow.<flavor>.save_model` that differ between flavors. Everything else (input example,
 * signature, MLmodel's common keys, requirements, conda.yaml, python_env.yaml, publication) is
 * shared, in package-model.ts. A writer never prints; it returns values or throws `MlfError`.
 *
 * Adding a flavor is one file in this folder and one line in index.ts.
 */
export interface FlavorWriter<S extends { kind: string }> {
  kind: S['kind'];
  /**
   * Which MLflow save function the directory follows, which decides where `code/` goes:
   * - `'flavor'`: `mlflow.<flavor>.save_model` (sklearn, xgboost, ...) copies the code paths
   *   first, so they count in `model_size_bytes`, and `python_function.code` is written only
   *   when there is code (`pyfunc.add_to_model` drops a `None`);
   * - `'pyfunc'`: `mlflow.pyfunc.save_model` writes MLmodel (and takes the size) before it copies
   *   the code paths, and writes `python_function.code` always, `null` when there is none.
   */
  layout: 'flavor' | 'pyfunc';
  /** Whether MLflow infers a signature from the input example for this kind of model (not for a loader module). */
  infersSignature: boolean;
  /** False when the flavor's save_model has no `code_paths` (keras): `--code-path` and `--infer-code-paths` are refused. */
  takesCodePaths?: false;
  /** The flavor's own rules for a `--signature` given (keras takes tensor inputs only); throws `MlfError`. */
  checkSignature?(signature: Signature, shown: string): void;
  /** How `--capture` loads the written directory (capture.ts), as the flavor's save_model hands it to `infer_pip_requirements`. */
  capture(source: S): Pick<CaptureRequest, 'kind' | 'loaderModule' | 'modelFile'>;
  /** `--flavor NAME --model-file FILE`: how the command's flags give this kind of model (none for `--python-model`, `--loader-module`). */
  modelFileFlavor?: ModelFileFlavor<S>;
  /**
   * The flavor's rules for the input example, checked before anything is written, for a flavor
   * whose save_model takes a numpy array (pytorch's `pt2`, which MLflow exports from the example
   * and which requires one): the array to save as an `ndarray` example and the signature MLflow
   * would infer. Undefined: the example is a table, as for every other flavor (an array example is
   * then refused).
   */
  arrayExample?(source: S, checked: CheckedSource, example: PackageExample | undefined, context: ArrayExampleContext): ArrayExamplePlan | undefined;
  /** Checks the model's own files before any other work, as MLflow fails before writing anything. */
  validateSource(source: S, cwd: string): CheckedSource;
  /** Where `--infer-code-paths` and the import scan start: the model's own Python files and modules. */
  entryPoints(source: S, checked: CheckedSource, cwd: string): EntryPoints;
  /** The flavor's `get_default_pip_requirements()`, each with the reason `--explain` shows. */
  defaultRequirements(source: S, checked?: CheckedSource): FlavorDefault[];
  /** Writes the model's files into the directory and returns its MLmodel sections. */
  writeArtifacts(source: S, checked: CheckedSource, context: ArtifactContext): Promise<FlavorSections>;
}

export interface ModelFileFlavor<S> {
  /** The `--flavor` value: MLflow's flavor name. */
  name: string;
  /** What `--model-file` is for this flavor, for `--help`. */
  file: string;
  /** The `--serialization-format` values it takes (none: the option is refused), the first the default. */
  serializationFormats?: readonly string[];
  /** What `--help` says the default is, when it is not the first format (pytorch: told by the file's content). */
  serializationFormatDefault?: string;
  /** The `--model-type` values it takes (none: the option is refused): the class the file was saved from, which MLflow records and the file does not. */
  modelTypes?: readonly string[];
  /** The `--model-type` taken when none is given; none: the option is required. */
  defaultModelType?: string;
  source(modelFile: string, flags: ModelFileFlags): S;
}

/** The flags that say how `--model-file` was written, as given. */
export interface ModelFileFlags {
  serializationFormat?: string | undefined;
  modelType?: string | undefined;
}

/** A source whose files exist and are readable. */
export interface CheckedSource {
  /** The model file or data path, absolute. */
  path: string;
  /** A pickled model's static scan (no code runs); its modules are requirements and code-path entry points. */
  pickle?: { scan: PickleScan; shown: string };
  /** A `torch.export` program's inputs and outputs, read from its PT2 archive (no code runs). */
  pt2?: Pt2Program;
}

export interface ArrayExampleContext {
  /** `--input-example` as given, for messages. */
  shown: string | undefined;
  /** `--signature`, read. */
  signature: Signature | undefined;
  /** `--signature` as given. */
  signatureShown: string | undefined;
  noSignature: boolean;
}

export interface ArrayExamplePlan {
  /** input_example.json's value (`_handle_ndarray_input`'s nested lists). */
  data: PyValue;
  /** `--signature`, or the one MLflow infers from the example and the model's output; none under `--no-signature`. */
  signature: Signature | undefined;
  /** What the user should know (a program that takes one batch size only). */
  warnings: { code: string; message: string }[];
}

export interface EntryPoints {
  /** Python files whose imports are the model's (a models-from-code file, a local loader module). */
  files: string[];
  /** Modules `--infer-code-paths` follows (a loader module, a pickle's globals). */
  modules: string[];
}

export interface ArtifactContext {
  /** The model directory being written. */
  dir: string;
  cwd: string;
  facts: InterpreterFacts;
  /** `--python` as given, for messages. */
  python: string;
  /** Whether `code/` holds code paths (flavor sections write `code: code` or `code: null`). */
  hasCode: boolean;
  /** The environment `--python` runs in (keras reads its backend from it). */
  env: Record<string, string | undefined>;
}

export type MlmodelSection = Record<string, PyValue>;

export interface FlavorSections {
  /**
   * This model's keys of MLmodel's `python_function` section (`loader_module`, `data` or
   * `model_path`, flavor extras); `python_version`, `env` and `code` are added by the caller.
   */
  pyfunc: MlmodelSection;
  /** The flavor's own section, under its name in `flavors`; none for a pyfunc-only model. */
  flavor?: { name: string; section: MlmodelSection };
}
