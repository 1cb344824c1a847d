/**
 * `mlf models update-pip-requirements`: add or remove requirements of an existing model in
 * place, keeping requirements.txt and conda.yaml's pip list in step. python_env.yaml,
 * constraints.txt and MLmodel are never touched (as in MLflow, mlflow-format.md §5).
 */
import path from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { inputError, MlfError } from '../errors.js';
import { parseRequirementsFile, parseStatement, serializeRequirementsFile, insertStatements, replaceStatement, removeStatement, type RequirementsFile, type Statement } from '../deps/requirements-txt.js';
import { canonicalizeName } from '../deps/pep508.js';
import {
  applyPlanToList,
  dedupeArguments,
  describePlan,
  parseRequirementArguments,
  planChangesAnything,
  planUpdate,
  type EditPlan,
  type ListEntry,
  type RequirementChange,
  type UpdateOperation,
} from '../deps/update-requirements.js';
import { getPipDependencies, parseCondaEnv, serializeCondaEnv, withPipDependencies } from '../model/conda-env.js';
import { REQUIREMENTS_FILE_NAME } from '../model/file-names.js';
import { locateModel, type ModelLocation } from '../model/directory/locate.js';
import { readModelDirectory } from '../model/directory/strict.js';
import { commitModelFiles, recoverModelDirectory, type RecoveryOutcome } from '../model/transaction.js';
import { withModelWriteLock } from '../model/write-lock.js';

export interface UpdatePipRequirementsOptions {
  modelUri: string;
  operation: UpdateOperation;
  requirements: string[];
  dryRun: boolean;
  cwd: string;
}

export interface FileUpdate {
  /** The file name inside the model directory. */
  file: string;
  before: string;
  after: string;
  changed: boolean;
  /** Unified diff of the file, '' when unchanged. */
  diff: string;
  changes: RequirementChange[];
}

export interface UpdatePipRequirementsResult {
  modelDir: string;
  operation: UpdateOperation;
  dryRun: boolean;
  /** Whether any file differs (and, unless dry-run, was written). */
  changed: boolean;
  files: FileUpdate[];
  warnings: string[];
  /** What was done about a transaction an earlier, killed mlf left behind. */
  recovery: RecoveryOutcome;
}

export async function updatePipRequirements(options: UpdatePipRequirementsOptions): Promise<UpdatePipRequirementsResult> {
  const operation = parseOperation(options.operation);
  const args = parseRequirementArguments(options.requirements, operation);
  const requested = operation === 'add' ? dedupeArguments(args) : args;

  const location = locateModel(options.modelUri, options.cwd);
  if (options.dryRun) return planAndCommit(options, location, operation, requested);
  // From before the read until after the commit: another mlf writing meanwhile would lose one of
  // the two updates (model/write-lock.ts).
  return withModelWriteLock(location.dir, () => planAndCommit(options, location, operation, requested), { displayPath: options.modelUri });
}

async function planAndCommit(
  options: UpdatePipRequirementsOptions,
  location: ModelLocation,
  operation: UpdateOperation,
  requested: ReturnType<typeof parseRequirementArguments>,
): Promise<UpdatePipRequirementsResult> {
  const { dir } = location;
  let model = await readModelDirectory(location);
  refuseNestedCondaFile(model.envFileNames.conda, options.modelUri);
  // A dry run must not write, so it reads through an interrupted transaction instead of finishing
  // it. MLmodel is never part of a transaction, so the conda file it names (which recovery may
  // rename onto) is known before; the files are read again if recovery changed them.
  const recovery: RecoveryOutcome = options.dryRun
    ? 'clean'
    : await recoverModelDirectory(dir, { targets: [model.envFileNames.conda], displayPath: options.modelUri }).catch(ignoreMissing(dir));
  // Recovery rewrote files: read them as they are now.
  if (recovery !== 'clean') model = await readModelDirectory(location);
  const warnings: string[] = [];
  if (recovery === 'rolled-forward') warnings.push('completed an update that an earlier mlf run was interrupted in');

  const requirementsName = REQUIREMENTS_FILE_NAME;
  const requirementsLabel = path.join(options.modelUri, requirementsName);
  if (model.requirementsText === undefined) {
    throw inputError('REQUIREMENTS_NOT_FOUND', `\`${requirementsLabel}\` does not exist`, {
      file: requirementsLabel,
      hint: 'this command edits an existing requirements.txt; `mlf models validate` can tell what else the directory lacks',
    });
  }

  const requirementsFile = parseRequirementsFile(model.requirementsText, requirementsLabel);
  const requirementsEntries = requirementsFile.statements.map(entryOfStatement);
  const requirementsPlan = planUpdate(requirementsEntries, operation, requested);
  if (requirementsPlan.missing.length > 0) {
    const names = requirementsPlan.missing.map((m) => `\`${m.name}\``).join(', ');
    throw inputError(
      'REQUIREMENT_NOT_LISTED',
      `${names} ${requirementsPlan.missing.length === 1 ? 'is' : 'are'} not listed, so nothing was changed`,
      { file: requirementsLabel, hint: 'names compare after PEP 503 normalisation (`Foo_Bar` is `foo-bar`); see the file for what is listed' },
    );
  }
  const requirementsAfter = serializeRequirementsFile(applyPlanToFile(requirementsFile, requirementsPlan));
  const files: FileUpdate[] = [
    fileUpdate(requirementsName, model.requirementsText, requirementsAfter, describePlan(requirementsEntries, requirementsPlan)),
  ];

  const condaName = model.envFileNames.conda;
  if (model.condaText === undefined) {
    warnings.push(`\`${condaName}\` does not exist, so only \`${requirementsName}\` was updated`);
  } else {
    const condaLabel = path.join(options.modelUri, condaName);
    const conda = parseCondaEnv(model.condaText, condaLabel);
    const pipList = getPipDependencies(conda.document) ?? [];
    const condaEntries = pipList.map((text) => entryOfText(text, condaLabel));
    const condaPlan = planUpdate(condaEntries, operation, requested);
    for (const missing of condaPlan.missing) {
      warnings.push(`\`${missing.name}\` is not in the pip list of \`${condaLabel}\`; it was removed from \`${requirementsName}\` only`);
    }
    const condaChanged = planChangesAnything(condaPlan);
    const condaAfter = condaChanged
      ? serializeCondaEnv(withPipDependencies(conda.document, applyPlanToList(pipList, condaPlan)))
      : model.condaText;
    files.push(fileUpdate(condaName, model.condaText, condaAfter, describePlan(condaEntries, condaPlan)));
  }

  const changedFiles = files.filter((f) => f.changed);
  if (!options.dryRun && changedFiles.length > 0) {
    await commitModelFiles(
      model.dir,
      changedFiles.map((f) => ({ name: f.file, content: f.after })),
    );
  }
  return { modelDir: model.dir, operation, dryRun: options.dryRun, changed: changedFiles.length > 0, files, warnings, recovery };
}

