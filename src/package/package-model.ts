import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError, isMlfError, usageError } from '../errors.js';
import { ENV } from '../config/env-vars.js';
import { readRegularFileSync, readRegularTextSync } from '../fs/read-regular-file.js';
import {
  condaEnvPipList,
  finalPipList,
  mergePipRequirements,
  type MergedPipRequirements,
  type RequirementsArgument,
} from '../deps/merge.js';
import { canonicalizeName, tryParseRequirement } from '../deps/pep508.js';
import { buildCondaEnv, parseCondaEnv, serializeCondaEnv, withPipDependencies, getPipDependencies } from '../model/conda-env.js';
import {
  CODE_DIR_NAME,
  CONDA_ENV_FILE_NAME,
  CONSTRAINTS_FILE_NAME,
  MLMODEL_FILE_NAME,
  PYTHON_ENV_FILE_NAME,
  REQUIREMENTS_FILE_NAME,
} from '../model/file-names.js';
import { buildInputExample, jsonNestingDepth, JSON_MAX_DEPTH } from '../model/input-example.js';
import { formatUtcTimeCreated, serializeMlmodel, type MlmodelDocument } from '../model/mlmodel.js';
import { buildPythonEnv, serializePythonEnv } from '../model/python-env.js';
import { parseSchemaJson, serializeSignature, parseSignature, type Signature } from '../model/signature.js';
import { scanImports, type ImportRef } from '../scan/import-scan.js';
import { CaptureFailure, captureImportedModules } from './capture.js';
import {
  findCodePathCaveats,
  inferCodePaths,
  localTopLevel,
  planCodePaths,
  refuseCodePathsWithInference,
  type CodeFile,
} from './code-paths.js';
import { exampleSplitValue, inferInputSchema, readPackageExample, type ExampleFrame } from './example.js';
import { flavorWriterFor, type FlavorWriter, type ModelSource } from './flavors/index.js';
import type { ArrayExamplePlan, CheckedSource, MlmodelSection } from './flavors/flavor-writer.js';
import {
  inferRequirements,
  localLabelWarning,
  pinFlavorDefaults,
  type DroppedModule,
  type InferredRequirement,
  type LocalModule,
  type ModuleReference,
} from './infer.js';
import { readInterpreterFacts, type InterpreterFacts } from './interpreter.js';
import { lockRequirements } from './lock.js';
import { requirementsArgumentFromLines } from './requirements-args.js';
import { requireFile } from './user-files.js';

/**
 * `mlf models package`: write the model directory `mlflow.<flavor>.save_model` writes
 * (mlflow-format.md §0–4, 8, 9, 11), into a temporary sibling of OUT_DIR that is renamed into
 * place at the end, so a failure leaves no OUT_DIR.
 */

export type { ModelSource } from './flavors/index.js';

export type LockMode = 'off' | 'warn' | 'strict';

export interface PackageOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  outDir: string;
  source: ModelSource;
  codePaths: string[];
  inferCodePaths: boolean;
  /** Requirements lines (`-r FILE` and `-c FILE` lines are expanded). */
  pipRequirements?: string[];
  extraPipRequirements?: string[];
  condaEnv?: string;
  inputExample?: string;
  /** A JSON file `{"inputs": "<json>", "outputs": "<json>", "params": ...}` (MLmodel's signature mapping, values as JSON text or lists). */
  signature?: string;
  noSignature: boolean;
  /** The interpreter the model was trained with. */
  python: string;
  capture: boolean;
  lock: LockMode;
  hashes: boolean;
  metadata: Record<string, string>;
  force: boolean;
  onProgress?: (message: string) => void;
  /** For tests: fixed time and uuid. */
  now?: () => Date;
  newUuid?: () => string;
}

export interface RequirementExplanation {
  requirement: string;
  reasons: string[];
}

export interface PackageWarning {
  code: string;
  message: string;
  file?: string;
  line?: number;
  module?: string;
}

export interface PackageResult {
  outDir: string;
  files: string[];
  mlflowVersion: string;
  pythonVersion: string;
  python: string;
  /** The final pip list (requirements.txt's lines), each with why it is there. */
  requirements: RequirementExplanation[];
  constraints: string[];
  /** What inference found and left out, and why. */
  dropped: DroppedModule[];
  /** Packages whose local version label was stripped. */
  strippedLocalLabels: { name: string; installed: string; requirement: string }[];
  codeFiles: string[];
  inference: 'inferred' | 'skipped: --pip-requirements' | 'skipped: --conda-env';
  /** `--capture`: the modules recorded, and the imports that failed (optional dependencies not installed). */
  captured?: { modules: string[]; failedImports: string[]; ok: boolean };
  lock?: { ok: boolean; argv?: string[]; reason?: string };
  warnings: PackageWarning[];
  notes: string[];
}

function progress(options: PackageOptions, message: string): void {
  options.onProgress?.(message);
}

function checkUsage(options: PackageOptions): void {
  const given = [
    options.condaEnv !== undefined ? '`--conda-env`' : undefined,
    options.pipRequirements !== undefined ? '`--pip-requirements`' : undefined,
    options.extraPipRequirements !== undefined ? '`--extra-pip-requirements`' : undefined,
  ].filter((x): x is string => x !== undefined);
  if (given.length > 1) {
    throw usageError('EXCLUSIVE_ENV_ARGUMENTS', `Only one of \`--conda-env\`, \`--pip-requirements\` and \`--extra-pip-requirements\` can be given (got ${given.join(' and ')})`, {
      hint: 'as in MLflow: `--pip-requirements` is the complete list, `--extra-pip-requirements` adds to the inferred one',
    });
  }
  refuseCodePathsWithInference(options.codePaths, options.inferCodePaths);
  if (options.hashes && options.lock === 'off') {
    throw usageError('HASHES_WITHOUT_LOCK', '`--hashes` needs `--lock`', { hint: 'hashes are written by the lock step' });
  }
  if (options.signature !== undefined && options.noSignature) {
    throw usageError('SIGNATURE_AND_NO_SIGNATURE', '`--signature` and `--no-signature` cannot be used together');
  }
  if (options.lock !== 'off' && options.condaEnv !== undefined) {
    throw usageError('LOCK_WITH_CONDA_ENV', '`--lock` cannot be used with `--conda-env`', {
      hint: 'MLflow locks only pip requirements, never a given conda environment',
    });
  }
}

/** An existing non-empty OUT_DIR is refused unless --force (MLflow: "Path '…' already exists and is not empty"). */
function checkOutDir(outDir: string, given: string, force: boolean): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) {
    throw inputError('OUT_DIR_NOT_A_DIRECTORY', `output path \`${given}\` exists and is not a directory`);
  }
  if (readdirSync(outDir).length > 0 && !force) {
    throw inputError('OUT_DIR_NOT_EMPTY', `output directory \`${given}\` already exists and is not empty`, {
      hint: 'pass `--force` to replace it, or choose another `-o`',
    });
  }
}

async function totalFileSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await totalFileSize(full);
    else total += (await stat(full)).size;
  }
  return total;
}

async function writeText(dir: string, name: string, text: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
  await writeFile(path.join(dir, name), text);
}

async function copyCodeFiles(dir: string, files: readonly CodeFile[]): Promise<void> {
  for (const file of files) {
    const target = path.join(dir, file.target);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(file.source, target);
  }
}

/** `--conda-env FILE`: the document, and its pip list with `-r`/`-c` expanded. */
function readCondaEnvArgument(cwd: string, given: string) {
  const condaPath = requireFile(cwd, given, 'conda env file', 'CONDA_ENV_NOT_FOUND');
  const document = parseCondaEnv(readRegularTextSync(condaPath, { shown: given }), given).document;
  const pip: RequirementsArgument = requirementsArgumentFromLines((getPipDependencies(document) ?? []).map(String), '--conda-env', cwd);
  return { document, pip };
}

function readSignatureFile(cwd: string, given: string): Signature {
  const absolute = requireFile(cwd, given, 'signature file', 'SIGNATURE_NOT_FOUND');
  let value: Record<string, unknown>;
  const text = readRegularTextSync(absolute, { shown: given });
  if (jsonNestingDepth(text) > JSON_MAX_DEPTH) {
    throw inputError('INVALID_SIGNATURE', `\`${given}\` is nested more than ${JSON_MAX_DEPTH} levels deep, deeper than Python's json module reads`, { file: given });
  }
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    if (isMlfError(error)) throw error;
    throw inputError('INVALID_SIGNATURE', `\`${given}\` is not valid JSON`, { file: given, cause: error });
  }
  const asText = (part: unknown) => (part === undefined || part === null ? null : typeof part === 'string' ? part : JSON.stringify(part));
  return parseSignature({ inputs: asText(value.inputs), outputs: asText(value.outputs), params: asText(value.params) } as never, { file: given });
}