function parseOperation(operation: string): UpdateOperation {
  if (operation === 'add' || operation === 'remove') return operation;
  throw inputError('INVALID_OPERATION', `Unknown operation \`${operation}\``, { hint: 'use `add` or `remove`' });
}

function entryOfStatement(statement: Statement): ListEntry {
  return statement.kind === 'requirement'
    ? { canonicalName: canonicalizeName(statement.requirement.name), text: statement.content }
    : { text: statement.content };
}

/** conda.yaml's pip entries are requirements.txt lines without the file around them. */
function entryOfText(text: string, file: string): ListEntry {
  let statement: Statement;
  try {
    statement = parseStatement(text, file);
  } catch (error) {
    if (error instanceof MlfError) return { text }; // kept verbatim, as MLflow keeps unparsable lines
    throw error;
  }
  return { ...entryOfStatement(statement), text };
}

/** Applies a plan to requirements.txt statement by statement, so untouched lines keep their bytes. */
function applyPlanToFile(file: RequirementsFile, plan: EditPlan): RequirementsFile {
  let result = file;
  // Edit from the highest index down so that lower indexes stay valid, then insert where the
  // plan says, shifted by the statements removed before that point.
  const indexes = [...new Set([...plan.replace.keys(), ...plan.remove])].sort((a, b) => b - a);
  for (const index of indexes) {
    result = plan.remove.has(index) ? removeStatement(result, index) : replaceStatement(result, index, plan.replace.get(index)!);
  }
  if (plan.insert.length > 0) {
    const removedBefore = [...plan.remove].filter((index) => index <= plan.insertAfter).length;
    result = insertStatements(result, plan.insertAfter + 1 - removedBefore, plan.insert);
  }
  return result;
}

function fileUpdate(file: string, before: string, after: string, changes: RequirementChange[]): FileUpdate {
  const changed = before !== after;
  return {
    file,
    before,
    after,
    changed,
    changes: changed ? changes : [],
    diff: changed ? createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY }) : '',
  };
}

function ignoreMissing(dir: string) {
  return (error: NodeJS.ErrnoException): RecoveryOutcome => {
    if (error instanceof MlfError) throw error; // a refused journal says so itself
    // A missing directory is reported by readModelDirectory with MLflow's wording.
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return 'clean';
    throw inputError('MODEL_DIRECTORY_UNREADABLE', `Cannot read \`${dir}\`: ${error.message}`, { file: dir });
  };
}

/**
 * mlf rewrites files at the top of the model directory only (its journal names nothing else),
 * and MLflow itself always writes `conda.yaml` there: an MLmodel whose `env` names a conda file
 * in a subdirectory (or outside) was edited by hand, and is refused before anything is written.
 */
function refuseNestedCondaFile(condaName: string, modelUri: string): void {
  if (!/[\\/]/.test(condaName) && condaName !== '.' && condaName !== '..') return;
  throw inputError('CONDA_FILE_NOT_AT_TOP', `\`env\` names the conda file \`${condaName}\`, which is not a file at the top of the model directory`, {
    file: path.join(modelUri, 'MLmodel'),
    field: 'flavors.python_function.env',
    hint: 'move the file to the top of the model directory and name it there (MLflow writes `conda: conda.yaml`), then run again',
  });
}