export async function packageModel(options: PackageOptions): Promise<PackageResult> {
  checkUsage(options);
  const { cwd, source } = options;
  const outDir = path.resolve(cwd, options.outDir);
  checkOutDir(outDir, options.outDir, options.force);
  const warnings: PackageWarning[] = [];
  const notes: string[] = [];

  // The model's own files, checked before any work.
  const writer = flavorWriterFor(source);
  const checked = writer.validateSource(source, cwd);

  if (writer.takesCodePaths === false && (options.codePaths.length > 0 || options.inferCodePaths)) {
    throw usageError('CODE_PATHS_NOT_TAKEN', `\`mlflow.${writer.kind}.save_model\` takes no code paths: \`--code-path\` and \`--infer-code-paths\` cannot be used with this model`);
  }
  const signatureFromFile = options.signature !== undefined ? readSignatureFile(cwd, options.signature) : undefined;
  if (signatureFromFile) writer.checkSignature?.(signatureFromFile, options.signature!);
  const given = options.inputExample !== undefined
    ? readPackageExample(readRegularFileSync(requireFile(cwd, options.inputExample, 'input example', 'INPUT_EXAMPLE_NOT_FOUND'), { shown: options.inputExample }), options.inputExample)
    : undefined;
  // A flavor that takes a numpy array (pytorch's pt2) checks it against the model and says what MLflow would infer.
  const arrayExample = writer.arrayExample?.(source, checked, given, {
    shown: options.inputExample,
    signature: signatureFromFile,
    signatureShown: options.signature,
    noSignature: options.noSignature,
  });
  if (given?.kind === 'ndarray' && !arrayExample) {
    throw usageError('UNSUPPORTED_INPUT_EXAMPLE', `\`${options.inputExample}\` is a numpy array; mlf packages an array example for \`--flavor pytorch\` with a pt2 archive only`, {
      hint: 'give this model a table: JSON (`df.to_json(path, orient="split", index=False)`) or CSV',
    });
  }
  const example = given?.kind === 'frame' ? given.frame : undefined;
  if (arrayExample) warnings.push(...arrayExample.warnings);
  // A save_model that infers a signature from the example checks the inferred one as it checks a given one (mlflow.tensorflow refuses a column signature).
  if (example !== undefined && !signatureFromFile && !options.noSignature && writer.infersSignature) {
    writer.checkSignature?.({ inputs: inferInputSchema(example) }, options.inputExample!);
  }

  // The requirement arguments with the files their `-r`/`-c` lines name: a bad one fails before Python starts.
  const userArgument = options.pipRequirements ?? options.extraPipRequirements;
  const userRequirements = userArgument !== undefined
    ? requirementsArgumentFromLines(userArgument, options.pipRequirements !== undefined ? '--pip-requirements' : '--extra-pip-requirements', cwd)
    : undefined;
  const condaEnv = options.condaEnv !== undefined ? readCondaEnvArgument(cwd, options.condaEnv) : undefined;

  // Code paths: the user's, or inferred from the model's imports.
  const plan = planCodePaths(options.codePaths, cwd);
  let codeFiles: CodeFile[] = plan.files;
  let providedModules = plan.providedModules;
  const entry = writer.entryPoints(source, checked, cwd);
  const entryFiles = entry.files;

  progress(options, `reading the interpreter ${options.python}`);
  const facts = await readInterpreterFacts(options.python, { cwd, env: options.env });
  if (!facts.mlflowVersion) {
    throw inputError('MLFLOW_NOT_INSTALLED', `mlflow is not installed in \`${options.python}\``, {
      hint: 'pass `--python` with the interpreter the model was trained with (the model pins its MLflow version)',
    });
  }

  if (options.inferCodePaths) {
    const inferred = inferCodePaths({ cwd, entryFiles, entryModules: entry.modules, excluded: facts.sitePackages });
    codeFiles = inferred.files;
    providedModules = inferred.providedModules;
  }

  // The Python sources whose imports matter: the model file and every packaged .py file.
  const sources: { file: string; relative: string }[] = [];
  for (const file of entryFiles) sources.push({ file, relative: path.relative(cwd, file) || path.basename(file) });
  for (const file of codeFiles) {
    if (file.source.endsWith('.py') && !entryFiles.includes(file.source)) sources.push({ file: file.source, relative: path.relative(cwd, file.source) });
  }
  const imports: { file: string; ref: ImportRef; absolute: string }[] = [];
  for (const src of sources) {
    let refs: ImportRef[];
    try {
      refs = scanImports(readRegularTextSync(src.file, { shown: src.relative }), src.relative);
    } catch (error) {
      // A file that does not tokenize (a template, Python 2) is reported, not fatal: MLflow copies it anyway.
      if (!isMlfError(error)) throw error;
      warnings.push({ code: 'IMPORT_SCAN_FAILED', message: `could not read the imports of \`${src.relative}\`${error.location.line ? ` (line ${error.location.line})` : ''}: ${error.message}`, file: src.relative });
      continue;
    }
    for (const ref of refs) imports.push({ file: src.relative, ref, absolute: src.file });
  }
  if (!options.inferCodePaths) {
    for (const caveat of findCodePathCaveats({ imports, plan, cwd })) {
      warnings.push({ code: 'CODE_PATH_IMPORT_MISMATCH', message: caveat.message, file: caveat.file, line: caveat.line });
    }
  }

  // Build in a temporary sibling of OUT_DIR.
  await mkdir(path.dirname(outDir), { recursive: true });
  const tempDir = path.join(path.dirname(outDir), `.${path.basename(outDir)}.mlf-tmp-${randomBytes(4).toString('hex')}`);
  await mkdir(tempDir);
  try {
    const result = await writeModel({
      options, facts, tempDir, source, writer, checked, codeFiles, providedModules, imports, example, arrayExample,
      signatureFromFile, userRequirements, condaEnv, warnings, notes,
    });
    await publish(tempDir, outDir);
    return { ...result, outDir };
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

/** Renames the finished directory into place; an existing OUT_DIR (empty, or with --force) is replaced. */
async function publish(tempDir: string, outDir: string): Promise<void> {
  if (!existsSync(outDir)) {
    await rename(tempDir, outDir);
    return;
  }
  const old = `${outDir}.mlf-old-${randomBytes(4).toString('hex')}`;
  await rename(outDir, old);
  try {
    await rename(tempDir, outDir);
  } catch (error) {
    await rename(old, outDir);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

interface WriteContext {
  options: PackageOptions;
  facts: InterpreterFacts;
  tempDir: string;
  source: ModelSource;
  writer: FlavorWriter<ModelSource>;
  checked: CheckedSource;
  codeFiles: CodeFile[];
  providedModules: Set<string>;
  imports: { file: string; ref: ImportRef; absolute: string }[];
  example?: ExampleFrame;
  /** An array example (pytorch's pt2), with the signature MLflow would infer for it. */
  arrayExample?: ArrayExamplePlan;
  signatureFromFile?: Signature;
  /** `--pip-requirements` / `--extra-pip-requirements` expanded. */
  userRequirements?: RequirementsArgument;
  condaEnv?: ReturnType<typeof readCondaEnvArgument>;
  warnings: PackageWarning[];
  notes: string[];
}

async function writeModel(w: WriteContext): Promise<Omit<PackageResult, 'outDir'>> {
  const { options, facts, tempDir, source, writer } = w;
  const { cwd } = options;
  const mlflowVersion = facts.mlflowVersion!;
  const hasCode = w.codeFiles.length > 0;

  // A flavor's save_model copies code paths first (they count in model_size_bytes); pyfunc's copies them after.
  if (writer.layout === 'flavor') await copyCodeFiles(tempDir, w.codeFiles);

  // The input example.
  let savedExampleInfo: MlmodelDocument['saved_input_example_info'];
  if (w.example) {
    const saved = buildInputExample({ type: 'dataframe', data: exampleSplitValue(w.example) });
    await writeText(tempDir, saved.info.artifact_path as string, saved.inputExampleText);
    if (saved.servingInputText !== undefined) await writeText(tempDir, saved.info.serving_input_path as string, saved.servingInputText);
    savedExampleInfo = saved.info;
  } else if (w.arrayExample) {
    const saved = buildInputExample({ type: 'ndarray', data: w.arrayExample.data });
    await writeText(tempDir, saved.info.artifact_path as string, saved.inputExampleText);
    if (saved.servingInputText !== undefined) await writeText(tempDir, saved.info.serving_input_path as string, saved.servingInputText);
    savedExampleInfo = saved.info;
  }

  // The model's own files.
  const sections = await writer.writeArtifacts(source, w.checked, { dir: tempDir, cwd, facts, python: options.python, hasCode, env: options.env });
  const pyfunc: MlmodelSection = {
    ...sections.pyfunc,
    python_version: facts.pythonVersion,
    env: { conda: CONDA_ENV_FILE_NAME, virtualenv: PYTHON_ENV_FILE_NAME },
  };
  if (hasCode) pyfunc.code = CODE_DIR_NAME;
  else if (writer.layout === 'pyfunc') pyfunc.code = null;
  const flavors: Record<string, MlmodelSection> = {};
  if (sections.flavor) flavors[sections.flavor.name] = sections.flavor.section;
  flavors.python_function = pyfunc;

  // The signature: given, refused, or inferred (inputs from the example; outputs from the capture run).
  // Not every save_model infers one (`infersSignature`: none for a loader module).
  let signature: Signature | undefined = w.arrayExample ? w.arrayExample.signature : w.signatureFromFile;
  const inferSignature = !options.noSignature && !signature && w.example !== undefined && writer.infersSignature;
  if (inferSignature) signature = { inputs: inferInputSchema(w.example!) };

  const modelSizeBytes = await totalFileSize(tempDir);
  const now = (options.now ?? (() => new Date()))();
  const buildMlmodel = (sig: Signature | undefined): MlmodelDocument => {
    const doc: Record<string, unknown> = {
      flavors,
      mlflow_version: mlflowVersion,
      model_id: null,
      model_uuid: (options.newUuid ?? (() => randomUUID().replace(/-/g, '')))(),
      prompts: null,
      utc_time_created: formatUtcTimeCreated(now),
    };
    if (modelSizeBytes > 0) doc.model_size_bytes = modelSizeBytes;
    if (savedExampleInfo) doc.saved_input_example_info = savedExampleInfo;
    if (sig) {
      doc.signature = serializeSignature(sig);
      doc.is_signature_from_type_hint = false;
      doc.type_hint_from_example = false;
    }
    if (Object.keys(options.metadata).length > 0) doc.metadata = { ...options.metadata };
    return doc as MlmodelDocument;
  };
  let mlmodel = buildMlmodel(signature);
  const uuid = mlmodel.model_uuid;
  await writeText(tempDir, MLMODEL_FILE_NAME, serializeMlmodel(mlmodel));
  if (writer.layout === 'pyfunc') await copyCodeFiles(tempDir, w.codeFiles);

  // Requirements.
  const userLabel = options.pipRequirements !== undefined ? '--pip-requirements' : '--extra-pip-requirements';
  const inferenceWanted = options.pipRequirements === undefined && options.condaEnv === undefined;
  const defaults = writer.defaultRequirements(source, w.checked);

  let inferred: InferredRequirement[] = [];
  let pinnedDefaults: InferredRequirement[] = [];
  let dropped: DroppedModule[] = [];
  let captured: PackageResult['captured'];
  if (inferenceWanted) {
    pinnedDefaults = pinFlavorDefaults(facts, defaults, options.python);
    const references: ModuleReference[] = [];
    const pickle = w.checked.pickle;
    if (pickle) {
      const file = pickle.shown;
      for (const ref of pickle.scan.modules) references.push({ module: ref.module, name: ref.name, source: 'pickle', file });
      for (const module of pickle.scan.importedByName) references.push({ module, source: 'pickle', file });
    }
    for (const { file, ref } of w.imports) {
      if (ref.level > 0) continue; // relative imports are the package's own modules
      references.push({ module: ref.module, source: 'import', file, line: ref.line });
    }
    if (options.capture) {
      progress(options, 'loading the model to capture its imports (--capture)');
      try {
        const capture = await captureImportedModules({
          python: options.python,
          modelDir: tempDir,
          ...writer.capture(source),
          inferOutputSchema: inferSignature,
          cwd,
          env: options.env,
          timeoutMs: captureTimeoutMs(options.env),
        });
        captured = { modules: capture.modules, failedImports: capture.failedImports, ok: true };
        for (const module of capture.modules) references.push({ module, source: 'capture' });
        if (capture.predictError) {
          w.warnings.push({
            code: 'CAPTURE_PREDICT_FAILED',
            message: `Failed to run predict on the input example, dependencies introduced in predict are not captured: ${lastLine(capture.predictError)}`,
          });
        }
        if (inferSignature && capture.outputSchema) {
          signature = { ...signature, outputs: parseSchemaJson(capture.outputSchema, 'signature.outputs') };
          mlmodel = { ...buildMlmodel(signature), model_uuid: uuid };
          await writeText(tempDir, MLMODEL_FILE_NAME, serializeMlmodel(mlmodel));
        }
      } catch (error) {
        if (!(error instanceof CaptureFailure)) throw error;
        captured = { modules: [], failedImports: [], ok: false };
        w.warnings.push({
          code: 'CAPTURE_FAILED',
          message: `--capture: ${error.message}; the requirements come from the static scans only: ${lastLine(error.detail)}`,
        });
      }
    }
    const localModule = (top: string): LocalModule | undefined => {
      if (w.providedModules.has(top)) return { path: top, packaged: true };
      if (facts.packagesDistributions.has(top)) return undefined;
      const found = localTopLevel(cwd, top);
      return found ? { path: found, packaged: false } : undefined;
    };
    const result = inferRequirements({ facts, references, localModule });
    inferred = result.requirements;
    // A pruned package that is also a flavor default stays, as in MLflow (defaults are unioned after pruning).
    const defaultNames = new Set(pinnedDefaults.map((d) => d.name));
    dropped = result.dropped.map((d) =>
      d.why === 'pruned' && defaultNames.has(d.module) ? { ...d, detail: `${d.detail}; it stays in the list as a flavor default` } : d,
    );
    w.warnings.push(...result.warnings);
  }
  for (const req of [...pinnedDefaults, ...inferred]) {
    const warning = localLabelWarning(req);
    if (warning && !w.warnings.some((x) => x.message === warning.message)) w.warnings.push(warning);
  }

  // Merge as MLflow (mutually exclusive arguments, mlflow pin, dedup), then lock.
  let pipList: string[];
  let constraints: string[] = [];
  let condaDocument;
  let lock: PackageResult['lock'];
  let merged: MergedPipRequirements | undefined;
  if (w.condaEnv !== undefined) {
    const { document: parsed, pip } = w.condaEnv;
    const processed = condaEnvPipList(pip, mlflowVersion);
    pipList = processed.pipList;
    constraints = processed.constraints.map((entry) => entry.text);
    condaDocument = withPipDependencies(parsed, pipList);
  } else {
    const parsedUser = w.userRequirements;
    merged = mergePipRequirements({
      ...(options.pipRequirements !== undefined ? { pipRequirements: parsedUser } : {}),
      ...(options.extraPipRequirements !== undefined ? { extraPipRequirements: parsedUser } : {}),
      inferred: inferred.map((r) => r.requirement),
      defaults: pinnedDefaults.map((r) => r.requirement),
      mlflowVersion,
    });
    w.notes.push(...merged.notes);
    constraints = merged.constraints.map((entry) => entry.text);
    let lockedLines: string[] | undefined;
    if (options.lock !== 'off') {
      progress(options, 'locking the requirements with uv pip compile');
      const outcome = await lockRequirements({
        requirements: merged.requirements.map((entry) => entry.text),
        constraints,
        pythonVersion: facts.pythonVersion,
        hashes: options.hashes,
        cwd,
        env: options.env,
      });
      if (outcome.ok) {
        lockedLines = outcome.lines;
        lock = { ok: true, argv: outcome.argv };
      } else {
        lock = { ok: false, reason: outcome.reason };
        const message = `Failed to lock requirements: ${outcome.reason}${outcome.output ? `\n${outcome.output}` : ''}`;
        if (options.lock === 'strict') {
          throw inputError('LOCK_FAILED', `Failed to lock requirements: ${outcome.reason}`, {
            ...(outcome.output ? { detail: outcome.output } : {}),
            hint: 'fix the requirements, or drop `=strict` to keep the unlocked list as MLflow does',
          });
        }
        w.warnings.push({ code: 'LOCK_FAILED', message: `${message}\nthe unlocked requirements are kept` });
      }
    }
    pipList = finalPipList(merged, lockedLines);
    condaDocument = buildCondaEnv({
      pythonVersion: facts.pythonVersion,
      pipDependencies: pipList,
      ...(facts.buildTools.pip ? { pipVersion: facts.buildTools.pip } : {}),
    });
  }

  await writeText(tempDir, CONDA_ENV_FILE_NAME, serializeCondaEnv(condaDocument));
  if (constraints.length > 0) await writeText(tempDir, CONSTRAINTS_FILE_NAME, constraints.join('\n'));
  await writeText(tempDir, REQUIREMENTS_FILE_NAME, pipList.join('\n'));
  const buildDependencies = (['pip', 'setuptools', 'wheel'] as const).map((tool) =>
    facts.buildTools[tool] ? `${tool}==${facts.buildTools[tool]}` : tool,
  );
  await writeText(tempDir, PYTHON_ENV_FILE_NAME, serializePythonEnv(buildPythonEnv({ python: facts.pythonVersion, buildDependencies })));

  const explanations = explainPipList(pipList, {
    inferred,
    defaults: pinnedDefaults,
    mlflowVersion,
    python: options.python,
    merged,
    userLabel: options.condaEnv !== undefined ? '--conda-env' : userLabel,
  });

  return {
    files: await listFiles(tempDir),
    mlflowVersion,
    pythonVersion: facts.pythonVersion,
    python: options.python,
    requirements: explanations,
    constraints,
    dropped,
    strippedLocalLabels: [...pinnedDefaults, ...inferred]
      .filter((r) => r.installedVersion)
      .map((r) => ({ name: r.name, installed: r.installedVersion!, requirement: r.requirement })),
    codeFiles: w.codeFiles.map((file) => file.target),
    inference: options.condaEnv !== undefined ? 'skipped: --conda-env' : options.pipRequirements !== undefined ? 'skipped: --pip-requirements' : 'inferred',
    ...(captured ? { captured } : {}),
    ...(lock ? { lock } : {}),
    warnings: w.warnings,
    notes: w.notes,
  };
}

function captureTimeoutMs(env: Record<string, string | undefined>): number {
  const raw = env[ENV.MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT];
  const seconds = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : 120;
  return seconds * 1000;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/** Each line of the final pip list with the reasons it is there. */
function explainPipList(
  pipList: readonly string[],
  context: {
    inferred: readonly InferredRequirement[];
    defaults: readonly InferredRequirement[];
    mlflowVersion: string;
    python: string;
    merged?: MergedPipRequirements;
    userLabel: string;
  },
): RequirementExplanation[] {
  const byName = new Map<string, string[]>();
  const add = (name: string, reason: string) => {
    const key = canonicalizeName(name);
    const list = byName.get(key) ?? [];
    if (!list.includes(reason)) list.push(reason);
    byName.set(key, list);
  };
  for (const req of [...context.defaults, ...context.inferred]) {
    const name = tryParseRequirement(req.requirement)?.name ?? req.name;
    for (const reason of req.reasons) add(name, reason);
    if (req.installedVersion) add(name, `installed as \`${req.installedVersion}\`: the local label is stripped so that it installs from PyPI`);
    else add(name, `pinned to the version installed in \`${context.python}\``);
  }
  const originByText = new Map<string, string>();
  for (const entry of context.merged?.requirements ?? []) originByText.set(entry.text, entry.origin);
  return pipList.map((line) => {
    const parsed = tryParseRequirement(line);
    const reasons: string[] = [];
    if (parsed) {
      const key = canonicalizeName(parsed.name);
      reasons.push(...(byName.get(key) ?? []));
      const origin = originByText.get(line);
      if (origin === 'mlflow pin' || (key === 'mlflow' && reasons.length === 0 && origin === undefined && line === `mlflow==${context.mlflowVersion}`)) {
        reasons.unshift(`the mlflow pin: MLflow ${context.mlflowVersion} is installed in \`${context.python}\``);
      } else if (origin && !['inferred', 'flavor defaults', 'mlflow pin'].includes(origin)) {
        reasons.push(`from ${origin}`);
      } else if (reasons.length === 0 && !origin) {
        reasons.push(`from ${context.userLabel}`);
      }
    } else if (line.startsWith('#')) {
      reasons.push('lock layout (uv pip compile)');
    } else {
      reasons.push(`from ${context.userLabel}`);
    }
    return { requirement: line, reasons };
  });
}

